"""The campaign's record of recipients: duplicate detection, and with a path, crash-safe resume.

One SQLite table keyed by the recipient's E.164 digits as an int, so memory stays
flat however many recipients. Without a path: a private temporary file (never
synced) that only answers "seen before in this run?". With a path: a durable
journal (WAL, ``synchronous=FULL``, one process at a time), where a row goes

    queued -> attempting -> sent | failed | unknown

``attempting`` is committed **before** the request, the outcome **before** the
result is reported: a killed process leaves no trace (sent on resume), an
``attempting`` row (``unknown`` on resume, resent only with ``resend_unknown``)
or the outcome. Commits of many workers are grouped into one transaction.
"""

from __future__ import annotations

import enum
import functools
import hashlib
import os
import sqlite3
from pathlib import Path
from typing import Protocol, runtime_checkable

import anyio

from .._exceptions import InvalidInputError, JournalError
from .._files import create_private

__all__ = [
    "Journal",
    "JournalError",
    "JournalOpener",
    "JournalStore",
    "Row",
    "Verdict",
    "campaign_id",
    "earlier_verdict",
    "read_meta",
]

FORMAT = "velstack-bulk-journal/1"
_CACHE_KIB = 2048


class Row(enum.IntEnum):
    QUEUED = 0
    ATTEMPTING = 1
    SENT = 2
    FAILED = 3
    UNKNOWN = 4
    #: The sending policy's skips, kept by a resumed campaign.
    SUPPRESSED = 5
    CAPPED = 6


class Verdict(enum.IntEnum):
    NEW = 0
    DUPLICATE = 1
    ALREADY_SENT = 2
    ALREADY_UNKNOWN = 3
    ALREADY_SUPPRESSED = 4
    ALREADY_CAPPED = 5


def campaign_id(message: str | None, sender: str) -> str:
    """What identifies a campaign in its journal: a hash of its template and sender."""
    text = f"{message if message is not None else ''}\0{sender}"
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class JournalStore(Protocol):
    """An open journal (SQLite `Journal`, ``RedisJournal``); ``durable``: outcomes recorded.
    ``close()`` is synchronous and idempotent; an ``async aclose()``, if any, follows it."""

    durable: bool

    async def aclassify(self, keys: list[int]) -> list[Verdict]: ...
    async def record_many(self, rows: list[tuple[int, str | None, int]]) -> None: ...
    def close(self) -> None: ...


@runtime_checkable
class JournalOpener(Protocol):
    """What ``journal=`` takes besides a path (``RedisJournal``): `open_journal` starts a run
    of ``campaign`` (another campaign's journal: `InvalidInputError`), rows left attempting
    become unknown."""

    async def open_journal(self, campaign: str, *, resend_unknown: bool) -> JournalStore: ...


_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS recipients ("
    " number INTEGER PRIMARY KEY, state INTEGER NOT NULL,"
    " seen_run INTEGER NOT NULL, message_id TEXT)",
)
_INSERT = "INSERT OR IGNORE INTO recipients (number, state, seen_run) VALUES (?, 0, ?)"
_UPDATE = "UPDATE recipients SET state = ?, message_id = ? WHERE number = ?"
#: ``INSERT ... RETURNING`` exists from SQLite 3.35 (2021); older ones insert row by row.
_RETURNING = sqlite3.sqlite_version_info >= (3, 35, 0)


def earlier_verdict(state: int, resend_unknown: bool) -> Verdict:
    """What a row an earlier run left in ``state`` means for this run (`Verdict.NEW`: sent
    again, as queued). Every journal (SQLite, Redis) decides it here."""
    if state == Row.SENT:
        return Verdict.ALREADY_SENT
    if state == Row.UNKNOWN and not resend_unknown:
        return Verdict.ALREADY_UNKNOWN
    if state == Row.SUPPRESSED:  # the sending policy's skips, kept
        return Verdict.ALREADY_SUPPRESSED
    return Verdict.ALREADY_CAPPED if state == Row.CAPPED else Verdict.NEW


