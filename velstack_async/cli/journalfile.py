"""A campaign journal as the CLI reads it: counts by state, runs, and its completion record.

The journal is the SQLite file the bulk engine writes (``velstack_async._bulk.journal``).
The CLI reads it between runs (never while a campaign holds it) and adds one
record of its own to the ``meta`` table when a campaign completes: when, and
what it sent. A completed campaign is not sent again by rerunning the command.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import attrs

from .._bulk.journal import FORMAT, Row, read_meta
from .errors import CliError

__all__ = [
    "Completion",
    "JournalInfo",
    "KeyStates",
    "clear_completed",
    "mark_completed",
    "read_info",
    "read_keys",
]

_COMPLETED_AT = "cli.completed_at"
_SUMMARY = "cli.summary"
#: Journal row states as the CLI names them; ``attempting`` after a crash or abort is unknown.
STATE_NAMES = {
    Row.QUEUED: "queued",
    Row.ATTEMPTING: "unknown",
    Row.SENT: "sent",
    Row.FAILED: "failed",
    Row.UNKNOWN: "unknown",
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
    #: The campaign's identity (a hash of its message template and sender).
    campaign: str
    #: Runs so far (each ``velstack bulk`` on it is one).
    runs: int
    #: Recipients by state over every run: sent, failed, unknown, queued.
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
        counts = dict.fromkeys(("sent", "failed", "unknown", "queued"), 0)
        for state, count in conn.execute("SELECT state, count(*) FROM recipients GROUP BY state"):
            counts[STATE_NAMES.get(Row(state), "unknown")] += count
    completed = None
    if _COMPLETED_AT in meta:
        completed = Completion(
            at=datetime.fromisoformat(meta[_COMPLETED_AT]),
            summary=json.loads(meta.get(_SUMMARY, "{}")),
        )
    return JournalInfo(
        path=path,
        campaign=meta.get("campaign", ""),
        runs=int(meta.get("run", "0")),
        counts=counts,
        completed=completed,
        modified=datetime.fromtimestamp(stat.st_mtime, timezone.utc),
        size=stat.st_size,
    )


def mark_completed(path: str, summary: dict[str, Any]) -> None:
    """Record in the journal that its campaign completed now, with ``summary``."""
    now = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    with _connect(path) as conn:
        conn.executemany(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
            [(_COMPLETED_AT, now), (_SUMMARY, json.dumps(summary))],
        )


def clear_completed(path: str) -> None:
    """Take a journal's completion record off (its campaign is being resumed)."""
    with _connect(path) as conn:
        conn.execute("DELETE FROM meta WHERE key IN (?, ?)", (_COMPLETED_AT, _SUMMARY))


@attrs.frozen
class KeyStates:
    """The journal's last run, and the state of some recipients in it."""

    run: int
    #: key -> (state, run that last saw it, message id of a sent one)
    states: dict[int, tuple[Row, int, str | None]]


def read_keys(path: str, keys: Iterable[int]) -> KeyStates:
    """The state of each of ``keys`` (E.164 digits as ints) that the journal holds.

    No journal yet (the campaign stopped before opening it): no state, run 0.
    """
    if not os.path.exists(path):
        return KeyStates(run=0, states={})
    with _connect(path) as conn:
        run = int(_meta(conn, path).get("run", "0"))
        states = {}
        for key in keys:
            found = conn.execute(
                "SELECT state, seen_run, message_id FROM recipients WHERE number = ?", (key,)
            ).fetchone()
            if found is not None:
                states[key] = (Row(found[0]), int(found[1]), found[2])
    return KeyStates(run=run, states=states)
