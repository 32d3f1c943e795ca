"""A campaign journal as the CLI reads it: counts by state, runs, and its completion record.

The journal is the SQLite file the bulk engine writes (``velstack_async._bulk.journal``).
The CLI only reads it, between runs (never while a campaign holds it). Its own
record of a completed campaign (when, and what it sent) is a file beside the
journal (`journals.read_completion`); a completed campaign is not sent again by
rerunning the command.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import attrs

from .._bulk.journal import FORMAT, Row, read_meta
from .errors import CliError
from .journals import Completion, read_completion

__all__ = ["Completion", "JournalInfo", "read_info"]

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
class JournalInfo:
    """What a journal file holds."""

    path: str
    #: The campaign's identity (a hash of its message template and sender).
    campaign: str
    #: Runs so far (each ``velstack bulk`` on it is one).
    runs: int
    #: Recipients by state over every run: sent, failed, unknown, queued, skipped (by the
    #: sending policy).
    counts: dict[str, int]
    completed: Completion | None
    modified: datetime
    size: int


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


def _meta(conn: sqlite3.Connection, path: str) -> dict[str, str]:
    meta = read_meta(conn)
    if meta.get("format") != FORMAT:
        raise CliError(f"{path} is not a campaign journal")
    return meta


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
        meta = _meta(conn, path)
        counts = dict.fromkeys(("sent", "failed", "unknown", "queued", "skipped"), 0)
        for state, count in conn.execute("SELECT state, count(*) FROM recipients GROUP BY state"):
            counts[STATE_NAMES.get(Row(state), "unknown")] += count
    return JournalInfo(
        path=path,
        campaign=meta.get("campaign", ""),
        runs=int(meta.get("run", "0")),
        counts=counts,
        completed=read_completion(path, meta),
        modified=datetime.fromtimestamp(stat.st_mtime, timezone.utc),
        size=stat.st_size,
    )