@functools.lru_cache(maxsize=128)
def _insert_returning(count: int) -> str:
    """Insert ``count`` keys (parameters: the run, then the keys), returning those inserted.
    Plain ``?`` only: Python 3.12.0-3.12.3 warn on numbered ones (``?1``)."""
    keys = ",".join(["(?)"] * count)
    return (
        "INSERT OR IGNORE INTO recipients (number, state, seen_run)"
        f" SELECT column1, 0, ? FROM (VALUES {keys}) RETURNING number"
    )


class Journal:
    """The recipients table of one campaign run. Open with `temporary` or `open`."""

    def __init__(
        self, conn: sqlite3.Connection, *, durable: bool, run: int, resend_unknown: bool
    ) -> None:
        self._conn, self.durable = conn, durable
        self._run, self._resend_unknown = run, resend_unknown
        #: One SQLite call at a time, in a worker thread (durable journals only).
        self._limiter = anyio.CapacityLimiter(1)
        self._pending: list[tuple[int, str | None, int]] = []
        self._queued = self._committed = 0
        self._committing = False
        self._changed: anyio.Event | None = None
        self._error: BaseException | None = None

    @classmethod
    def temporary(cls) -> Journal:
        """Duplicate detection only: a private temporary file, never synced."""
        conn = sqlite3.connect("", isolation_level=None, check_same_thread=False)
        _pragmas(conn, "journal_mode=OFF", "synchronous=OFF")
        conn.execute(_SCHEMA[1])
        return cls(conn, durable=False, run=1, resend_unknown=False)

    @classmethod
    async def open(
        cls, path: str | os.PathLike[str], campaign: str, *, resend_unknown: bool
    ) -> Journal:
        """Open or create the durable journal at ``path`` for a new run of ``campaign``."""
        with anyio.CancelScope(shield=True):  # a cancelled open still closes what it opened
            conn, run = await anyio.to_thread.run_sync(_connect, os.fspath(path), campaign)
        return cls(conn, durable=True, run=run, resend_unknown=resend_unknown)

    def classify(self, keys: list[int]) -> list[Verdict]:
        """Mark ``keys`` seen in this run and say what to do with each (blocking)."""
        conn, run = self._conn, self._run
        if not conn.in_transaction:
            conn.execute("BEGIN")
        if _RETURNING:  # keys: a `source.BATCH`, far below SQLite's parameter limit
            fresh = {row[0] for row in conn.execute(_insert_returning(len(keys)), [run, *keys])}
        else:
            fresh = {key for key in keys if conn.execute(_INSERT, (key, run)).rowcount}
        verdicts = [self._verdict(key, fresh) for key in keys]
        if not self.durable:
            conn.execute("COMMIT")
        return verdicts

    def _verdict(self, key: int, fresh: set[int]) -> Verdict:
        """New at its first place in ``fresh`` (inserted now); else seen in this run, or
        (durable) what an earlier run did."""
        if key in fresh:
            fresh.discard(key)
            return Verdict.NEW
        if not self.durable:
            return Verdict.DUPLICATE
        conn = self._conn
        state, seen_run = conn.execute(
            "SELECT state, seen_run FROM recipients WHERE number = ?", (key,)
        ).fetchone()
        if seen_run == self._run:
            return Verdict.DUPLICATE
        verdict = earlier_verdict(state, self._resend_unknown)
        if verdict is Verdict.NEW:
            state = Row.QUEUED
        conn.execute(
            "UPDATE recipients SET state = ?, seen_run = ? WHERE number = ?",
            (state, self._run, key),
        )
        return verdict

    async def aclassify(self, keys: list[int]) -> list[Verdict]:
        """`classify` without blocking the event loop on the durable journal."""
        if not self.durable:
            return self.classify(keys)  # a temporary file, never synced: microseconds
        return await anyio.to_thread.run_sync(self.classify, keys, limiter=self._limiter)

    async def record_many(self, rows: list[tuple[int, str | None, int]]) -> None:
        """Set ``(state, message_id, key)`` rows; return once durable (grouped with other
        workers': whoever finds no commit running writes everything pending)."""
        self._pending.extend(rows)
        self._queued += 1
        seq = self._queued
        while self._committed < seq:
            if self._error is not None:
                raise JournalError(f"the campaign journal failed: {self._error}") from self._error
            if self._committing and self._changed is not None:
                await self._changed.wait()
            else:
                await self._commit()

    async def _commit(self) -> None:
        self._committing = True
        changed = self._changed = anyio.Event()
        batch, self._pending = self._pending, []
        last = self._queued
        try:
            # Shielded: a cancelled campaign still learns whether this commit happened.
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(self._write, batch, limiter=self._limiter)
            self._committed = last
        except Exception as exc:
            self._error = exc  # raised by `record_many`, to every writer waiting
        finally:
            self._committing = False
            changed.set()

    def _write(self, batch: list[tuple[int, str | None, int]]) -> None:
        conn = self._conn
        if not conn.in_transaction:
            conn.execute("BEGIN")
        conn.executemany(_UPDATE, batch)
        conn.execute("COMMIT")

    def close(self) -> None:
        """Commit what is left (only ``queued`` marks) and close. Blocking, brief."""
        try:
            if self.durable and self._conn.in_transaction and self._error is None:
                self._conn.execute("COMMIT")
        finally:
            self._conn.close()


