"""What several commands share: options, confirmation, changes that return nothing, and
the sending-policy store (``--policy-store``, ``$VELSTACK_POLICY_STORE``, or a file
beside the campaign journals, owner-only as they are)."""

from __future__ import annotations

import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click

from ..._client import AsyncVelstack
from ..._exceptions import InvalidInputError
from ..._policy.policy import SendingPolicy
from ..._policy.window import SendWindow
from ..journals import journal_dir
from ..output import emit_json
from ..session import Session

__all__ = [
    "apply_change",
    "campaign_policy",
    "concurrency_option",
    "confirm",
    "confirm_option",
    "flag",
    "id_argument",
    "message_option",
    "open_policy",
    "parse_window",
    "policy_options",
    "policy_store_option",
    "sender_option",
    "title_option",
]

_F = TypeVar("_F", bound=Callable[..., Any])
POLICY_STORE_ENV = "VELSTACK_POLICY_STORE"
#: The default store, in the journals' folder (not a ``.journal``: never listed).
POLICY_FILE = "sending-policy.db"

message_option = click.option(
    "--message", "-m", required=True, help="The message text (never logged)."
)
sender_option = click.option(
    "--sender",
    envvar="VELSTACK_SENDER",
    help="Sender ID, up to 11 letters and digits [env: VELSTACK_SENDER; sandbox: VELSTACK].",
)
title_option = click.option("--title", help='Campaign title, e.g. "Announcement".')


def flag(*names: str, help: str) -> Callable[[_F], _F]:
    """An ``is_flag`` option."""
    return click.option(*names, is_flag=True, help=help)


confirm_option = flag("--yes", "-y", help="Do not ask for confirmation.")


def id_argument(name: str) -> Callable[[_F], _F]:
    """A positional ``ID`` passed as ``name``."""
    return click.argument(name, metavar="ID")


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


def apply_change(
    change: Callable[[AsyncVelstack], Awaitable[None]],
    what: str,
    ident: str,
    *,
    confirm_with: tuple[bool, str] | None = None,
) -> None:
    """Run a change that returns nothing (``confirm_with``: ``(--yes, question)`` for a
    destructive one); print ``{"id": ..., what: true}`` or a sentence."""
    if confirm_with is not None:
        confirm(*confirm_with)
    session = Session.current()
    session.run(change)
    if session.json:
        emit_json({"id": ident, what: True})
    else:
        session.out.print(f"{what.capitalize()} {ident}.", markup=False)


def policy_store_option(command: _F, default: str = f"{POLICY_FILE} in the journal folder") -> _F:
    """``--policy-store PATH_OR_URL`` [env: VELSTACK_POLICY_STORE]."""
    return click.option(
        "--policy-store",
        envvar=POLICY_STORE_ENV,
        metavar="PATH_OR_URL",
        help="The sending-policy store (suppressions, caps): a SQLite file or a redis:// URL "
        f"[env: {POLICY_STORE_ENV}; default: {default}].",
    )(command)


def policy_options(store_default: str | None = None) -> Callable[[_F], _F]:
    """A campaign's policy flags (``bulk``, ``campaign create``): ``--max-credits``,
    ``--send-window``, ``--[no-]wait-for-window``, ``--category``, ``--policy-store``."""

    def decorate(command: _F) -> _F:
        command = policy_store_option(command, *([store_default] if store_default else []))
        for option in reversed(_POLICY_OPTIONS):
            command = option(command)
        return command

    return decorate


_POLICY_OPTIONS = (
    click.option(
        "--max-credits",
        type=click.IntRange(min=0),
        metavar="N",
        help="Spend at most N credits on this campaign (reserved before each request; then "
        "it stops, the rest not attempted) [default: no cap].",
    ),
    click.option(
        "--send-window",
        metavar="HH:MM-HH:MM",
        callback=lambda _ctx, _param, value: parse_window(value),
        help="Send marketing messages only between these times, in each recipient's local "
        "time (zone from the number), e.g. 08:00-20:00 [default: any time].",
    ),
    click.option(
        "--wait-for-window/--no-wait-for-window",
        default=True,
        show_default=True,
        help="Hold a recipient outside its send window until it opens (or leave it not "
        "attempted, for a later rerun).",
    ),
    click.option(
        "--category",
        type=click.Choice(["marketing", "transactional"]),
        default="marketing",
        show_default=True,
        help="Send windows and frequency caps apply to marketing only.",
    ),
)


def parse_window(value: str | None) -> SendWindow | None:
    """``--send-window 08:00-20:00``."""
    if value is None:
        return None
    start, dash, end = value.partition("-")
    try:
        if not dash:
            raise InvalidInputError("expected HH:MM-HH:MM, e.g. 08:00-20:00")
        return SendWindow(start.strip(), end.strip())
    except InvalidInputError as exc:
        raise click.BadParameter(str(exc), param_hint="--send-window") from None


def default_policy_store() -> str:
    return str(journal_dir() / POLICY_FILE)


def campaign_policy(store: str | None, window: SendWindow | None) -> SendingPolicy | None:
    """The policy of a ``velstack bulk`` run: the named store, or the default one if it
    exists (no suppression was ever added otherwise: nothing is created for nothing)."""
    if store is None and window is None and not os.path.exists(default_policy_store()):
        return None
    return open_policy(store, send_window=window)


def open_policy(store: str | None, **settings: Any) -> SendingPolicy:
    """The policy on ``store`` (None: the default file)."""
    return SendingPolicy(os.path.expanduser(store) if store else default_policy_store(), **settings)
