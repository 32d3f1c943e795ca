"""``velstack suppressions add|remove|list|import|export``: the opt-out list every send checks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import anyio
import click

from ..._phone import DEFAULT_REGION
from ..._policy.suppressions import SuppressionList
from ..output import rows_table
from ..session import Session
from .options import open_policy, policy_store_option

__all__ = ["suppressions"]

_T = TypeVar("_T")


_region_option = click.option(
    "--region",
    default=DEFAULT_REGION,
    show_default=True,
    help="Region national numbers are read in.",
)


def _run(store: str | None, region: str, work: Callable[[SuppressionList], Awaitable[_T]]) -> _T:
    policy = open_policy(store)
    try:
        return anyio.run(work, SuppressionList(policy, region.upper()))
    finally:
        policy.close()


def _report(doc: dict[str, Any], text: str) -> None:
    session = Session.current()
    if session.json:
        session.emit_json(doc)
    else:
        session.out.print(text, markup=False)


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
    _report({"added": added}, f"Suppressed {added} new number(s).")


@suppressions.command("remove")
@click.argument("numbers", nargs=-1, required=True)
@policy_store_option
@_region_option
def remove_command(numbers: tuple[str, ...], policy_store: str | None, region: str) -> None:
    """Take NUMBERS off the list."""
    removed = _run(policy_store, region, lambda s: s.remove(numbers))
    _report({"removed": removed}, f"Removed {removed} number(s).")


@suppressions.command("list")
@policy_store_option
def list_command(policy_store: str | None) -> None:
    """List the suppressed numbers."""
    entries = _run(policy_store, DEFAULT_REGION, lambda s: s.list())
    session = Session.current()
    if session.json:
        session.emit_json(
            [
                {"number": e.number, "reason": e.reason, "added_at": e.added_at.isoformat()}
                for e in entries
            ]
        )
        return
    rows = [(e.number, e.reason or "", e.added_at.astimezone()) for e in entries]
    title = f"{len(entries)} suppressed number(s)"
    table = rows_table(("Number", "Reason", "Added"), rows, title=title, no_wrap=("Number",))
    session.out.print(table)


@suppressions.command("import")
@click.argument("csv_path", metavar="CSV", type=click.Path(dir_okay=False))
@policy_store_option
@_region_option
def import_command(csv_path: str, policy_store: str | None, region: str) -> None:
    """Suppress the numbers of CSV (a 'number' column or the first; optional 'reason')."""
    added = _run(policy_store, region, lambda s: s.import_csv(csv_path))
    _report({"added": added}, f"Suppressed {added} new number(s) from {csv_path}.")


@suppressions.command("export")
@click.argument("csv_path", metavar="CSV", type=click.Path(dir_okay=False))
@policy_store_option
def export_command(csv_path: str, policy_store: str | None) -> None:
    """Write the list to CSV (number,reason,added_at; readable by you only)."""
    count = _run(policy_store, DEFAULT_REGION, lambda s: s.export_csv(csv_path))
    _report({"exported": count}, f"Wrote {count} number(s) to {csv_path}.")
