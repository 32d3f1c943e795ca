"""``--failed-out``: the rows that were certainly not sent, as a CSV for a retry run.

Columns: the input's, then ``status`` and ``reason``. Rows whose outcome is
``unknown`` (they may have been delivered) are left out: resending them could
send twice. Rows skipped as duplicates or as already sent are left out too.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from types import TracebackType
from typing import IO

from .._bulk import BulkResult, BulkStatus
from .._files import open_private
from .bulkplan import cli_reason
from .csvinput import Row
from .errors import CliError

__all__ = ["FailedOut", "is_retryable"]


def is_retryable(result: BulkResult) -> bool:
    """Certainly not sent, and worth another try (an invalid number once corrected)."""
    if result.status in (BulkStatus.FAILED, BulkStatus.NOT_ATTEMPTED):
        return True
    # Skipped with an error: an invalid number. Without one: a duplicate or already sent.
    return result.status is BulkStatus.SKIPPED and result.error is not None


class FailedOut:
    """Writes retryable rows as they come: ``with FailedOut(path, input_path, columns) as out``."""

    def __init__(self, path: str, source: str, columns: Sequence[str]) -> None:
        self.path = path
        self._source = source
        self.rows = 0
        self._status, self._reason = (
            ("status", "reason")
            if not {"status", "reason"} & set(columns)
            else ("velstack_status", "velstack_reason")
        )
        self._columns = [*columns, self._status, self._reason]
        self._file: IO[str] | None = None
        self._writer: csv.DictWriter[str] | None = None

    def __enter__(self) -> FailedOut:
        if os.path.exists(self.path) and os.path.samefile(self.path, self._source):
            raise CliError(f"--failed-out {self.path} is the input file: choose another path")
        try:
            self._file = open_private(self.path)
        except OSError as exc:
            raise CliError(f"cannot write {self.path}: {exc.strerror or exc}") from None
        self._writer = csv.DictWriter(self._file, self._columns, extrasaction="ignore")
        self._writer.writeheader()
        return self

    def write(self, row: Row, result: BulkResult) -> None:
        assert self._writer is not None
        reason = None if result.reason is None else cli_reason(result.reason)
        record = {**row.fields, self._status: str(result.status), self._reason: reason}
        self._writer.writerow(record)
        self.rows += 1

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._file is not None:
            self._file.close()
