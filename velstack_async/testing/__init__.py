"""A stateful fake Velstack service for tests, benchmarks and the CLI sandbox.

In-process (no sockets)::

    fake = FakeVelstack()
    client = AsyncVelstack(api_key=fake.api_key, http_client=fake.async_http_client())

On loopback (real HTTP, uvicorn from the ``server`` extra)::

    with fake.serve_in_thread() as base_url: ...

or ``python -m velstack_async.testing serve --port 8080``.

Names are imported lazily so that the pytest plugin (loaded in every pytest
run through its entry point) stays cheap to import.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._asgi import FakeASGIApp
    from ._fake import DEFAULT_BASE_URL, FakeVelstack
    from ._faults import FAULT_KINDS, DropMode, FaultKind, Faults
    from ._handlers import CreditLeftStyle
    from ._records import Contact, Duplicate, Group, MessageType, SenderId, SentMessage
    from ._responses import FakeResponse
    from ._server import LoopbackServer, ServerProcess, serve_in_subprocess
    from ._transports import AsyncFakeTransport, SyncFakeTransport

__all__ = [
    "DEFAULT_BASE_URL",
    "FAULT_KINDS",
    "AsyncFakeTransport",
    "Contact",
    "CreditLeftStyle",
    "DropMode",
    "Duplicate",
    "FakeASGIApp",
    "FakeResponse",
    "FakeVelstack",
    "FaultKind",
    "Faults",
    "Group",
    "LoopbackServer",
    "MessageType",
    "SenderId",
    "SentMessage",
    "ServerProcess",
    "SyncFakeTransport",
    "serve_in_subprocess",
]

_MODULES = {
    "FakeASGIApp": "_asgi",
    "DEFAULT_BASE_URL": "_fake",
    "FakeVelstack": "_fake",
    "FAULT_KINDS": "_faults",
    "DropMode": "_faults",
    "FaultKind": "_faults",
    "Faults": "_faults",
    "CreditLeftStyle": "_handlers",
    "Contact": "_records",
    "Duplicate": "_records",
    "Group": "_records",
    "MessageType": "_records",
    "SenderId": "_records",
    "SentMessage": "_records",
    "FakeResponse": "_responses",
    "LoopbackServer": "_server",
    "ServerProcess": "_server",
    "serve_in_subprocess": "_server",
    "AsyncFakeTransport": "_transports",
    "SyncFakeTransport": "_transports",
}


if not TYPE_CHECKING:  # type checkers see the imports above, and flag unknown names

    def __getattr__(name: str) -> Any:
        module = _MODULES.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
        globals()[name] = value
        return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
