"""Rendering results: rich tables for people, one JSON document with ``--json``."""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs
import click
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

__all__ = [
    "emit_json",
    "format_number",
    "jsonable",
    "key_value_table",
    "make_console",
    "rows_table",
    "text_of",
]


#: The width of output that is not a terminal (a pipe, a file): wide enough never to
#: fold an id or a path; a table is only as wide as its content.
PIPE_WIDTH = 1000


def make_console(*, stderr: bool = False) -> Console:
    """A console on stdout (results) or stderr (progress, notices); no markup surprises.

    On a terminal, tables fit its width; piped, they are never folded (a UUID
    cut across two lines cannot be copied or parsed).
    """
    console = Console(stderr=stderr, highlight=False, soft_wrap=False)
    if not console.is_terminal:
        console.width = PIPE_WIDTH
    return console


def format_number(value: int | Decimal) -> str:
    """A count or an amount as every table shows it: ``19,794``, ``1,250.50``."""
    return f"{value:,}"


def _skip_raw(attribute: attrs.Attribute[Any], _value: object) -> bool:
    return attribute.name != "raw"


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON data: attrs models without ``raw``, Decimal as a string."""
    if attrs.has(type(value)):
        return jsonable(attrs.asdict(value, recurse=False, filter=_skip_raw))
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def emit_json(doc: Any) -> None:
    """Print one JSON document on stdout."""
    click.echo(json.dumps(jsonable(doc), indent=2, ensure_ascii=False))


def text_of(value: object) -> Text:
    """A table cell that shows ``value`` literally (never parsed as rich markup)."""
    if isinstance(value, Text):
        return value
    if value is None:
        return Text("-", style="dim")
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return Text(format_number(value))
    if isinstance(value, datetime):
        return Text(value.strftime("%Y-%m-%d %H:%M"))
    return Text(str(value))


def rows_table(
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    title: str | None = None,
    no_wrap: Sequence[str] = (),
) -> Table:
    """A table with a header row; the ``no_wrap`` columns are never folded (ids, numbers)."""
    table = Table(
        title=title,
        title_justify="left",
        title_style="bold",
        header_style="bold",
        box=box.SIMPLE_HEAD,
    )
    for header in headers:
        if header in no_wrap:
            table.add_column(header, no_wrap=True)
        else:
            table.add_column(header, overflow="fold")
    for row in rows:
        table.add_row(*(text_of(v) for v in row))
    return table


def key_value_table(pairs: Iterable[tuple[str, object]], *, title: str | None = None) -> Table:
    """A two-column table in a box: a bold name, then its value."""
    table = Table(
        title=title, title_justify="left", title_style="bold", box=box.ROUNDED, show_header=False
    )
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    for name, value in pairs:
        table.add_row(name, text_of(value))
    return table
