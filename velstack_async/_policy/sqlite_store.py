"""`SQLiteStore`: a policy store in one SQLite file (WAL), shared by the processes of a machine.

Each step is one ``BEGIN IMMEDIATE`` transaction, so processes sharing the file
take turns (``busy_timeout`` waits for the lock). The file, and the WAL and
shared-memory files SQLite makes beside it (they take the file's mode), are
readable by the owner only, whatever the umask.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from .._exceptions import PolicyStoreError
from .._files import create_private, private_directory
from .records import Admission, KeyRecord, KeyState, Suppression, Verdict
from .store import PolicyStore

__all__ = ["SQLiteStore"]

DAY = 86400.0
_SCHEMA = """
CREATE TABLE IF NOT EXISTS suppressions (number TEXT PRIMARY KEY, reason TEXT, added_at REAL);
CREATE TABLE IF NOT EXISTS send_keys (key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL,
  state TEXT NOT NULL, token TEXT NOT NULL, started_at REAL NOT NULL, expires_at REAL NOT NULL,
  summary TEXT);
CREATE TABLE IF NOT EXISTS spend (token TEXT PRIMARY KEY, at REAL NOT NULL, credits REAL);
CREATE INDEX IF NOT EXISTS spend_at ON spend (at);
CREATE TABLE IF NOT EXISTS frequency (number TEXT NOT NULL, at REAL NOT NULL, token TEXT);
CREATE INDEX IF NOT EXISTS frequency_number ON frequency (number, at);
CREATE INDEX IF NOT EXISTS frequency_token ON frequency (token);
"""


class SQLiteStore(PolicyStore):
    #: A read (the suppression check of a campaign without a frequency cap) takes well under
    #: a millisecond and never waits for a writer (WAL): it may run in the event loop.
    local_reads = True

    def __init__(self, path: Path) -> None:
        self.path = path
        self.location = str(path)
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._pid = 0
        #: Reads have their own connection: in WAL mode they never wait for a writer.
        self._read_lock = threading.Lock()
        self._reader: sqlite3.Connection | None = None
        self._reader_pid = 0
        self._connect()

    def _connect(self) -> sqlite3.Connection:
        """The connection of this process (a forked child opens its own)."""
        if self._db is not None and self._pid == os.getpid():
            return self._db
        self._db, self._pid = self._open(), os.getpid()
        return self._db

    def _open(self) -> sqlite3.Connection:
        try:
            private_directory(self.path.parent)
            create_private(self.path)
            db = sqlite3.connect(
                self.path, timeout=30.0, isolation_level=None, check_same_thread=False
            )
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            # One write transaction, its lock taken first (waiting up to the timeout): a
            # CREATE on its own reads the schema, then cannot upgrade once another process
            # wrote it meanwhile ("database is locked" at once, no waiting).
            db.executescript(f"BEGIN IMMEDIATE;{_SCHEMA}COMMIT;")
        except (OSError, sqlite3.Error) as exc:
            raise PolicyStoreError(f"cannot open the policy store {self.path}: {exc}") from None
        return db

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            db = self._connect()
            try:
                db.execute("BEGIN IMMEDIATE")
                try:
                    yield db
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
                db.execute("COMMIT")
            except sqlite3.Error as exc:
                raise PolicyStoreError(f"policy store {self.path}: {exc}") from None

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._read_lock:
            if self._reader is None or self._reader_pid != os.getpid():
                self._reader, self._reader_pid = self._open(), os.getpid()
            try:
                yield self._reader
            except sqlite3.Error as exc:
                raise PolicyStoreError(f"policy store {self.path}: {exc}") from None

    def add_suppressions(self, entries: Sequence[Suppression]) -> int:
        rows = [(e.number, e.reason, e.added_at.timestamp()) for e in entries]
        with self._write() as db:
            before = db.total_changes
            db.executemany("INSERT OR IGNORE INTO suppressions VALUES (?, ?, ?)", rows)
            return db.total_changes - before

    def remove_suppressions(self, numbers: Sequence[str]) -> int:
        with self._write() as db:
            before = db.total_changes
            db.executemany("DELETE FROM suppressions WHERE number = ?", [(n,) for n in numbers])
            return db.total_changes - before

    def suppressed(self, numbers: Sequence[str]) -> set[str]:
        with self._read() as db:
            return _suppressed(db, numbers)

    def suppressions(self) -> list[Suppression]:
        with self._read() as db:
            rows = db.execute("SELECT number, reason, added_at FROM suppressions ORDER BY number")
            return [
                Suppression(n, r, datetime.fromtimestamp(at, timezone.utc)) for n, r, at in rows
            ]

    def claim_key(
        self, key: str, fingerprint: str, token: str, now: float, expires: float
    ) -> KeyRecord | None:
        with self._write() as db:
            row = db.execute(
                "SELECT fingerprint, state, token, started_at, expires_at, summary "
                "FROM send_keys WHERE key = ?",
                (key,),
            ).fetchone()
            if row is not None and row[4] > now and row[2] != token:
                record = KeyRecord(row[0], row[1], row[2], row[3], row[5])
                if record.state != "not_sent" or record.fingerprint != fingerprint:
                    return record
            db.execute(
                "INSERT OR REPLACE INTO send_keys VALUES (?, ?, 'in_flight', ?, ?, ?, NULL)",
                (key, fingerprint, token, now, expires),
            )
            return None

    def finish_key(self, key: str, token: str, state: KeyState, summary: str | None) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE send_keys SET state = ?, summary = ? WHERE key = ? AND token = ?",
                (state, summary, key, token),
            )

    def admit(self, admission: Admission) -> Verdict:
        a = admission
        with self._write() as db:
            suppressed = _suppressed(db, a.numbers)
            if suppressed:
                return Verdict(False, suppressed=tuple(sorted(suppressed)))
            if a.frequency is not None:
                limit, window = a.frequency
                db.execute("DELETE FROM frequency WHERE at <= ?", (a.now - window,))
                capped = tuple(
                    n
                    for n in a.numbers
                    if db.execute(
                        "SELECT COUNT(*) FROM frequency WHERE number = ? AND at > ?",
                        (n, a.now - window),
                    ).fetchone()[0]
                    >= limit
                )
                if capped:
                    return Verdict(False, capped=capped)
            db.execute("DELETE FROM spend WHERE at <= ?", (a.now - DAY,))
            if a.spend_cap is not None:
                spent = db.execute(
                    "SELECT COALESCE(SUM(credits), 0) FROM spend WHERE at > ?", (a.now - DAY,)
                ).fetchone()[0]
                if spent + a.credits > a.spend_cap:
                    return Verdict(False, spent=float(spent))
            db.execute("INSERT INTO spend VALUES (?, ?, ?)", (a.token, a.now, a.credits))
            if a.frequency is not None:
                db.executemany(
                    "INSERT INTO frequency VALUES (?, ?, ?)",
                    [(n, a.now, a.token) for n in a.numbers],
                )
            return Verdict.ok()

    def screen(
        self, numbers: Sequence[str], token: str, now: float, frequency: tuple[int, float] | None
    ) -> list[str | None]:
        if frequency is None:  # nothing to count: a read, without the write lock
            with self._read() as db:
                found = _suppressed(db, numbers)
            return ["suppressed" if n in found else None for n in numbers]
        with self._write() as db:
            suppressed = _suppressed(db, numbers)
            verdicts: list[str | None] = []
            if frequency is not None:
                db.execute("DELETE FROM frequency WHERE at <= ?", (now - frequency[1],))
            for number in numbers:
                if number in suppressed:
                    verdicts.append("suppressed")
                    continue
                if frequency is not None:
                    limit, window = frequency
                    count = db.execute(
                        "SELECT COUNT(*) FROM frequency WHERE number = ? AND at > ?",
                        (number, now - window),
                    ).fetchone()[0]
                    if count >= limit:
                        verdicts.append("capped")
                        continue
                    db.execute("INSERT INTO frequency VALUES (?, ?, ?)", (number, now, token))
                verdicts.append(None)
            return verdicts

    def release(self, token: str, numbers: Sequence[str]) -> None:
        with self._write() as db:
            db.executemany(
                "DELETE FROM frequency WHERE rowid IN "
                "(SELECT rowid FROM frequency WHERE token = ? AND number = ? LIMIT 1)",
                [(token, n) for n in numbers],
            )

    def settle(self, token: str, numbers: Sequence[str], credits: float | None) -> None:
        with self._write() as db:
            if credits is None:
                db.execute("DELETE FROM spend WHERE token = ?", (token,))
                db.execute("DELETE FROM frequency WHERE token = ?", (token,))
            else:
                db.execute("UPDATE spend SET credits = ? WHERE token = ?", (credits, token))

    def close(self) -> None:
        with self._lock:
            if self._db is not None and self._pid == os.getpid():
                self._db.close()
            self._db = None
        with self._read_lock:
            if self._reader is not None and self._reader_pid == os.getpid():
                self._reader.close()
            self._reader = None


def _suppressed(db: sqlite3.Connection, numbers: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(numbers), 500):
        part = list(numbers[start : start + 500])
        marks = ",".join("?" * len(part))
        query = f"SELECT number FROM suppressions WHERE number IN ({marks})"
        found.update(row[0] for row in db.execute(query, part))
    return found
