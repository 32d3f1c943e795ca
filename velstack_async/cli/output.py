"""What the CLI prints: tables for people, one JSON document with ``--json``, a progress bar
on a terminal, failures as one ``error:`` line and an exit code."""

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
from rich import box, progress
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
    "LiveProgress",
    "fields_table",
    "handle_errors",
    "table",
]


class ExitCode(enum.IntEnum):
    OK = 0
    USAGE = 2
    AUTHENTICATION = 3
    INSUFFICIENT_BALANCE = 4
    API_ERROR = 5
    INPUT_ERROR = 6
    PARTIAL = 7
    INTERRUPTED = 130


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

_INTERRUPTS: tuple[type[BaseException], ...] = (KeyboardInterrupt,)
if sys.version_info < (3, 11):  # `anyio.run` cancels its main task on SIGINT, raises that
    _INTERRUPTS += (asyncio.CancelledError,)
_SSL_SETTING = re.compile(r" ssl:(?:default|None|True|False|<[^>]*>)")


class CliError(Exception):
    """An expected failure found by the CLI itself: one line, exit ``code``."""

    def __init__(self, message: str, code: ExitCode = ExitCode.INPUT_ERROR) -> None:
        super().__init__(message)
        self.message, self.code = message, code


def exit_code_for(exc: VelstackError) -> ExitCode:
    if isinstance(exc, AuthenticationError):
        return ExitCode.AUTHENTICATION
    if isinstance(exc, InsufficientBalanceError):
        return ExitCode.INSUFFICIENT_BALANCE
    if isinstance(exc, (InvalidInputError, JournalError)):
        return ExitCode.INPUT_ERROR
    return ExitCode.API_ERROR


def describe(exc: VelstackError) -> str:
    """One line for people (SDK messages hold no key or message text, and mask numbers)."""
    if isinstance(exc, AuthenticationError):
        return f"authentication failed: {exc.message} (check --api-key or VELSTACK_API_KEY)"
    if isinstance(exc, InsufficientBalanceError):
        return f"insufficient balance: {exc.message} (nothing was sent)"
    if isinstance(exc, NotFoundError):
        return f"not found: {exc.message}"
    if isinstance(exc, ValidationError) and exc.errors:
        fields = (f"{k}: {' '.join(v)}" for k, v in exc.errors.items())
        return "rejected by Velstack: " + "; ".join(fields)
    if isinstance(exc, APIConnectionError):  # aiohttp's "ssl:default" means nothing to people
        return "cannot reach Velstack: " + _SSL_SETTING.sub("", exc.message)
    if isinstance(exc, APIStatusError):
        return f"Velstack error {exc.status_code}: {exc.message}"
    return exc.message


@contextmanager
def handle_errors(json_output: Callable[[], bool]) -> Iterator[None]:
    """Expected errors: one ``error:`` line on stderr (and JSON with --json), an exit code."""
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
        emit_json({"error": {"type": kind, "message": message, "exit_code": int(code)}})
    raise click.exceptions.Exit(int(code))


def make_console(*, stderr: bool = False) -> Console:
    """Piped output is never folded: a UUID cut in two cannot be copied."""
    console = Console(stderr=stderr, highlight=False, soft_wrap=False)
    if not console.is_terminal:
        console.width = 1000
    return console


def jsonable(value: Any) -> Any:
    """Plain JSON data: attrs models without ``raw``, Decimal as a string."""
    if attrs.has(type(value)):
        return jsonable(attrs.asdict(value, recurse=False, filter=lambda a, _: a.name != "raw"))
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
    click.echo(json.dumps(jsonable(doc), indent=2, ensure_ascii=False))


def text_of(value: object) -> Text:
    """A cell showing ``value`` literally (never markup); numbers as ``19,794``."""
    if isinstance(value, Text):
        return value
    if value is None:
        return Text("-", style="dim")
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return Text(f"{value:,}")
    if isinstance(value, datetime):
        return Text(value.strftime("%Y-%m-%d %H:%M"))
    return Text(str(value))


def table(
    rows: Iterable[Sequence[object]],
    headers: Sequence[str] = (),
    *,
    title: str | None = None,
    no_wrap: Sequence[str] = (),
) -> Table:
    """Rows under ``headers`` (``no_wrap`` columns never fold), else (name, value) in a box."""
    grid = Table(
        title=title,
        title_justify="left",
        title_style="bold",
        header_style="bold",
        box=box.SIMPLE_HEAD if headers else box.ROUNDED,
        show_header=bool(headers),
    )
    if not headers:
        grid.add_column(style="bold")
    for header in headers or ("",):
        wrap = header not in no_wrap
        grid.add_column(header, no_wrap=not wrap, overflow="fold" if wrap else "ellipsis")
    for row in rows:
        grid.add_row(*map(text_of, row))
    return grid


def fields_table(
    item: object, names: str, title: str, *more: tuple[str, object], **labels: str
) -> Table:
    """``item``'s attributes ``names``, labelled as the name reads unless in ``labels``."""
    rows = [
        (labels.get(k) or k.replace("_", " ").capitalize(), getattr(item, k)) for k in names.split()
    ]
    return table([*rows, *more], title=title)


class _RateColumn(progress.ProgressColumn):
    def render(self, task: progress.Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("-/s" if speed is None else f"{speed:,.0f}/s", style="magenta")


class LiveProgress(progress.Progress):
    """A bar on a terminal, else nothing; ``done(**increments)``: one more row, added to the
    counters ``stats`` ``(name, style)`` shown after the bar."""

    def __init__(
        self, console: Console, *, description: str, total: int, stats: Sequence[tuple[str, str]]
    ) -> None:
        super().__init__(
            progress.SpinnerColumn(finished_text="[green]✓[/]"),
            progress.TextColumn("[bold]{task.description}"),
            progress.BarColumn(),
            progress.MofNCompleteColumn(),
            progress.TaskProgressColumn(),
            progress.TextColumn("{task.fields[stats]}"),
            _RateColumn(),
            progress.TextColumn("[dim]ETA[/]"),
            progress.TimeRemainingColumn(),
            console=console,
            disable=not console.is_terminal,
        )
        self._stats, self._counts = stats, dict.fromkeys((name for name, _ in stats), Decimal(0))
        self._task = self.add_task(description, total=total, stats=self._text())

    def done(self, **increments: int | Decimal) -> None:
        for name, value in increments.items():
            self._counts[name] += value
        self.update(self._task, advance=1, stats=self._text())

    def _text(self) -> str:
        counts = ((self._counts[name], style, name) for name, style in self._stats)
        shown = (f"[{s}]{v:,.{0 if v == int(v) else 2}f} {n}[/]" for v, s, n in counts)
        return " [dim]·[/] ".join(shown)
