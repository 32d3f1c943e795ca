"""Reading recipient and contact CSV files: header first, then rows streamed one at a time.

The file is UTF-8 (a byte-order mark, as Excel writes, is fine) with a header
row. The delimiter is the one of ``,``, ``;`` or tab the header uses most.
The file is read strictly, and checked whole when opened (one pass, constant
memory), so nothing is sent from a broken file: a quote that never closes, text
after a closing quote, or a row with more or fewer fields than the header is a
`CsvError` naming the line where the bad row starts. A quoted field may hold
newlines. Rows are then read lazily, so a file of millions of rows is never held
in memory.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Protocol, TypeVar

import attrs

from .errors import CliError

__all__ = ["PHONE_COLUMNS", "CsvError", "CsvFile", "Row"]

#: The column holding the phone number, by preference.
PHONE_COLUMNS = ("phone_number", "recipient")
_DELIMITERS = (",", ";", "\t")
_T = TypeVar("_T")


class _Reader(Protocol):
    """What `csv.reader` returns (its class is not public under a stable name)."""

    @property
    def line_num(self) -> int: ...

    def __next__(self) -> list[str]: ...


class CsvError(CliError):
    """The file cannot be read, or does not have the columns needed (exit code 6)."""


@attrs.frozen
class Row:
    """One data row: its (last) line number in the file and its values by column name."""

    line: int
    fields: dict[str, str]


@attrs.frozen
class CsvFile:
    """A CSV file whose header was read and whose rows were checked."""

    path: str
    columns: tuple[str, ...]
    delimiter: str
    #: How many data rows (blank lines not counted) the file had when opened.
    row_count: int = 0

    @classmethod
    def open(cls, path: str) -> CsvFile:
        """Read the header of ``path`` and check every row; `CsvError` if the file is
        unreadable, empty or not well-formed (see the module's docstring)."""
        with _opened(path) as handle:
            first = _guard(path, 1, handle.readline)
            if not first.strip():
                raise CsvError(f"{path}: no header row (the file is empty)")
            delimiter = max(_DELIMITERS, key=first.count)
            handle.seek(0)
            reader = csv.reader(handle, delimiter=delimiter, strict=True)
            header = _guard(path, 1, lambda: next(reader))
            columns = tuple(name.strip() for name in header)
            row_count = sum(1 for _ in _records(path, reader, len(columns)))
        return cls(path=path, columns=columns, delimiter=delimiter, row_count=row_count)

    def find_column(self, *names: str) -> str | None:
        """The first column named one of ``names`` (ignoring case), as spelled in the file."""
        by_lower = {c.lower(): c for c in self.columns}
        return next((by_lower[n] for n in names if n in by_lower), None)

    def phone_column(self) -> str:
        """The ``phone_number`` (or ``recipient``) column; `CsvError` if there is none."""
        column = self.find_column(*PHONE_COLUMNS)
        if column is None:
            raise CsvError(
                f"{self.path}: no {' or '.join(PHONE_COLUMNS)} column "
                f"(columns: {self.describe_columns()})"
            )
        return column

    def describe_columns(self) -> str:
        return ", ".join(self.columns) or "none"

    @contextmanager
    def rows(self) -> Iterator[Iterator[Row]]:
        """The data rows, read one at a time while the ``with`` block is open (checked
        again as they are read: a file changed since `open` still cannot slip a bad row in)."""
        with _opened(self.path) as handle:
            yield self._read(handle)

    def _read(self, handle: IO[str]) -> Iterator[Row]:
        reader = csv.reader(handle, delimiter=self.delimiter, strict=True)
        columns = self.columns
        _guard(self.path, 1, lambda: next(reader, None))  # the header
        for line, record in _records(self.path, reader, len(columns)):
            yield Row(line, dict(zip(columns, record, strict=True)))


def _records(path: str, reader: _Reader, width: int) -> Iterator[tuple[int, list[str]]]:
    """The data records after the header, with the line each ends on; blank lines skipped.
    A record with other than ``width`` fields is a `CsvError` naming the line it starts on."""
    while True:
        start = reader.line_num + 1
        record = _guard(path, start, lambda: next(reader, None))
        if record is None:
            return
        if not any(value.strip() for value in record):
            continue  # a blank line
        if len(record) != width:
            raise CsvError(
                f"{path}: line {start}: {_fields(len(record))}, but the header has {width} "
                "(every row needs one value per column)"
            )
        yield reader.line_num, record


def _fields(count: int) -> str:
    return f"{count} field" if count == 1 else f"{count} fields"


@contextmanager
def _opened(path: str) -> Iterator[IO[str]]:
    try:
        handle = open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115
    except OSError as exc:
        raise CsvError(f"cannot read {path}: {exc.strerror or exc}") from None
    with handle:
        yield handle


def _guard(path: str, line: int, read: Callable[[], _T]) -> _T:
    """Call ``read``, turning decoding and CSV errors into a `CsvError` naming the line."""
    try:
        return read()
    except UnicodeDecodeError:  # decoded a block at a time: find the line in the bytes
        where = _first_bad_line(path)
        raise CsvError(f"{path}: {where}not UTF-8 text (save it as CSV UTF-8)") from None
    except csv.Error as exc:
        raise CsvError(f"{path}: line {line}: {_explain(exc)}") from None
    except OSError as exc:
        raise CsvError(f"cannot read {path}: {exc.strerror or exc}") from None


def _explain(exc: csv.Error) -> str:
    """The csv module's error, said for people (its wording is the same on 3.10-3.13)."""
    text = str(exc)
    if text.startswith("unexpected end of data"):
        return "a quote opened in this row never closes"
    if text.startswith("field larger than field limit"):
        return (
            f"a field longer than {csv.field_size_limit()} characters "
            "(a quote opened in this row that never closes?)"
        )
    if "expected after" in text:
        return 'text after a closing quote (write a quote inside a quoted field as "")'
    return text


def _first_bad_line(path: str) -> str:
    """``"line N: "`` for the first line of ``path`` that is not UTF-8 (read in binary,
    one line at a time: a UTF-8 sequence never holds a newline byte)."""
    try:
        with open(path, "rb") as handle:
            for number, raw in enumerate(handle, 1):
                try:
                    raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    return f"line {number}, byte {exc.start + 1}: "
    except OSError:
        pass
    return ""
