"""Options shared by several commands."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

_F = TypeVar("_F", bound=Callable[..., Any])

__all__ = [
    "confirm",
    "concurrency_option",
    "confirm_option",
    "message_option",
    "sender_option",
    "title_option",
]

message_option = click.option(
    "--message", "-m", required=True, help="The message text (never logged)."
)
sender_option = click.option(
    "--sender",
    envvar="VELSTACK_SENDER",
    help="Sender ID, up to 11 letters and digits [env: VELSTACK_SENDER; sandbox: VELSTACK].",
)
title_option = click.option("--title", help='Campaign title, e.g. "Announcement".')
confirm_option = click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")


def concurrency_option(default: int, maximum: int, what: str) -> Callable[[_F], _F]:
    """``--concurrency``: how many ``what`` at a time."""
    return click.option(
        "--concurrency",
        type=click.IntRange(1, maximum),
        default=default,
        show_default=True,
        help=f"{what} at a time.",
    )


def confirm(yes: bool, question: str) -> None:
    """Ask before a destructive change; without a terminal, require ``--yes``."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise click.UsageError("add --yes to confirm (no terminal to ask on)")
    click.confirm(question, abort=True, err=True)
