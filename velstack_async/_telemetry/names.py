"""What the SDK's telemetry is called: operations, URL templates, metric and attribute names.

Kept in one place so the docs' table, the code and the tests agree.
"""

from __future__ import annotations

__all__ = [
    "CREDITS_USED",
    "IN_FLIGHT",
    "MESSAGES",
    "RATE_LIMIT_PAUSES",
    "REQUESTS",
    "REQUEST_DURATION",
    "operation_of",
]

# -- metrics ----------------------------------------------------------------------------
#: Counter: messages by final status (``velstack.message.status``).
MESSAGES = "velstack.messages"
#: Counter: credits Velstack reports as used by accepted sends.
CREDITS_USED = "velstack.credits.used"
#: Histogram (s): the duration of an API request, retries included.
REQUEST_DURATION = "velstack.request.duration"
#: Counter: API requests by ``velstack.outcome`` (``ok`` or ``error``) and ``error.type``.
REQUESTS = "velstack.requests"
#: Counter: 429 answers that paused every request of a client (``Retry-After``).
RATE_LIMIT_PAUSES = "velstack.rate_limit.pauses"
#: UpDownCounter: API requests in flight.
IN_FLIGHT = "velstack.requests.in_flight"

#: Seconds: the HTTP semantic conventions' advice for request durations.
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10)

# -- attributes -------------------------------------------------------------------------
OPERATION = "velstack.operation"
RECIPIENTS = "velstack.recipients"
CREDITS = "velstack.credits_used"
MAY_HAVE_BEEN_SENT = "velstack.may_have_been_sent"
OUTCOME = "velstack.outcome"
STATUS = "velstack.message.status"
PAUSE_SECONDS = "velstack.pause_seconds"

# -- operations -------------------------------------------------------------------------
#: Paths without an id segment.
_STATIC = frozenset(
    {"/api/quick/sms", "/api/group/sms", "/api/group", "/api/contact", "/api/sender/id"}
)

#: (method, URL template) -> operation.
_OPERATIONS = {
    ("POST", "/api/quick/sms"): "sms.send",
    ("POST", "/api/group/sms"): "sms.send_group",
    ("GET", "/api/group"): "groups.list",
    ("POST", "/api/group"): "groups.create",
    ("GET", "/api/group/{id}"): "groups.get",
    ("PUT", "/api/group/{id}"): "groups.update",
    ("DELETE", "/api/group/{id}"): "groups.delete",
    ("GET", "/api/contact"): "contacts.list",
    ("POST", "/api/contact"): "contacts.create",
    ("GET", "/api/contact/{id}"): "contacts.list",
    ("PUT", "/api/contact/{id}"): "contacts.update",
    ("DELETE", "/api/contact/{id}"): "contacts.delete",
    ("POST", "/api/sender/id"): "sender_ids.register",
}


def url_template(path: str) -> str:
    """``path`` with its id segment replaced: ``/api/group/g1`` -> ``/api/group/{id}``."""
    if path in _STATIC:
        return path
    prefix, _, _ = path.rpartition("/")
    return f"{prefix}/{{id}}" if prefix else path


def operation_of(method: str, template: str) -> str:
    """The SDK operation a request performs (``sms.send``, ``groups.list``...)."""
    return _OPERATIONS.get((method, template), f"{method.lower()} {template}")
