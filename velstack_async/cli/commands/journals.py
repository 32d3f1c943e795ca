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
from .options import confirm, confirm_option, flag

__all__ = ["journals"]

_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_AGE = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$")


def _age(_ctx: click.Context, _param: click.Parameter, value: str) -> timedelta:
    """``--older-than``: a duration such as ``30d``, ``12h``, ``2w`` or ``90m``."""
    match = _AGE.match(value)
    if match is None:
        raise click.BadParameter(f"{value!r} is not an age such as 30d, 12h, 2w or 90m")
    return timedelta(**{_UNITS[match[2]]: int(match[1])})


@click.group()
def journals() -> None:
    """Campaign journals kept by ``velstack bulk`` (in $VELSTACK_JOURNAL_DIR)."""


@journals.command("list")
def list_command() -> None:
    """List the journals: state, counts and last change."""
    session = Session.current()
    infos = _readable("skipped")
    if session.json:
        session.emit_json([_document(info) for info in infos])
        return
    rows = [_row(info) for info in infos]
    headers = ("Journal", "State", "Sent", "Failed", "Unknown", "Runs", "Changed")
    session.out.print(rows_table(headers, rows, title=str(journal_dir()), no_wrap=("Journal",)))


@journals.command("show")
@click.argument("journal", metavar="NAME_OR_PATH")
def show_command(journal: str) -> None:
    """Show one journal: its campaign's state and counts."""
    found = next((p for p in _candidates(journal) if p.is_file()), None)
    info = None if found is None else read_info(str(found))
    if info is None:
        raise click.BadParameter(f"no journal {journal!r} (see velstack journals list)")
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
    Session.current().show_record(_document(info), pairs, title="Journal")


@journals.command("prune")
@click.option(
    "--older-than",
    callback=_age,
    required=True,
    metavar="AGE",
    help="Delete journals last changed longer ago than AGE: 30d, 12h, 2w, 90m.",
)
@flag(
    "--unfinished",
    help="Also delete journals of campaigns that did not complete (a rerun could then "
    "send their rows again).",
)
@confirm_option
def prune_command(older_than: timedelta, unfinished: bool, yes: bool) -> None:
    """Delete old journals of completed campaigns."""
    session = Session.current()
    cutoff = datetime.now(timezone.utc) - older_than
    doomed = [
        info
        for info in _readable("kept")
        if info.modified < cutoff and (info.completed is not None or unfinished)
    ]
    if doomed:
        confirm(yes, f"Delete {len(doomed)} journal(s) from {journal_dir()}?")
    for info in doomed:
        remove_journal(info.path)
    if session.json:
        session.emit_json({"deleted": [info.path for info in doomed]})
    else:
        session.out.print(f"Deleted {len(doomed)} journal(s).", markup=False)


def _candidates(journal: str) -> list[Path]:
    """A path, or the name of a journal in the journal directory (with or without .journal)."""
    return [Path(journal), journal_dir() / journal, journal_dir() / f"{journal}.journal"]


def _readable(verb: str) -> list[JournalInfo]:
    """The journals of the journal directory; one in use or not a journal is ``verb``."""
    infos = []
    for path in list_journals():
        try:
            info = read_info(str(path))
        except CliError as exc:  # in use by a running campaign, or not a journal
            Session.current().notice(f"{verb}: {exc.message}")
            continue
        if info is not None:
            infos.append(info)
    return infos


def _row(info: JournalInfo) -> tuple[object, ...]:
    counts = (info.counts[k] for k in ("sent", "failed", "unknown"))
    return (Path(info.path).name, _state(info), *counts, info.runs, info.modified.astimezone())


def _state(info: JournalInfo) -> str:
    if info.completed is not None:
        return "completed " + info.completed.at.astimezone().strftime("%Y-%m-%d %H:%M")
    return "unfinished"


def _document(info: JournalInfo) -> dict[str, Any]:
    done = info.completed
    return {
        "path": info.path,
        "completed_at": None if done is None else done.at.isoformat(),
        "completed": None if done is None else done.summary,
        "runs": info.runs,
        **info.counts,
        "modified": info.modified.isoformat(),
        "size": info.size,
    }
