"""``velstack journals`` and the journals of ``velstack bulk`` (by default in
$VELSTACK_JOURNAL_DIR, named after the campaign). The engine writes a journal; the CLI only
reads it between runs, and records a completed campaign in a file beside it."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import attrs
import click

from ..._bulk.journal import FORMAT, Row, read_meta
from ..._files import open_private, private_directory, state_dir
from ..output import CliError, table
from ..session import Session, confirm, confirm_option, flag

__all__ = ["COMPLETED", "JournalInfo", "archive_journal", "default_journal", "file_stamp"]
__all__ += ["journal_dir", "journals", "mark_completed", "read_info", "remove_journal"]

JOURNAL_DIR_ENV = "VELSTACK_JOURNAL_DIR"
SUFFIX = ".journal"
COMPLETED = ".completed.json"
_SIDE_FILES = ("", "-wal", "-shm", "-journal", COMPLETED)
#: Row states as the CLI names them; ``attempting`` after a crash or abort is unknown.
STATE_NAMES = {Row.QUEUED: "queued", Row.SENT: "sent", Row.FAILED: "failed"}
STATE_NAMES |= {Row.SUPPRESSED: "skipped", Row.CAPPED: "skipped"}
_AGE = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


@attrs.frozen
class Completion:
    at: datetime
    summary: dict[str, Any]  # the campaign's summary then (counts, credits)


@attrs.frozen
class JournalInfo:
    path: str
    campaign: str  # its identity: a hash of the template and sender
    runs: int
    counts: dict[str, int]  # recipients by state: sent, failed, unknown, queued, skipped
    completed: Completion | None
    modified: datetime
    size: int


def read_info(path: str) -> JournalInfo | None:
    """The journal at ``path``; None when there is no such file (or an empty one)."""
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror or exc}") from None
    with _connect(path) as conn:
        if not conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            return None  # the engine makes it a new journal
        meta = read_meta(conn)
        if meta.get("format") != FORMAT:
            raise CliError(f"{path} is not a campaign journal")
        counts = dict.fromkeys(("sent", "failed", "unknown", "queued", "skipped"), 0)
        for state, count in conn.execute("SELECT state, count(*) FROM recipients GROUP BY state"):
            counts[STATE_NAMES.get(Row(state), "unknown")] += count
    try:
        with open(path + COMPLETED, encoding="utf-8") as handle:
            record = json.load(handle)
        done = Completion(datetime.fromisoformat(record["at"]), record["summary"])
    except FileNotFoundError:
        done = None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CliError(f"cannot read {path}{COMPLETED}: {exc}") from None
    modified = datetime.fromtimestamp(stat.st_mtime, timezone.utc)
    runs = int(meta.get("run", "0"))
    return JournalInfo(path, meta.get("campaign", ""), runs, counts, done, modified, stat.st_size)


@contextlib.contextmanager
def _connect(path: str) -> Iterator[sqlite3.Connection]:
    uri = Path(path).absolute().as_uri() + "?mode=rw"  # never create a file that is not there
    try:
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=0)
    except sqlite3.Error as exc:
        raise CliError(f"journal {path}: cannot open it ({exc})") from None
    try:
        yield conn
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc):
            raise CliError(f"journal {path} is in use by a running campaign") from None
        raise CliError(f"journal {path}: cannot read it ({exc})") from None
    except sqlite3.DatabaseError as exc:
        raise CliError(f"journal {path} is not a campaign journal ({exc})") from None
    finally:
        conn.close()


def mark_completed(journal: str, summary: dict[str, Any]) -> None:
    now = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    target = journal + COMPLETED
    with open_private(target + ".tmp") as handle:
        json.dump({"at": now, "summary": summary}, handle)
    os.replace(target + ".tmp", target)


def journal_dir() -> Path:
    return state_dir(JOURNAL_DIR_ENV, "journals")


def default_journal(csv_path: str, message: str, sender: str, target: str) -> str:
    """This campaign's journal: one per file, message, sender and target URL (or sandbox)."""
    folder = journal_dir()
    try:
        private_directory(folder)
    except OSError as exc:
        raise CliError(
            f"cannot create the journal directory {folder} ({exc.strerror or exc}): "
            f"pass --journal PATH or set {JOURNAL_DIR_ENV}"
        ) from None
    identity = "\0".join((os.path.abspath(csv_path), message, sender, target.rstrip("/")))
    digest = hashlib.sha256(identity.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    kind = "-sandbox" if target == "sandbox" else ""
    return str(folder / f"{Path(csv_path).stem}{kind}-{digest}{SUFFIX}")


def file_stamp(path: str) -> str:
    """A digest of a file's content (not its time: a copy is the same campaign)."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return ""
    return f"sha256:{digest.hexdigest()}"


def archive_journal(path: str, when: datetime) -> str:
    """Rename a journal (and its side files) after ``when``, never over an earlier one."""
    stamp = f"{path.removesuffix(SUFFIX)}-{when.strftime('%Y%m%dT%H%M%S')}"
    target, n = f"{stamp}{SUFFIX}", 1
    while os.path.exists(target):
        n += 1
        target = f"{stamp}-{n}{SUFFIX}"
    for suffix in _SIDE_FILES:
        with contextlib.suppress(FileNotFoundError):
            os.replace(path + suffix, target + suffix)
    return target


def remove_journal(path: str, suffixes: tuple[str, ...] = _SIDE_FILES) -> None:
    for suffix in suffixes:
        with contextlib.suppress(FileNotFoundError):
            os.remove(path + suffix)


@click.group()
def journals() -> None:
    """Campaign journals kept by ``velstack bulk`` (in $VELSTACK_JOURNAL_DIR)."""


@journals.command("list")
def list_command() -> None:
    """List the journals: state, counts and last change."""
    infos = _readable("skipped")
    counts = ("sent", "failed", "unknown")
    rows = [
        (Path(i.path).name, _state(i), *map(i.counts.get, counts), i.runs, i.modified.astimezone())
        for i in infos
    ]
    headers = ("Journal", "State", "Sent", "Failed", "Unknown", "Runs", "Changed")
    view = table(rows, headers, title=str(journal_dir()), no_wrap=("Journal",))
    Session.current().show([_document(info) for info in infos], view)


@journals.command("show")
@click.argument("journal", metavar="NAME_OR_PATH")
def show_command(journal: str) -> None:
    """Show one journal: its campaign's state and counts."""
    names = (Path(journal), journal_dir() / journal, journal_dir() / f"{journal}{SUFFIX}")
    found = next((p for p in names if p.is_file()), None)
    info = None if found is None else read_info(str(found))
    if info is None:
        raise click.BadParameter(f"no journal {journal!r} (see velstack journals list)")
    pairs: list[tuple[str, object]] = [("Path", info.path), ("State", _state(info))]
    counts = {"sent": "Sent", "failed": "Failed", "unknown": "Unknown (may have been sent)"}
    counts["queued"] = "Not attempted yet"
    pairs += [("Runs", info.runs), *((label, info.counts[k]) for k, label in counts.items())]
    pairs.append(("Changed", info.modified.astimezone()))
    if info.completed is not None:
        then = info.completed.summary
        pairs += [("File", then.get("file")), ("Credits used", then.get("credit_used"))]
        pairs.append(("Credit left then", then.get("credit_left")))
    Session.current().show(_document(info), table(pairs, title="Journal"))


def _age(_ctx: click.Context, _param: click.Parameter, value: str) -> timedelta:
    match = _AGE.match(value)
    if match is None:
        raise click.BadParameter(f"{value!r} is not an age such as 30d, 12h, 2w or 90m")
    return timedelta(**{_UNITS[match[2]]: int(match[1])})


@journals.command("prune")
@click.option(
    "--older-than",
    callback=_age,
    required=True,
    metavar="AGE",
    help="Delete journals last changed longer ago than AGE: 30d, 12h, 2w, 90m.",
)
@flag("--unfinished", help="Also delete journals of campaigns that did not complete.")
@confirm_option
def prune_command(older_than: timedelta, unfinished: bool, yes: bool) -> None:
    """Delete old journals of completed campaigns."""
    cutoff = datetime.now(timezone.utc) - older_than
    old = [info for info in _readable("kept") if info.modified < cutoff]
    doomed = [info for info in old if info.completed is not None or unfinished]
    if doomed:
        confirm(yes, f"Delete {len(doomed)} journal(s) from {journal_dir()}?")
    for info in doomed:
        remove_journal(info.path)
    doc = {"deleted": [info.path for info in doomed]}
    Session.current().show(doc, f"Deleted {len(doomed)} journal(s).")


def _readable(verb: str) -> list[JournalInfo]:
    """The journals, oldest first; one in use or not a journal is ``verb`` (a notice)."""
    infos, found = [], [p for p in journal_dir().glob(f"*{SUFFIX}") if p.is_file()]
    for path in sorted(found, key=lambda p: (p.stat().st_mtime, p.name)):
        try:
            if (info := read_info(str(path))) is not None:
                infos.append(info)
        except CliError as exc:
            Session.current().notice(f"{verb}: {exc.message}")
    return infos


def _state(info: JournalInfo) -> str:
    if info.completed is not None:
        return "completed " + info.completed.at.astimezone().strftime("%Y-%m-%d %H:%M")
    return "unfinished"


def _document(info: JournalInfo) -> dict[str, Any]:
    done, doc = info.completed, dict[str, Any](path=info.path)
    doc["completed_at"] = None if done is None else done.at.isoformat()
    doc |= {"completed": None if done is None else done.summary, "runs": info.runs, **info.counts}
    return doc | {"modified": info.modified.isoformat(), "size": info.size}
