"""``velstack journals list|show|prune``: the campaign journals ``velstack bulk`` keeps."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import click

from ..journals import JournalInfo, journal_dir, list_journals, read_info, remove_journal
from ..output import CliError, rows_table
from ..session import Session
from .options import confirm, confirm_option

__all__ = ["journals"]

_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_AGE = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$")


class Age(click.ParamType):  # type: ignore[type-arg]
    """A duration such as ``30d``, ``12h``, ``2w`` or ``90m``."""

    name = "age"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, timedelta):
            return value
        match = _AGE.match(str(value))
        if match is None:
            self.fail(f"{value!r} is not an age such as 30d, 12h, 2w or 90m", param, ctx)
        return timedelta(**{_UNITS[match[2]]: int(match[1])})


@click.group()
def journals() -> None:
    """Campaign journals kept by ``velstack bulk`` (in $VELSTACK_JOURNAL_DIR)."""


@journals.command("list")
def list_command() -> None:
    """List the journals: state, counts and last change."""
    session = Session.current()
    infos = []
    for path in list_journals():
        try:
            infos.append(_info(path))
        except CliError as exc:  # in use by a running campaign, or not a journal
            session.notice(f"skipped: {exc.message}")
    if session.json:
        session.emit_json([_document(info) for info in infos])
        return
    rows = [
        (
            Path(i.path).name,
            _state(i),
            i.counts["sent"],
            i.counts["failed"],
            i.counts["unknown"],
            i.runs,
            i.modified.astimezone(),
        )
        for i in infos
    ]
    headers = ("Journal", "State", "Sent", "Failed", "Unknown", "Runs", "Changed")
    session.out.print(rows_table(headers, rows, title=str(journal_dir()), no_wrap=("Journal",)))


@journals.command("show")
@click.argument("journal", metavar="NAME_OR_PATH")
def show_command(journal: str) -> None:
    """Show one journal: its campaign's state and counts."""
    session = Session.current()
    info = _info(_find(journal))
    pairs: list[tuple[str, object]] = [
        ("Path", info.path),
        ("State", _state(info)),
        ("Runs", info.runs),
        ("Sent", info.counts["sent"]),
        ("Failed", info.counts["failed"]),
        ("Unknown (may have been sent)", info.counts["unknown"]),
        ("Not attempted yet", info.counts["queued"]),
        ("Changed", info.modified.astimezone()),
    ]
    if info.completed is not None:
        summary = info.completed.summary
        pairs += [
            ("File", summary.get("file")),
            ("Credits used", summary.get("credit_used")),
            ("Credit left then", summary.get("credit_left")),
        ]
    session.show_record(_document(info), pairs, title="Journal")


@journals.command("prune")
@click.option(
    "--older-than",
    type=Age(),
    required=True,
    metavar="AGE",
    help="Delete journals last changed longer ago than AGE: 30d, 12h, 2w, 90m.",
)
@click.option(
    "--unfinished",
    is_flag=True,
    help="Also delete journals of campaigns that did not complete (a rerun could then "
    "send their rows again).",
)
@confirm_option
def prune_command(older_than: timedelta, unfinished: bool, yes: bool) -> None:
    """Delete old journals of completed campaigns."""
    session = Session.current()
    cutoff = datetime.now(timezone.utc) - older_than
    doomed = []
    for path in list_journals():
        try:
            info = _info(path)
        except CliError as exc:
            session.notice(f"kept: {exc.message}")
            continue
        if info.modified < cutoff and (info.completed is not None or unfinished):
            doomed.append(info)
    if doomed:
        confirm(yes, f"Delete {len(doomed)} journal(s) from {journal_dir()}?")
    for info in doomed:
        remove_journal(info.path)
    if session.json:
        session.emit_json({"deleted": [info.path for info in doomed]})
    else:
        session.out.print(f"Deleted {len(doomed)} journal(s).", markup=False)


def _find(journal: str) -> str:
    """A path, or the name of a journal in the journal directory (with or without .journal)."""
    candidates = [Path(journal), journal_dir() / journal, journal_dir() / f"{journal}.journal"]
    for candidate in candidates:
        if candidate.is_file():
            return str(candidate)
    raise click.BadParameter(f"no journal {journal!r} (see velstack journals list)")


def _info(path: Path | str) -> JournalInfo:
    info = read_info(str(path))
    if info is None:
        raise click.BadParameter(f"no journal {str(path)!r}")
    return info


def _state(info: JournalInfo) -> str:
    if info.completed is not None:
        return "completed " + info.completed.at.astimezone().strftime("%Y-%m-%d %H:%M")
    return "unfinished"


def _document(info: JournalInfo) -> dict[str, Any]:
    return {
        "path": info.path,
        "completed_at": None if info.completed is None else info.completed.at.isoformat(),
        "completed": None if info.completed is None else info.completed.summary,
        "runs": info.runs,
        **info.counts,
        "modified": info.modified.isoformat(),
        "size": info.size,
    }
