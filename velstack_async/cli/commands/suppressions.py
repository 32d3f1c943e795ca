"""The sending-policy store (``--policy-store``, else a file beside the journals) and
``velstack suppressions``: the opt-out list every send checks (no API key needed)."""

from __future__ import annotations

import functools
import os
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import anyio
import click

from ..._exceptions import InvalidInputError
from ..._phone import DEFAULT_REGION
from ..._policy.policy import SendingPolicy
from ..._policy.suppressions import SuppressionList
from ..._policy.window import SendWindow
from ..output import table
from ..session import Session
from .journals import journal_dir

__all__ = ["campaign_policy", "open_policy", "policy_options", "suppressions"]

_T = TypeVar("_T")
_F = TypeVar("_F", bound=Callable[..., Any])
POLICY_STORE_ENV = "VELSTACK_POLICY_STORE"
POLICY_FILE = "sending-policy.db"  # in the journals' folder (not a .journal: never listed)


def _store_option(default: str = f"{POLICY_FILE} in the journal folder") -> Callable[[_F], _F]:
    return click.option(
        "--policy-store",
        envvar=POLICY_STORE_ENV,
        metavar="PATH_OR_URL",
        help="The sending-policy store (suppressions, caps): a SQLite file or a redis:// URL "
        f"[env: {POLICY_STORE_ENV}; default: {default}].",
    )


policy_store_option = _store_option()


def _window(_ctx: click.Context, _param: click.Parameter, value: str | None) -> SendWindow | None:
    try:
        return None if value is None else SendWindow(*value.partition("-")[::2])
    except InvalidInputError as exc:
        raise click.BadParameter(f"{exc} (expected HH:MM-HH:MM, e.g. 08:00-20:00)") from None


def policy_options(store_default: str | None = None) -> Callable[[_F], _F]:
    options = (
        click.option(
            "--max-credits",
            type=click.IntRange(min=0),
            metavar="N",
            help="Spend at most N credits, then stop.",
        ),
        click.option(
            "--send-window",
            metavar="HH:MM-HH:MM",
            callback=_window,
            help="Send marketing messages only between these times, in each recipient's "
            "local time [default: any time].",
        ),
        click.option(
            "--wait-for-window/--no-wait-for-window",
            default=True,
            help="Hold a recipient outside its send window until it opens (or leave it not "
            "attempted).",
        ),
        click.option(
            "--category",
            type=click.Choice(["marketing", "transactional"]),
            default="marketing",
            help="Send windows and frequency caps apply to marketing only.",
        ),
        _store_option(store_default) if store_default else policy_store_option,
    )

    def decorate(command: _F) -> _F:
        return functools.reduce(lambda done, option: option(done), reversed(options), command)

    return decorate


def campaign_policy(store: str | None, window: SendWindow | None) -> SendingPolicy | None:
    """The named store, else the default one if it exists (nothing is made for nothing)."""
    if store is None and window is None and not (journal_dir() / POLICY_FILE).exists():
        return None
    return open_policy(store, send_window=window)


def open_policy(store: str | None, **settings: Any) -> SendingPolicy:
    path = os.path.expanduser(store) if store else journal_dir() / POLICY_FILE
    return SendingPolicy(str(path), **settings)


_region_option = click.option(
    "--region", default=DEFAULT_REGION, help="Region national numbers are read in."
)


def _run(store: str | None, region: str, work: Callable[[SuppressionList], Awaitable[_T]]) -> _T:
    policy = open_policy(store)
    try:
        return anyio.run(work, SuppressionList(policy, region.upper()))
    finally:
        policy.close()


@click.group()
def suppressions() -> None:
    """Numbers never to text (opted out). Every send checks this list first; no API key needed."""


@suppressions.command("add")
@click.argument("numbers", nargs=-1, required=True)
@click.option("--reason", help="Why (e.g. 'replied STOP').")
@policy_store_option
@_region_option
def add_command(
    numbers: tuple[str, ...], reason: str | None, policy_store: str | None, region: str
) -> None:
    """Suppress NUMBERS."""
    added = _run(policy_store, region, lambda s: s.add(numbers, reason=reason))
    Session.current().show({"added": added}, f"Suppressed {added} new number(s).")


@suppressions.command("remove")
@click.argument("numbers", nargs=-1, required=True)
@policy_store_option
@_region_option
def remove_command(numbers: tuple[str, ...], policy_store: str | None, region: str) -> None:
    """Take NUMBERS off the list."""
    removed = _run(policy_store, region, lambda s: s.remove(numbers))
    Session.current().show({"removed": removed}, f"Removed {removed} number(s).")


@suppressions.command("list")
@policy_store_option
def list_command(policy_store: str | None) -> None:
    """List the suppressed numbers."""
    entries = _run(policy_store, DEFAULT_REGION, lambda s: s.list())
    doc = [{"number": e.number, "reason": e.reason, "added_at": e.added_at} for e in entries]
    rows = [(e.number, e.reason or "", e.added_at.astimezone()) for e in entries]
    title = f"{len(entries)} suppressed number(s)"
    headers = ("Number", "Reason", "Added")
    Session.current().show(doc, table(rows, headers, title=title, no_wrap=("Number",)))


@suppressions.command("import")
@click.argument("csv_path", metavar="CSV", type=click.Path(dir_okay=False))
@policy_store_option
@_region_option
def import_command(csv_path: str, policy_store: str | None, region: str) -> None:
    """Suppress the numbers of CSV (a 'number' column or the first; optional 'reason')."""
    added = _run(policy_store, region, lambda s: s.import_csv(csv_path))
    Session.current().show({"added": added}, f"Suppressed {added} new number(s) from {csv_path}.")


@suppressions.command("export")
@click.argument("csv_path", metavar="CSV", type=click.Path(dir_okay=False))
@policy_store_option
def export_command(csv_path: str, policy_store: str | None) -> None:
    """Write the list to CSV (number,reason,added_at; readable by you only)."""
    count = _run(policy_store, DEFAULT_REGION, lambda s: s.export_csv(csv_path))
    Session.current().show({"exported": count}, f"Wrote {count} number(s) to {csv_path}.")
