"""One CLI invocation: global options, the consoles, and the client (real or sandbox)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from typing import TypeVar

import anyio
import attrs
import click
from rich.console import Console

from .._client import AsyncVelstack
from .output import emit_json, key_value_table, make_console

__all__ = ["SANDBOX_SENDER", "Session"]

_T = TypeVar("_T")

#: The sender used in the sandbox when none is given (the demo account's sender ID).
SANDBOX_SENDER = "VELSTACK"
#: Seconds a sandbox request takes on average (0.5x to 1.5x of it); env var to change it.
SANDBOX_LATENCY_ENV = "VELSTACK_SANDBOX_LATENCY"
DEFAULT_SANDBOX_LATENCY = 0.15
#: The demo account's credits; env var to change it (0 shows what insufficient balance does).
SANDBOX_BALANCE_ENV = "VELSTACK_SANDBOX_BALANCE"
DEFAULT_SANDBOX_BALANCE = 100_000
#: Fixed, so the demo's group and contact ids are the same in every sandbox run.
SANDBOX_SEED = 2023


@attrs.define
class Session:
    """What every command needs: the global options and the consoles."""

    api_key: str | None
    base_url: str | None
    json: bool
    sandbox: bool
    out: Console = attrs.field(factory=make_console)
    err: Console = attrs.field(factory=lambda: make_console(stderr=True))

    @classmethod
    def current(cls) -> Session:
        """The session of the running command (set up by the ``velstack`` group)."""
        return click.get_current_context().find_object(cls) or _missing()

    @property
    def uses_sandbox(self) -> bool:
        """``--sandbox``, or no API key configured at all."""
        return self.sandbox or not (self.api_key and self.api_key.strip())

    def show_record(
        self, result: object, pairs: Iterable[tuple[str, object]], *, title: str
    ) -> None:
        """``result`` as JSON with ``--json``; otherwise the ``pairs`` as a titled table."""
        if self.json:
            emit_json(result)
        else:
            self.out.print(key_value_table(pairs, title=title))

    def notice(self, message: str) -> None:
        """A line for people on stderr (never part of the results on stdout)."""
        self.err.print(message, style="dim", markup=False, soft_wrap=True)

    def default_sender(self, sender: str | None) -> str:
        """``--sender`` / ``$VELSTACK_SENDER``; in the sandbox, the demo sender ID."""
        if sender:
            return sender
        if self.uses_sandbox:
            return SANDBOX_SENDER
        raise click.UsageError("--sender is required (or set VELSTACK_SENDER)")

    def run(self, work: Callable[[AsyncVelstack], Awaitable[_T]]) -> _T:
        """Open the client, run ``work(client)`` on an event loop, close the client."""

        async def main() -> _T:
            async with self.client() as client:
                return await work(client)

        return anyio.run(main)

    @asynccontextmanager
    async def client(self) -> AsyncIterator[AsyncVelstack]:
        """The configured client, or the sandbox's (saying so on stderr)."""
        if not self.uses_sandbox:
            async with AsyncVelstack(api_key=self.api_key, base_url=self.base_url) as client:
                yield client
            return
        async with _sandbox_client(self) as client:
            yield client


@asynccontextmanager
async def _sandbox_client(session: Session) -> AsyncIterator[AsyncVelstack]:
    from ..testing import DEFAULT_BASE_URL, FakeVelstack

    why = "--sandbox" if session.sandbox else "no API key configured"
    ignored = " (--base-url is ignored)" if session.base_url else ""
    session.notice(
        f"sandbox ({why}): using an in-process fake Velstack with a demo account; "
        f"nothing is really sent{ignored}"
    )
    balance = int(_sandbox_setting(SANDBOX_BALANCE_ENV, DEFAULT_SANDBOX_BALANCE, 10**9))
    fake = FakeVelstack.demo(seed=SANDBOX_SEED, balance=balance)
    latency = _sandbox_setting(SANDBOX_LATENCY_ENV, DEFAULT_SANDBOX_LATENCY, 10)
    fake.faults.latency = latency / 2
    fake.faults.latency_jitter = latency
    async with AsyncVelstack(
        api_key=fake.api_key, base_url=DEFAULT_BASE_URL, transport=fake.async_transport()
    ) as client:
        yield client


def _sandbox_setting(name: str, default: float, maximum: float) -> float:
    """A number from the environment, from 0 to ``maximum``."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value <= maximum:
        raise click.UsageError(f"{name} must be a number from 0 to {maximum:g}")
    return value


def _missing() -> Session:
    raise RuntimeError("no velstack session: run commands through the velstack group")
