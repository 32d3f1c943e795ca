"""Suppression lists as CSV files: ``number,reason,added_at`` (exports are owner-only, 0600)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from .._csvfile import CsvFile
from .._files import open_private, private_directory
from .records import Suppression

__all__ = ["read_numbers", "write_suppressions"]

HEADER = ("number", "reason", "added_at")


def read_numbers(path: Path) -> Iterator[tuple[int, str, str | None]]:
    """(line, number, reason) of each row: a ``number`` (or ``phone``) column, or the
    first column when there is no header, and an optional ``reason`` column. Read by
    the strict reader (`CsvFileError`, an `InvalidInputError`, naming the line)."""
    source = CsvFile.open(path)
    named = source.find_column("number", "phone")
    at = source.columns.index(named) if named else 0
    reason = source.find_column("reason")
    why = source.columns.index(reason) if named and reason else None
    if named is None and source.columns:  # no header: the first line is a number too
        yield 1, source.columns[at], None
    with source.records() as records:
        for line, values in records:
            yield line, values[at], (values[why].strip() or None) if why is not None else None


def write_suppressions(path: Path, entries: list[Suppression]) -> int:
    """Write ``entries`` to ``path`` (created 0600, replaced if present); the count."""
    private_directory(path.parent)
    with open_private(path) as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for entry in entries:
            writer.writerow([entry.number, entry.reason or "", entry.added_at.isoformat()])
    return len(entries)
