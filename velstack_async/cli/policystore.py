"""Where the CLI's sending-policy store is: ``--policy-store``, ``$VELSTACK_POLICY_STORE``,
or a file beside the campaign journals (owner-only, as they are)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

import click

from .._exceptions import InvalidInputError
from .._policy.policy import SendingPolicy
from .._policy.window import SendWindow
from .journals import journal_dir

__all__ = [
    "POLICY_STORE_ENV",
    "campaign_policy",
    "default_policy_store",
    "open_policy",
    "parse_window",
    "policy_options",
    "policy_store_option",
]

POLICY_STORE_ENV = "VELSTACK_POLICY_STORE"
#: The default store's file name, in the journals' folder (not a ``.journal``: never listed).
POLICY_FILE = "sending-policy.db"
_F = TypeVar("_F", bound=Callable[..., Any])


def default_policy_store() -> str:
    return str(journal_dir() / POLICY_FILE)


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
    """A campaign's policy flags (``velstack bulk``, ``velstack campaign create``):
    ``--max-credits``, ``--send-window``, ``--[no-]wait-for-window``, ``--category``,
    ``--policy-store``."""

    def decorate(command: _F) -> _F:
        if store_default is None:
            command = policy_store_option(command)
        else:
            command = policy_store_option(command, store_default)
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
    if not dash:
        raise click.BadParameter(
            "expected HH:MM-HH:MM, e.g. 08:00-20:00", param_hint="--send-window"
        )
    try:
        return SendWindow(start.strip(), end.strip())
    except InvalidInputError as exc:
        raise click.BadParameter(str(exc), param_hint="--send-window") from None


def campaign_policy(store: str | None, window: SendWindow | None) -> SendingPolicy | None:
    """The policy of a ``velstack bulk`` run: the named store, or the default one if it
    exists (no suppression was ever added otherwise: nothing is created for nothing)."""
    if store is None and window is None and not os.path.exists(default_policy_store()):
        return None
    return open_policy(store, send_window=window)


def open_policy(store: str | None, **settings: Any) -> SendingPolicy:
    """The policy on ``store`` (None: the default file)."""
    return SendingPolicy(os.path.expanduser(store) if store else default_policy_store(), **settings)
