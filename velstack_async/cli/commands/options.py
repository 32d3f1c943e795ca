"""Options several commands share, confirmation, and changes that return nothing."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click

from ..._client import AsyncVelstack
from ..session import Session

__all__ = [
    "RATE",
    "apply_change",
    "concurrency_option",
    "confirm",
    "confirm_option",
    "flag",
    "id_argument",
    "message_option",
    "sender_option",
    "title_option",
]

_F = TypeVar("_F", bound=Callable[..., Any])
RATE = click.FloatRange(min=0, min_open=True)

message_option = click.option(
    "--message", "-m", required=True, help="The message text (never logged)."
)
sender_option = click.option(
    "--sender",
    envvar="VELSTACK_SENDER",
    help="Sender ID [env: VELSTACK_SENDER; sandbox: VELSTACK].",
)
title_option = click.option("--title", help='Campaign title, e.g. "Announcement".')


def flag(*names: str, help: str) -> Callable[[_F], _F]:
    return click.option(*names, is_flag=True, help=help)


confirm_option = flag("--yes", "-y", help="Do not ask for confirmation.")


def id_argument(name: str) -> Callable[[_F], _F]:
    return click.argument(name, metavar="ID")


def concurrency_option(default: int, maximum: int, what: str) -> Callable[[_F], _F]:
    return click.option(
        "--concurrency", type=click.IntRange(1, maximum), default=default, help=f"{what} at a time."
    )


def confirm(yes: bool, question: str) -> None:
    """Ask before a destructive change; without a terminal, require ``--yes``."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise click.UsageError("add --yes to confirm (no terminal to ask on)")
    click.confirm(question, abort=True, err=True)


def apply_change(
    change: Callable[[AsyncVelstack], Awaitable[None]],
    what: str,
    ident: str,
    confirm_with: tuple[bool, str] | None = None,
) -> None:
    """Run a change (``confirm_with``: ``(--yes, question)``); print ``{"id", what: true}``."""
    if confirm_with is not None:
        confirm(*confirm_with)
    session = Session.current()
    session.run(change)
    session.show({"id": ident, what: True}, f"{what.capitalize()} {ident}.")
