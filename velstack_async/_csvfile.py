"""The one strict CSV reader: recipient files (the CLI) and suppression lists.

UTF-8 (a byte-order mark, as Excel writes, is fine); the first line is the
header, and the delimiter is whichever of ``,``, ``;`` or tab it uses most.
The file is checked whole when opened (one pass, constant memory): a quote
that never closes, text after a closing quote, a row with more or fewer fields
than the header, or bytes that are not UTF-8 are a `CsvFileError` naming the
line where the bad row starts (never its values). A quoted field may hold
newlines; blank lines are skipped. Rows are then read lazily, and checked again.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Protocol, TypeVar

import attrs

from ._exceptions import InvalidInputError

__all__ = ["CsvFile", "CsvFileError", "Row"]

_DELIMITERS = (",", ";", "\t")
_T = TypeVar("_T")


class CsvFileError(InvalidInputError):
    """A CSV file that cannot be read, is not well-formed, or lacks a needed column."""


class _Reader(Protocol):
    """What `csv.reader` returns (its class has no stable public name)."""

    @property
    def line_num(self) -> int: ...

    def __next__(self) -> list[str]: ...


@attrs.frozen
class Row:
    """One data row: the line it ends on and its values by column name."""

    line: int
    fields: dict[str, str]


@attrs.frozen
class CsvFile:
    """A CSV file whose header was read and whose rows were checked."""

    path: str
    #: The header's names, stripped (none for an empty file).
    columns: tuple[str, ...]
    delimiter: str
    #: Data rows (blank lines not counted) when opened.
    row_count: int = 0

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> CsvFile:
        """Read the header of ``path`` and check every row (`CsvFileError` if broken)."""
        name = os.fspath(path)
        with _opened(name) as handle:
            delimiter = max(_DELIMITERS, key=_guard(name, 1, handle.readline).count)
            handle.seek(0)
            reader = csv.reader(handle, delimiter=delimiter, strict=True)
            columns = tuple(c.strip() for c in _guard(name, 1, lambda: next(reader, [])))
            columns = columns if any(columns) else ()  # a blank first line: no header
            count = sum(1 for _ in _records(name, reader, len(columns)))
        return cls(name, columns, delimiter, count)

    def find_column(self, *names: str) -> str | None:
        """The first column named one of ``names`` (case ignored), as the file spells it."""
        by_lower = {c.lower(): c for c in self.columns}
        return next((by_lower[n] for n in names if n in by_lower), None)

    def column(self, *names: str) -> str:
        """Like `find_column`, but a `CsvFileError` naming the columns when there is none."""
        found = self.find_column(*names)
        if not self.columns:
            raise CsvFileError(f"{self.path}: no header row (the file is empty)")
        if found is None:
            raise CsvFileError(
                f"{self.path}: no {' or '.join(names)} column "
                f"(columns: {', '.join(self.columns) or 'none'})"
            )
        return found

    @contextmanager
    def records(self) -> Iterator[Iterator[tuple[int, list[str]]]]:
        """``(line, values)`` of each data row, read while the ``with`` block is open."""
        with _opened(self.path) as handle:
            reader = csv.reader(handle, delimiter=self.delimiter, strict=True)
            _guard(self.path, 1, lambda: next(reader, None))  # the header
            yield _records(self.path, reader, len(self.columns))

    @contextmanager
    def rows(self) -> Iterator[Iterator[Row]]:
        """Each data row as a `Row`, read while the ``with`` block is open."""
        with self.records() as records:
            yield (Row(line, dict(zip(self.columns, rec, strict=True))) for line, rec in records)


def _records(path: str, reader: _Reader, width: int) -> Iterator[tuple[int, list[str]]]:
    while True:
        start = reader.line_num + 1
        record = _guard(path, start, lambda: next(reader, None))
        if record is None:
            return
        if not any(value.strip() for value in record):
            continue
        if not width:
            raise CsvFileError(f"{path}: line 1: no header row (the first line is blank)")
        if len(record) != width:
            fields = f"{len(record)} field" + ("" if len(record) == 1 else "s")
            raise CsvFileError(
                f"{path}: line {start}: {fields}, but the header has {width} "
                "(every row needs one value per column)"
            )
        yield reader.line_num, record


@contextmanager
def _opened(path: str) -> Iterator[IO[str]]:
    try:
        handle = open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115
    except OSError as exc:
        raise CsvFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    with handle:
        yield handle


def _guard(path: str, line: int, read: Callable[[], _T]) -> _T:
    """``read()``, its decoding and CSV errors said for people, naming the line."""
    try:
        return read()
    except UnicodeDecodeError:  # decoded a block at a time: find the line in the bytes
        where = _first_bad_line(path)
        raise CsvFileError(f"{path}: {where}not UTF-8 text (save it as CSV UTF-8)") from None
    except csv.Error as exc:
        text = str(exc)  # the csv module's wording is the same on 3.10-3.13
        if text.startswith("unexpected end of data"):
            text = "a quote opened in this row never closes"
        elif text.startswith("field larger than field limit"):
            text = (
                f"a field longer than {csv.field_size_limit()} characters "
                "(a quote opened in this row that never closes?)"
            )
        elif "expected after" in text:
            text = 'text after a closing quote (write a quote inside a quoted field as "")'
        raise CsvFileError(f"{path}: line {line}: {text}") from None
    except OSError as exc:
        raise CsvFileError(f"cannot read {path}: {exc.strerror or exc}") from None


def _first_bad_line(path: str) -> str:
    """``"line N, byte B: "`` of the first bytes that are not UTF-8 (a UTF-8 sequence
    never holds a newline byte, so the file is read in binary a line at a time)."""
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
