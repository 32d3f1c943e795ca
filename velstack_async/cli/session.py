"""One CLI invocation (global options, consoles, the client, real or sandbox) and the options
several commands share."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from signal import SIGINT
from typing import Any, TypeVar

import anyio
import attrs
import click
from anyio import open_signal_receiver
from rich.console import Console, RenderableType

from .._client import AsyncVelstack
from .._policy.policy import SendingPolicy
from .output import CliError, ExitCode, emit_json, jsonable, make_console

__all__ = ["RATE", "SANDBOX_SENDER", "Session", "apply_change", "concurrency_option", "confirm"]
__all__ += ["confirm_option", "flag", "message_option", "sender_option", "title_option"]
__all__ += ["message_options", "with_ctrl_c"]

_T = TypeVar("_T")
_F = TypeVar("_F", bound=Callable[..., Any])
RATE = click.FloatRange(min=0, min_open=True)

VELSTACK_URL = "https://sms.velstack.com"  # the SDK's default base URL
SANDBOX_SENDER = "VELSTACK"  # the demo account's sender ID
SANDBOX_SEED = 2023  # the demo's ids are the same in every sandbox run
NO_KEY = (
    "no API key: set VELSTACK_API_KEY (or pass --api-key KEY), "
    "or add --sandbox to try the built-in fake Velstack"
)


@attrs.define
class Session:
    api_key: str | None
    base_url: str | None
    json: bool
    sandbox: bool
    out: Console = attrs.field(factory=make_console)
    err: Console = attrs.field(factory=lambda: make_console(stderr=True))
    sandbox_used: bool = False  # a sandbox client was opened
    sandbox_why: str = "--sandbox"
    policy: SendingPolicy | None = None

    @classmethod
    def current(cls) -> Session:
        session = click.get_current_context().find_object(cls)
        assert session is not None, "run commands through the velstack group"
        return session

    @property
    def target_url(self) -> str:
        return "sandbox" if self.sandbox else self.base_url or VELSTACK_URL

    def require_key(self) -> str:
        key = (self.api_key or "").strip()
        if not key:
            raise CliError(NO_KEY, ExitCode.AUTHENTICATION)
        return key

    def show(self, doc: object, view: RenderableType) -> None:
        """``doc`` as JSON with --json (``"sandbox": true`` in the sandbox), else ``view``."""
        if not self.json:
            self.out.print(view, markup=False)
            return
        data = jsonable(doc)
        sandbox = self.sandbox_used and isinstance(data, dict)
        emit_json({**data, "sandbox": True} if sandbox else data)

    def notice(self, message: str, style: str = "dim") -> None:
        """A line for people on stderr (never part of the results on stdout)."""
        self.err.print(message, style=style, markup=False, highlight=False, soft_wrap=True)

    def default_sender(self, sender: str | None) -> str:
        """``--sender``; in the sandbox, the demo sender ID."""
        if self.sandbox:
            return sender or SANDBOX_SENDER
        self.require_key()  # a missing key is the first thing to fix
        if sender:
            return sender
        raise click.UsageError("--sender is required (or set VELSTACK_SENDER)")

    def run(self, work: Callable[[AsyncVelstack], Awaitable[_T]]) -> _T:
        async def main() -> _T:
            async with self.client() as client:
                return await work(client)

        return anyio.run(main)

    @asynccontextmanager
    async def client(self) -> AsyncIterator[AsyncVelstack]:
        if self.sandbox:
            settings = _sandbox(self)
        else:
            settings = {"api_key": self.require_key(), "base_url": self.base_url}
        async with AsyncVelstack(**settings, policy=self.policy) as client:
            yield client


async def with_ctrl_c(on_press: Callable[[int], bool | None], work: Awaitable[_T]) -> _T:
    """``await work``, calling ``on_press(n)`` at the n-th Ctrl-C until it returns True. Where
    signals cannot be watched (Windows, not the main thread), Ctrl-C stays a KeyboardInterrupt."""

    async def watch() -> None:
        with suppress(NotImplementedError, ValueError), open_signal_receiver(SIGINT) as signals:
            presses = 0
            async for _ in signals:
                presses += 1
                if on_press(presses):
                    return

    async with anyio.create_task_group() as tg:
        tg.start_soon(watch)
        try:
            return await work
        except Exception as exc:  # raised below as itself, not in an exception group
            error = exc
        finally:
            tg.cancel_scope.cancel()
    raise error


message_option = click.option("--message", "-m", required=True, help="Message text (never logged).")
sender_option = click.option(
    "--sender",
    envvar="VELSTACK_SENDER",
    help="Sender ID [env: VELSTACK_SENDER; sandbox: VELSTACK].",
)
title_option = click.option("--title", help='Campaign title, e.g. "Announcement".')


def message_options(command: _F) -> _F:
    """--message, --sender and --title (send, send-group, campaign create)."""
    return message_option(sender_option(title_option(command)))


def flag(*names: str, help: str) -> Callable[[_F], _F]:
    return click.option(*names, is_flag=True, help=help)


confirm_option = flag("--yes", "-y", help="Do not ask for confirmation.")


def concurrency_option(default: int, maximum: int, what: str) -> Callable[[_F], _F]:
    limits = click.IntRange(1, maximum)
    return click.option("--concurrency", type=limits, default=default, help=f"{what} at a time.")


def confirm(yes: bool, question: str) -> None:
    """Ask before a destructive change; without a terminal, require ``--yes``."""
    if not yes and not sys.stdin.isatty():
        raise click.UsageError("add --yes to confirm (no terminal to ask on)")
    if not yes:
        click.confirm(question, abort=True, err=True)


def apply_change(change: Callable[[AsyncVelstack], Awaitable[None]], what: str, ident: str) -> None:
    """Run a change; print ``{"id", what: true}``."""
    session = Session.current()
    session.run(change)
    session.show({"id": ident, what: True}, f"{what.capitalize()} {ident}.")


def _sandbox(session: Session) -> dict[str, Any]:
    from ..testing import DEFAULT_BASE_URL, FakeVelstack

    ignored = " (--base-url is ignored)" if session.base_url else ""
    session.notice(
        f"sandbox ({session.sandbox_why}): using an in-process fake Velstack with a demo account; "
        f"nothing is really sent{ignored}"
    )
    session.sandbox_used = True
    balance = int(_sandbox_setting("VELSTACK_SANDBOX_BALANCE", 100_000, 10**9))
    fake = FakeVelstack.demo(seed=SANDBOX_SEED, balance=balance)
    # Seconds a request takes: from half to one and a half times the setting.
    latency = _sandbox_setting("VELSTACK_SANDBOX_LATENCY", 0.15, 10)
    fake.faults.latency, fake.faults.latency_jitter = latency / 2, latency
    transport = fake.async_transport()
    return {"api_key": fake.api_key, "base_url": DEFAULT_BASE_URL, "transport": transport}


def _sandbox_setting(name: str, default: float, maximum: float) -> float:
    raw = os.environ.get(name, "").strip()
    value = -1.0
    with suppress(ValueError):
        value = float(raw) if raw else default
    if not 0 <= value <= maximum:
        raise click.UsageError(f"{name} must be a number from 0 to {maximum:g}")
    return value
