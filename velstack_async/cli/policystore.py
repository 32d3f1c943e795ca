"""Where the CLI's sending-policy store is: ``--policy-store``, ``$VELSTACK_POLICY_STORE``,
or a file beside the campaign journals (owner-only, as they are)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

import click

from .._policy.policy import SendingPolicy
from .journals import journal_dir

__all__ = ["POLICY_STORE_ENV", "default_policy_store", "open_policy", "policy_store_option"]

POLICY_STORE_ENV = "VELSTACK_POLICY_STORE"
#: The default store's file name, in the journals' folder (not a ``.journal``: never listed).
POLICY_FILE = "sending-policy.db"
_F = TypeVar("_F", bound=Callable[..., Any])


def default_policy_store() -> str:
    return str(journal_dir() / POLICY_FILE)


def policy_store_option(command: _F) -> _F:
    """``--policy-store PATH_OR_URL`` [env: VELSTACK_POLICY_STORE]."""
    return click.option(
        "--policy-store",
        envvar=POLICY_STORE_ENV,
        metavar="PATH_OR_URL",
        help="The sending-policy store (suppressions, caps): a SQLite file or a redis:// URL "
        f"[env: {POLICY_STORE_ENV}; default: {POLICY_FILE} in the journal folder].",
    )(command)


def open_policy(store: str | None, **settings: Any) -> SendingPolicy:
    """The policy on ``store`` (None: the default file)."""
    return SendingPolicy(os.path.expanduser(store) if store else default_policy_store(), **settings)
