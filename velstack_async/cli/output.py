"""What the CLI prints: rich tables for people, one JSON document with ``--json``, and
failures as one ``error:`` line on stderr with an exit code (never a traceback)."""

from __future__ import annotations

import asyncio
import enum
import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs
import click
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from .._bulk import JournalError
from .._exceptions import (
    APIConnectionError,
    APIStatusError,
    AuthenticationError,
    InsufficientBalanceError,
    InvalidInputError,
    NotFoundError,
    ValidationError,
    VelstackError,
)

__all__ = [
    "EXIT_CODES_HELP",
    "CliError",
    "ExitCode",
    "emit_json",
    "exit_code_for",
    "handle_errors",
    "jsonable",
    "key_value_table",
    "make_console",
    "rows_table",
    "text_of",
]


class ExitCode(enum.IntEnum):
    """The process exit status of `velstack` (docs: "Command line", exit codes)."""

    OK = 0
    USAGE = 2
    AUTHENTICATION = 3
    INSUFFICIENT_BALANCE = 4
    API_ERROR = 5
    INPUT_ERROR = 6
    PARTIAL = 7
    INTERRUPTED = 130


#: Shown by ``velstack --help`` (click keeps ``\b`` paragraphs as they are).
EXIT_CODES_HELP = """\b
Exit codes:
  0    success
  2    usage error (unknown option, missing argument, an option value out of
       range such as --concurrency 0)
  3    no API key (and no --sandbox), or authentication failed (wrong key)
  4    insufficient balance
  5    any other API or connection error
  6    input error (unreadable file, missing column, bad template, bad number)
  7    bulk / contacts import finished, but some rows failed or were not sent
       (an invalid number in a file is skipped and listed: not a failure)
  130  interrupted (Ctrl-C)"""

#: What Ctrl-C raises out of a command: on 3.10, `anyio.run` cancels its main task on
#: SIGINT and raises that `CancelledError` (nothing else cancels a command's main task).
_INTERRUPTS: tuple[type[BaseException], ...] = (
    (KeyboardInterrupt,)
    if sys.version_info >= (3, 11)
    else (KeyboardInterrupt, asyncio.CancelledError)
)
_SSL_SETTING = re.compile(r" ssl:(?:default|None|True|False|<[^>]*>)")
#: The width of output that is not a terminal: an id or a path is never folded.
PIPE_WIDTH = 1000


class CliError(Exception):
    """An expected failure found by the CLI itself: one line, exit ``code``."""

    def __init__(self, message: str, code: ExitCode = ExitCode.INPUT_ERROR) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def exit_code_for(exc: VelstackError) -> ExitCode:
    """The exit code for an SDK error (a `CsvFileError` is an `InvalidInputError`: 6)."""
    if isinstance(exc, AuthenticationError):
        return ExitCode.AUTHENTICATION
    if isinstance(exc, InsufficientBalanceError):
        return ExitCode.INSUFFICIENT_BALANCE
    if isinstance(exc, (InvalidInputError, JournalError)):
        return ExitCode.INPUT_ERROR
    return ExitCode.API_ERROR


def describe(exc: VelstackError) -> str:
    """One line for people: the kind of failure, Velstack's words, what to check.
    (SDK messages never hold the API key or message text, and mask phone numbers.)"""
    if isinstance(exc, AuthenticationError):
        return f"authentication failed: {exc.message} (check --api-key or VELSTACK_API_KEY)"
    if isinstance(exc, InsufficientBalanceError):
        return f"insufficient balance: {exc.message} (nothing was sent)"
    if isinstance(exc, NotFoundError):
        return f"not found: {exc.message}"
    if isinstance(exc, ValidationError) and exc.errors:
        return "rejected by Velstack: " + "; ".join(
            f"{k}: {' '.join(v)}" for k, v in exc.errors.items()
        )
    if isinstance(exc, APIConnectionError):  # aiohttp's "ssl:default" means nothing to people
        return "cannot reach Velstack: " + _SSL_SETTING.sub("", exc.message)
    if isinstance(exc, APIStatusError):
        return f"Velstack error {exc.status_code}: {exc.message}"
    return exc.message


@contextmanager
def handle_errors(json_output: Callable[[], bool]) -> Iterator[None]:
    """Expected exceptions as one ``error:`` line on stderr (and a JSON error document
    when ``json_output()``, i.e. --json) and an exit code."""
    try:
        yield
        return
    except CliError as exc:
        message, code, kind = exc.message, exc.code, "error"
    except VelstackError as exc:
        message, code, kind = describe(exc), exit_code_for(exc), type(exc).__name__
    except _INTERRUPTS:
        message, code, kind = "interrupted", ExitCode.INTERRUPTED, "interrupted"
    click.echo(f"error: {message}", err=True)
    if json_output():
        doc = {"error": {"type": kind, "message": message, "exit_code": int(code)}}
        click.echo(json.dumps(doc, indent=2))
    raise click.exceptions.Exit(int(code))


def make_console(*, stderr: bool = False) -> Console:
    """A console on stdout (results) or stderr (progress, notices): on a terminal tables
    fit its width; piped, they are never folded (a UUID cut in two cannot be copied)."""
    console = Console(stderr=stderr, highlight=False, soft_wrap=False)
    if not console.is_terminal:
        console.width = PIPE_WIDTH
    return console


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
    """A table cell showing ``value`` literally (never rich markup); numbers as ``19,794``."""
    if isinstance(value, Text):
        return value
    if value is None:
        return Text("-", style="dim")
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return Text(f"{value:,}")
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
