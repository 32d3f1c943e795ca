"""Response bodies the way the Velstack (Laravel) service writes them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

import attrs

__all__ = [
    "Action",
    "ApiError",
    "FakeResponse",
    "encode",
    "envelope_error",
    "laravel_time",
    "not_found",
    "ok",
    "validation_error",
]

JSON_HEADERS: tuple[tuple[str, str], ...] = (("content-type", "application/json"),)


class ApiError(Exception):
    """Raised anywhere in request handling; becomes the HTTP response."""

    def __init__(self, status: int, payload: Mapping[str, Any]) -> None:
        super().__init__(status, payload)
        self.status = status
        self.payload = payload


def ok(message: str, data: Any) -> dict[str, Any]:
    return {"status": True, "code": 200, "message": message, "data": data}


def envelope_error(status: int, message: str) -> ApiError:
    """The documented error envelope (403 insufficient balance, 503 unavailable)."""
    return ApiError(status, {"status": False, "message": message, "code": status})


def not_found(model: str, ident: str) -> ApiError:
    return ApiError(404, {"message": f"No query results for model [App\\Models\\{model}] {ident}"})


def validation_error(errors: Mapping[str, list[str]]) -> ApiError:
    """Laravel's 422: the first message, "(and N more errors)", and every message by field."""
    messages = [m for field_messages in errors.values() for m in field_messages]
    message = messages[0]
    if len(messages) > 1:
        more = len(messages) - 1
        message += f" (and {more} more error{'s' if more > 1 else ''})"
    return ApiError(422, {"message": message, "errors": dict(errors)})


def laravel_time(moment: datetime) -> str:
    """``2023-08-19T14:07:52.000000Z``: UTC, whole seconds, as the service stores them."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000000Z")


def encode(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


BAD_GATEWAY_HTML = b"""<html>
<head><title>502 Bad Gateway</title></head>
<body>
<center><h1>502 Bad Gateway</h1></center>
<hr><center>nginx</center>
</body>
</html>
"""

Action = Literal["respond", "reset", "drop_timeout", "drop_disconnect"]


@attrs.frozen
class FakeResponse:
    """What `FakeVelstack.handle` decided; the transports and the ASGI app act it out.

    ``action`` is ``"respond"`` normally; ``"reset"`` means the connection fails
    before the request is read (nothing processed, ``status`` is 0);
    ``"drop_timeout"``/``"drop_disconnect"`` mean the request was processed and
    this response (kept for debugging) must never reach the client. ``delay``
    is the injected latency to wait first.
    """

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    delay: float = 0.0
    action: Action = "respond"

    def json(self) -> Any:
        return json.loads(self.body)
