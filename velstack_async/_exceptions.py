"""Every error the SDK raises, in one hierarchy.

```
VelstackError
├── APIConnectionError            no usable HTTP response (connect, read, write, protocol)
│   ├── APITimeoutError           a timeout (connect, read, write or pool)
│   └── StaleConnectionError      a reused keep-alive connection closed before any answer
├── APIStatusError                the API answered with an error (HTTP >= 400 or "status": false)
│   ├── AuthenticationError       401: missing or wrong API key
│   ├── InsufficientBalanceError  403: "Insufficient balance to complete this message"
│   ├── PermissionDeniedError     403: any other refusal
│   ├── NotFoundError             404: unknown group, contact or route
│   ├── ValidationError           422: Laravel validation failure, with `.errors`
│   ├── RateLimitError            429: throttled, with `.retry_after`
│   ├── ServiceUnavailableError   503: "Service unavailable" (not processed)
│   └── ServerError               any other 5xx
├── InvalidInputError (ValueError)  bad arguments, refused before any request
│   ├── RecipientSuppressedError  the recipient opted out (sending policy)
│   ├── OutsideSendWindowError    a marketing send outside the local send window
│   ├── SpendCapError             over the policy's credits per 24 hours
│   └── FrequencyCapError         over the policy's marketing messages per recipient
├── SendUnknownError              an earlier send with this idempotency key may have been sent
├── PolicyStoreError              the sending policy's store failed
├── ResponseParseError            a response body the SDK cannot understand
└── JournalError                  a bulk campaign's journal could not be written
```

`may_have_been_sent` is True when a request that must not run twice (a send,
or a create) may have been processed before the error: a read timeout, a
dropped connection, 500/502/504. Such a request is never retried
automatically.

``str()`` of an `APIStatusError` starts with the status code, then Velstack's
message and what to check: ``401 Unauthenticated. (check the API key)``.
No error text holds the API key or a message's text, and digit runs that may
be phone numbers are masked.

Lower-layer errors (httpx, aiohttp, JSON, cattrs) are translated in one place
each: the adapters report how far a request got (`_http.adapter.Failure`),
`_requester.py` maps that, `_responses.py` maps answers and `_parsing.py`
reads data; nothing else raises them to the caller.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar

import httpx

from ._redact import mask_digits

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "FrequencyCapError",
    "InsufficientBalanceError",
    "InvalidInputError",
    "JournalError",
    "NotFoundError",
    "OutsideSendWindowError",
    "PermissionDeniedError",
    "PolicyStoreError",
    "RateLimitError",
    "RecipientSuppressedError",
    "ResponseParseError",
    "SendUnknownError",
    "ServerError",
    "ServiceUnavailableError",
    "SpendCapError",
    "StaleConnectionError",
    "ValidationError",
    "VelstackError",
]


class VelstackError(Exception):
    """Base class of every error raised by velstack-async."""

    #: True when a send may have been accepted by Velstack despite this error.
    may_have_been_sent: bool = False

    def __init__(self, message: str, *, may_have_been_sent: bool = False) -> None:
        message = _text(message, "", may_have_been_sent)
        super().__init__(message)
        self.message = message
        self.may_have_been_sent = may_have_been_sent


def _text(message: str, hint: str, may_have_been_sent: bool) -> str:
    """An error's text: ``message`` (digit runs masked: a server may echo phone numbers),
    then ``hint`` in brackets, then the warning of a send that may have gone out."""
    text = mask_digits(message)
    if hint:
        text += f" ({hint})"
    if may_have_been_sent:
        text += " (Velstack may have processed it, so it was not retried: check before resending)"
    return text


class APIConnectionError(VelstackError):
    """No usable HTTP response: the connection failed, broke or spoke invalid HTTP."""


class APITimeoutError(APIConnectionError):
    """The request timed out (connect, read, write or waiting for a pooled connection)."""


class StaleConnectionError(APIConnectionError):
    """The server closed a reused keep-alive connection before sending any byte of an answer.

    Servers close idle connections on their own schedule; a request written
    just as that happens is almost certainly dropped unread. The SDK cannot
    prove it, so a send still reports ``may_have_been_sent``, but this reason
    tells an operator such sends are safe to resend after a check.
    """


class APIStatusError(VelstackError):
    """Velstack answered with an error status (HTTP >= 400, or ``"status": false``).

    ``status_code`` is the envelope's ``code`` when present, else the HTTP status.
    ``body`` is the decoded JSON body (or the raw text when it was not JSON).
    ``message`` is Velstack's message; ``str()`` puts the status code first and
    adds what to check: ``401 Unauthenticated. (check the API key)``.
    """

    #: What to check, added to ``str()`` in brackets (empty: nothing to add).
    hint: ClassVar[str] = ""

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        body: object = None,
        headers: Mapping[str, str] | None = None,
        may_have_been_sent: bool = False,
    ) -> None:
        super().__init__(message, may_have_been_sent=may_have_been_sent)
        self.status_code = status_code
        self.body = body
        #: Response headers, case-insensitive.
        self.headers: Mapping[str, str] = httpx.Headers(headers or {})
        self.args = (f"{status_code} {_text(message, self.hint, may_have_been_sent)}",)


class AuthenticationError(APIStatusError):
    """401: the API key is missing, wrong or revoked."""

    hint = "check the API key"


class InsufficientBalanceError(APIStatusError):
    """403: the account's credit cannot cover the message. Nothing was sent."""

    hint = "nothing was sent: top up the account"


