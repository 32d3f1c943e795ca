"""A stateful fake Velstack service for tests, benchmarks and the CLI sandbox.

In-process (no sockets)::

    fake = FakeVelstack()
    client = AsyncVelstack(api_key=fake.api_key, http_client=fake.async_http_client())

On loopback (real HTTP, uvicorn from the ``server`` extra)::

    with fake.serve_in_thread() as base_url: ...

or ``python -m velstack_async.testing serve --port 8080``.

The package imports one way: the core (``_service``: state and
`FakeService.handle`, over ``_handlers``, ``_state``, ``_faults``...) knows no
adapter; the adapters (``_transports``, ``_asgi``, ``_server``) know only the
core; `FakeVelstack` (``_fake``), ``__main__`` and the pytest plugin sit on top.
"""

from __future__ import annotations

from ._asgi import FakeASGIApp
from ._fake import FakeVelstack
from ._faults import FAULT_KINDS, DropMode, FaultKind, Faults
from ._handlers import CreditLeftStyle
from ._numbers import EchoFormat
from ._records import (
    Duplicate,
    FakeContact,
    FakeGroup,
    FakeSenderId,
    MessageType,
    SentMessage,
)
from ._responses import FakeResponse
from ._server import LoopbackServer, ServerProcess, serve_in_subprocess
from ._service import FakeService
from ._transports import DEFAULT_BASE_URL, AsyncFakeTransport, SyncFakeTransport

__all__ = [
    "DEFAULT_BASE_URL",
    "FAULT_KINDS",
    "AsyncFakeTransport",
    "CreditLeftStyle",
    "DropMode",
    "Duplicate",
    "EchoFormat",
    "FakeASGIApp",
    "FakeContact",
    "FakeGroup",
    "FakeResponse",
    "FakeSenderId",
    "FakeService",
    "FakeVelstack",
    "FaultKind",
    "Faults",
    "LoopbackServer",
    "MessageType",
    "SentMessage",
    "ServerProcess",
    "SyncFakeTransport",
    "serve_in_subprocess",
]
