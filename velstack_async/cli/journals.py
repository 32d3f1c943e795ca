"""The campaign journals of ``velstack bulk``: where they are, what they hold, and the
CLI's record of a completed campaign.

Every run is journalled, so an interrupted or stopped campaign can be resumed.
Without ``--journal`` the journal goes to ``$VELSTACK_JOURNAL_DIR`` (default
``~/.local/state/velstack/journals``), named after the campaign (the CSV file's
absolute path, the template, the sender, the target): running the same command
again resumes it. The engine writes the journal; the CLI only reads it, between
runs. A completed campaign's record is a file beside its journal, and a
completed campaign is not sent again (``--new-campaign`` moves its journal aside).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import attrs

from .._bulk.journal import FORMAT, Row, read_meta
from .._files import open_private, private_directory, state_dir
from .output import CliError

__all__ = [
    "Completion",
    "JournalInfo",
    "archive_journal",
    "clear_completed",
    "default_journal",
    "file_stamp",
    "journal_dir",
    "list_journals",
    "mark_completed",
    "read_info",
    "remove_journal",
]

JOURNAL_DIR_ENV = "VELSTACK_JOURNAL_DIR"
SUFFIX = ".journal"
#: The CLI's record of a completed campaign, beside its journal (never in the engine's file).
COMPLETED = ".completed.json"
_SIDE_FILES = ("", "-wal", "-shm", "-journal", COMPLETED)
#: Journal row states as the CLI names them; ``attempting`` after a crash or abort is unknown.
STATE_NAMES = {
    Row.QUEUED: "queued",
    Row.ATTEMPTING: "unknown",
    Row.SENT: "sent",
    Row.FAILED: "failed",
    Row.UNKNOWN: "unknown",
    Row.SUPPRESSED: "skipped",
    Row.CAPPED: "skipped",
}


@attrs.frozen
class Completion:
    """When a campaign completed, and its summary then (counts, credits)."""

    at: datetime
    summary: dict[str, Any]


@attrs.frozen
class JournalInfo:
    """What a journal file holds."""

    path: str
    campaign: str  # its identity: a hash of the template and sender
    runs: int
    #: Recipients by state over every run: sent, failed, unknown, queued, skipped.
    counts: dict[str, int]
    completed: Completion | None
    modified: datetime
    size: int


def read_info(path: str) -> JournalInfo | None:
    """The journal at ``path``; None when there is no such file. `CliError` if unreadable."""
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror or exc}") from None
    with _connect(path) as conn:
        if not conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            return None  # an empty file: the engine makes it a new journal
        meta = read_meta(conn)
        if meta.get("format") != FORMAT:
            raise CliError(f"{path} is not a campaign journal")
        counts = dict.fromkeys(("sent", "failed", "unknown", "queued", "skipped"), 0)
        for state, count in conn.execute("SELECT state, count(*) FROM recipients GROUP BY state"):
            counts[STATE_NAMES.get(Row(state), "unknown")] += count
    modified = datetime.fromtimestamp(stat.st_mtime, timezone.utc)
    runs = int(meta.get("run", "0"))
    completed = read_completion(path)
    return JournalInfo(
        path, meta.get("campaign", ""), runs, counts, completed, modified, stat.st_size
    )


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


def read_completion(journal: str) -> Completion | None:
    """The completion record of the campaign of ``journal``, if it completed."""
    try:
        with open(journal + COMPLETED, encoding="utf-8") as handle:
            record = json.load(handle)
        return Completion(datetime.fromisoformat(record["at"]), record["summary"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CliError(f"cannot read {journal}{COMPLETED}: {exc}") from None


def mark_completed(journal: str, summary: dict[str, Any]) -> None:
    """Record that the campaign of ``journal`` completed now, with ``summary``."""
    now = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    target = journal + COMPLETED
    with open_private(target + ".tmp") as handle:
        json.dump({"at": now, "summary": summary}, handle)
    os.replace(target + ".tmp", target)


def clear_completed(journal: str) -> None:
    """Take the completion record off (the campaign is being resumed)."""
    with contextlib.suppress(FileNotFoundError):
        os.remove(journal + COMPLETED)


def journal_dir() -> Path:
    return state_dir(JOURNAL_DIR_ENV, "journals")


def default_journal(
    csv_path: str, message: str, sender: str, *, sandbox: bool, base_url: str
) -> str:
    """The journal path of this campaign (the directory is created). A sandbox campaign
    never shares one with a real one (a tried-out campaign must not look completed when
    run for real), nor do campaigns to different base URLs."""
    folder = journal_dir()
    try:
        private_directory(folder)
    except OSError as exc:
        raise CliError(
            f"cannot create the journal directory {folder} ({exc.strerror or exc}): "
            f"pass --journal PATH or set {JOURNAL_DIR_ENV}"
        ) from None
    target = "sandbox" if sandbox else base_url.rstrip("/")
    identity = "\0".join((os.path.abspath(csv_path), message, sender, target))
    digest = hashlib.sha256(identity.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    kind = "-sandbox" if sandbox else ""
    return str(folder / f"{Path(csv_path).stem}{kind}-{digest}{SUFFIX}")


def file_stamp(path: str) -> str:
    """A digest of a file's content (not its time: a fresh clone or a copy of the same
    file is the same campaign): whether it changed since a campaign ran."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return ""
    return f"sha256:{digest.hexdigest()}"


def list_journals() -> list[Path]:
    """The journals in `journal_dir`, oldest first."""
    folder = journal_dir()
    if not folder.is_dir():
        return []
    found = [p for p in folder.iterdir() if p.name.endswith(SUFFIX) and p.is_file()]
    return sorted(found, key=lambda p: (p.stat().st_mtime, p.name))


def archive_journal(path: str, when: datetime) -> str:
    """Rename a journal (and its side files) after ``when``; the new path."""
    stem = path[: -len(SUFFIX)] if path.endswith(SUFFIX) else path
    stamp = f"{stem}-{when.strftime('%Y%m%dT%H%M%S')}"
    target, n = f"{stamp}{SUFFIX}", 1
    while os.path.exists(target):  # never overwrite an earlier archived journal
        n += 1
        target = f"{stamp}-{n}{SUFFIX}"
    for suffix in _SIDE_FILES:
        with contextlib.suppress(FileNotFoundError):
            os.replace(path + suffix, target + suffix)
    return target


def remove_journal(path: str) -> None:
    """Delete a journal and SQLite's side files, if any."""
    for suffix in _SIDE_FILES:
        with contextlib.suppress(FileNotFoundError):
            os.remove(path + suffix)
