"""Reading Velstack's answers: the envelope's ``data``, or the typed error for a status.

`decode` is the one place an HTTP status and body become `APIStatusError`
subclasses; `_requester.py` maps transport failures, here the answers.
"""

from __future__ import annotations

import http
import json
from collections.abc import Mapping
from typing import Any

from ._exceptions import (
    APIStatusError,
    AuthenticationError,
    InsufficientBalanceError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseParseError,
    ServerError,
    ServiceUnavailableError,
    ValidationError,
    VelstackError,
)
from ._retry import parse_retry_after

__all__ = ["Retryable", "decode"]

_RETRY_STATUSES = frozenset({429, 502, 503, 504})
_RETRY_STATUSES_ONCE = frozenset({429, 503})


class Retryable(Exception):
    """Carries an error that the retry loop may retry."""

    def __init__(self, error: VelstackError) -> None:
        self.error = error


def decode(status: int, headers: Mapping[str, str], raw: bytes, once: bool) -> Any:
    """The ``data`` of a successful envelope; raise the typed error for anything else."""
    body: Any
    try:
        # JSON on the wire is UTF-8 (RFC 8259); decoding it first is faster than
        # json.loads(bytes), which guesses the encoding. A BOM is tolerated.
        text = raw.decode()
        if text[:1] == "\ufeff":
            text = text[1:]
        body = json.loads(text) if text and not text.isspace() else None
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        body = raw[:2000].decode("utf-8", "replace")
        if status < 400:
            raise ResponseParseError(
                f"HTTP {status} from Velstack with a body that is not JSON",
                body=body,
                may_have_been_sent=once,
            ) from None
        raise _status_error(status, body, headers, once) from None
    if isinstance(body, dict) and body.get("status") is False:
        code = body.get("code")
        if not isinstance(code, int) or isinstance(code, bool) or code < 400:
            code = status if status >= 400 else 400
        raise _status_error(code, body, headers, once)
    if status >= 400:
        raise _status_error(status, body, headers, once)
    if status >= 300 or status < 200:
        raise ResponseParseError(
            f"unexpected HTTP {status} from Velstack", body=body, may_have_been_sent=once
        )
    if not isinstance(body, dict):
        raise ResponseParseError(
            f"expected a JSON object from Velstack, got {type(body).__name__}",
            body=body,
            may_have_been_sent=once,
        )
    return body.get("data")


def _status_error(status: int, body: Any, headers: Mapping[str, str], once: bool) -> Exception:
    """The typed error for an error status. Raised directly unless it may be retried."""
    message = body.get("message") if isinstance(body, dict) else None
    if not isinstance(message, str) or not message.strip():
        message = _phrase(status) + ("" if isinstance(body, dict) else " (body is not JSON)")
    common: dict[str, Any] = {"status_code": status, "body": body, "headers": headers}
    # A send answered 500/502/504 may have been processed; 429 and 503 were not.
    ambiguous = once and status >= 500 and status != 503
    error: APIStatusError
    if status == 401:
        error = AuthenticationError(message, **common)
    elif status == 403 and "balance" in message.lower():
        error = InsufficientBalanceError(message, **common)
    elif status == 403:
        error = PermissionDeniedError(message, **common)
    elif status == 404:
        error = NotFoundError(message, **common)
    elif status == 422:
        error = ValidationError(message, errors=_validation_errors(body), **common)
    elif status == 429:
        retry_after = parse_retry_after(headers.get("Retry-After"))
        error = RateLimitError(message, retry_after=retry_after, **common)
    elif status == 503:
        error = ServiceUnavailableError(message, **common)
    elif status >= 500:
        error = ServerError(message, may_have_been_sent=ambiguous, **common)
    else:
        error = APIStatusError(message, **common)
    retryable = _RETRY_STATUSES_ONCE if once else _RETRY_STATUSES
    return Retryable(error) if status in retryable else error


def _phrase(status: int) -> str:
    """HTTP's reason phrase for ``status`` ("Bad Gateway"), for an answer without a message."""
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _validation_errors(body: Any) -> dict[str, list[str]]:
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, dict):
        return {}
    return {
        str(field): [str(m) for m in (messages if isinstance(messages, list) else [messages])]
        for field, messages in errors.items()
    }