def _connect(name: str, campaign: str) -> tuple[sqlite3.Connection, int]:
    try:
        if os.path.isdir(os.path.dirname(os.path.abspath(name))):
            create_private(Path(name))  # phone numbers: the owner's only (WAL files follow)
        conn = sqlite3.connect(name, isolation_level=None, check_same_thread=False, timeout=0)
    except (sqlite3.Error, ValueError) as exc:
        raise InvalidInputError(f"journal {name!r}: cannot open it ({exc})") from None
    try:
        return conn, _start_run(conn, name, campaign)
    except BaseException:
        conn.close()
        raise


def _start_run(conn: sqlite3.Connection, name: str, campaign: str) -> int:
    try:
        conn.execute("PRAGMA locking_mode=EXCLUSIVE")
        # Only a new file or a journal, checked before anything writes (WAL mode is
        # persistent): never write into someone else's database.
        if conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            meta = read_meta(conn)
            if meta.get("format") != FORMAT or not meta.get("run", "").isdigit():
                raise InvalidInputError(f"journal {name!r} is not a campaign journal")
        _pragmas(conn, "journal_mode=WAL", "synchronous=FULL")
        conn.execute("BEGIN IMMEDIATE")
        for statement in _SCHEMA:
            conn.execute(statement)
        meta = read_meta(conn)
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc):
            raise InvalidInputError(
                f"journal {name!r} is in use by another running campaign"
            ) from None
        raise InvalidInputError(f"journal {name!r}: cannot open it ({exc})") from None
    except sqlite3.DatabaseError as exc:
        raise InvalidInputError(f"journal {name!r} is not a campaign journal ({exc})") from None
    if meta and meta.get("campaign") != campaign:
        raise InvalidInputError(
            f"journal {name!r} belongs to another campaign (its message template or sender "
            "differ): use a new journal path for a new campaign"
        )
    run = int(meta.get("run", "0")) + 1
    conn.executemany(
        "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
        [("format", FORMAT), ("campaign", campaign), ("run", str(run))],
    )
    conn.execute("UPDATE recipients SET state = ? WHERE state = ?", (Row.UNKNOWN, Row.ATTEMPTING))
    conn.execute("COMMIT")
    return run


def _pragmas(conn: sqlite3.Connection, *pragmas: str) -> None:
    for pragma in (*pragmas, f"cache_size=-{_CACHE_KIB}"):
        conn.execute(f"PRAGMA {pragma}")


def read_meta(conn: sqlite3.Connection) -> dict[str, str]:
    """A journal's ``meta`` table ({} when there is none); a locked database raises."""
    try:
        return dict(conn.execute("SELECT key, value FROM meta").fetchall())
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc):
            raise
        return {}
