"""Suppression lists as CSV files: ``number,reason,added_at`` (exports are owner-only, 0600)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from .._exceptions import InvalidInputError
from .._files import open_private, private_directory
from .records import Suppression

__all__ = ["read_numbers", "write_suppressions"]

HEADER = ("number", "reason", "added_at")


def read_numbers(path: Path) -> Iterator[tuple[int, str, str | None]]:
    """(line, number, reason) of each row: a ``number`` column (or the first column
    when there is no header) and an optional ``reason`` column."""
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise InvalidInputError(f"cannot read {path}: {exc.strerror}") from None
    with handle:
        rows = csv.reader(handle)
        first = next(rows, None)
        if first is None:
            return
        names = [cell.strip().lower() for cell in first]
        header = "number" in names or "phone" in names
        at = names.index("number") if "number" in names else names.index("phone") if header else 0
        why = names.index("reason") if "reason" in names else None
        if not header:
            yield 1, first[0] if first else "", None
        for line, row in enumerate(rows, start=2):
            if not any(cell.strip() for cell in row):
                continue
            number = row[at] if at < len(row) else ""
            reason = row[why].strip() or None if why is not None and why < len(row) else None
            yield line, number, reason


def write_suppressions(path: Path, entries: list[Suppression]) -> int:
    """Write ``entries`` to ``path`` (created 0600, replaced if present); the count."""
    private_directory(path.parent)
    with open_private(path) as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for entry in entries:
            writer.writerow([entry.number, entry.reason or "", entry.added_at.isoformat()])
    return len(entries)