class PermissionDeniedError(APIStatusError):
    """403 for any reason other than balance."""


class NotFoundError(APIStatusError):
    """404: the group, contact or route does not exist."""


class ValidationError(APIStatusError):
    """422: Velstack (Laravel) rejected the request's fields.

    ``errors`` maps each field to its messages, e.g.
    ``{"recipient": ["The recipient field is required."]}``.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        body: object = None,
        headers: Mapping[str, str] | None = None,
        errors: Mapping[str, list[str]] | None = None,
        may_have_been_sent: bool = False,
    ) -> None:
        super().__init__(
            message,
            status_code=status_code,
            body=body,
            headers=headers,
            may_have_been_sent=may_have_been_sent,
        )
        self.errors: dict[str, list[str]] = {
            k: [mask_digits(m) for m in v] for k, v in (errors or {}).items()
        }


class RateLimitError(APIStatusError):
    """429: too many requests. ``retry_after`` is the wait in seconds, if Velstack gave one."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        body: object = None,
        headers: Mapping[str, str] | None = None,
        retry_after: float | None = None,
        may_have_been_sent: bool = False,
    ) -> None:
        super().__init__(
            message,
            status_code=status_code,
            body=body,
            headers=headers,
            may_have_been_sent=may_have_been_sent,
        )
        self.retry_after = retry_after


class ServiceUnavailableError(APIStatusError):
    """503: Velstack is down or overloaded; the request was not processed."""


class ServerError(APIStatusError):
    """Any other 5xx (500, 502, 504, ...), including HTML pages from a proxy."""


class InvalidInputError(VelstackError, ValueError):
    """An argument is invalid; raised before any request is made."""


class ResponseParseError(VelstackError):
    """Velstack answered with a body the SDK cannot understand."""

    def __init__(self, message: str, *, body: Any = None, may_have_been_sent: bool = False) -> None:
        super().__init__(message, may_have_been_sent=may_have_been_sent)
        self.body = body


class JournalError(VelstackError):
    """A bulk campaign's journal could not be written; the campaign stopped."""


# Sending policy (`SendingPolicy`): refusals before any request, and the send-once outcome.


class SendUnknownError(VelstackError):
    """An earlier send with this idempotency key may have been sent: nothing was sent now.

    Its outcome is unknown (a timeout, a dropped answer, a process killed mid-send);
    sending again could deliver the message twice. Check before resending.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message, may_have_been_sent=True)


class PolicyStoreError(VelstackError):
    """The sending policy's store failed (unreadable, or a Redis that lost its data)."""


class RecipientSuppressedError(InvalidInputError):
    """A recipient is on the suppression (opt-out) list; nothing was sent."""


class OutsideSendWindowError(InvalidInputError):
    """A marketing send outside the recipient's local send window; ``opens_at`` says when."""

    def __init__(self, message: str, *, opens_at: datetime) -> None:
        super().__init__(message)
        #: When the window opens (an aware datetime, in the recipient's zone).
        self.opens_at = opens_at


class SpendCapError(InvalidInputError):
    """The send would pass the policy's credit cap for the last 24 hours; nothing was sent."""


class FrequencyCapError(InvalidInputError):
    """A recipient already had the policy's maximum of marketing messages; nothing was sent."""
