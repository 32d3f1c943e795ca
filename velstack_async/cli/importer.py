"""``velstack contacts import``: add a CSV file's rows to a group, a few at a time."""

from __future__ import annotations

import anyio
import attrs

from .._client import AsyncVelstack
from .._exceptions import (
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    VelstackError,
)
from .._phone import InvalidNumber, normalize
from .._redact import mask_phone
from .csvinput import CsvFile, Row
from .output import rows_table
from .progress import LiveProgress
from .session import Session

__all__ = ["ImportReport", "import_contacts", "show_import"]

#: Errors after which no other row can succeed: stop the import.
_FATAL = (AuthenticationError, PermissionDeniedError, NotFoundError)
#: Failures listed one by one (all are counted).
MAX_LISTED = 1000
_SHOWN = 10


@attrs.define
class Failure:
    line: int
    phone_number: str
    reason: str


@attrs.define
class ImportReport:
    group_id: str
    added: int = 0
    duplicates: int = 0
    #: Skipped and listed, as ``velstack bulk`` does: not a failure (exit code 0).
    invalid_numbers: int = 0
    failed: int = 0
    failures: list[Failure] = attrs.field(factory=list)


async def import_contacts(
    client: AsyncVelstack, session: Session, source: CsvFile, group_id: str, concurrency: int
) -> ImportReport:
    """Add every row of ``source`` to ``group_id``; stop at an error no row can get past."""
    phone_column = source.phone_column()
    columns = {
        "first_name": source.find_column("first_name"),
        "last_name": source.find_column("last_name"),
        "email_address": source.find_column("email_address", "email"),
    }
    await client.groups.get(group_id)  # an unknown group fails once, not once a row
    total = source.row_count
    report = ImportReport(group_id)
    seen: set[str] = set()
    fatal: list[VelstackError] = []
    slots = anyio.Semaphore(concurrency)
    stats = (
        ("added", "added", "green"),
        ("failed", "failed", "red"),
        ("skipped", "skipped", "yellow"),
    )

    async def add(row: Row, bar: LiveProgress) -> None:
        phone = row.fields[phone_column]
        names = {k: (row.fields[c].strip() or None) if c else None for k, c in columns.items()}
        try:
            await client.contacts.create(group_id=group_id, phone_number=phone, **names)
        except _FATAL as exc:
            fatal.append(exc)
            tg.cancel_scope.cancel()
            return
        except VelstackError as exc:
            _fail(report, row.line, phone, exc.message)
            bar.advance(failed=1)
            return
        finally:
            slots.release()
        report.added += 1
        bar.advance(added=1)

    with LiveProgress(session.err, description="Importing", total=total, stats=stats) as bar:
        async with anyio.create_task_group() as tg:
            with source.rows() as rows:
                for row in rows:
                    phone = row.fields[phone_column]
                    try:
                        key = normalize(phone.strip())
                    except InvalidNumber as exc:
                        report.invalid_numbers += 1
                        _list(report, row.line, phone, str(exc))
                        bar.advance(skipped=1)
                        continue
                    if key in seen:
                        report.duplicates += 1
                        bar.advance(skipped=1)
                        continue
                    seen.add(key)
                    await slots.acquire()
                    tg.start_soon(add, row, bar)
    if fatal:
        raise fatal[0]
    return report


def _fail(report: ImportReport, line: int, phone: str, reason: str) -> None:
    report.failed += 1
    _list(report, line, phone, reason)


def _list(report: ImportReport, line: int, phone: str, reason: str) -> None:
    if len(report.failures) < MAX_LISTED:
        report.failures.append(Failure(line, phone, reason))


def show_import(session: Session, report: ImportReport) -> None:
    """The import's outcome; failed rows by line, phone numbers masked."""
    session.show_record(
        report,
        [
            ("Group", report.group_id),
            ("Added", report.added),
            ("Duplicates skipped", report.duplicates),
            ("Invalid numbers skipped", report.invalid_numbers),
            ("Failed", report.failed),
        ],
        title="Contacts import",
    )
    if report.failures and not session.json:
        rows = [(f.line, mask_phone(f.phone_number), f.reason) for f in report.failures[:_SHOWN]]
        listed = report.failed + report.invalid_numbers
        more = listed - len(rows)
        title = "Rows not added" + (f" (first {len(rows)} of {listed:,})" if more else "")
        session.out.print(rows_table(("Line", "Phone", "Reason"), rows, title=title))
