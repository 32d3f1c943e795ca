"""Exit codes, and turning expected failures into one line on stderr (never a traceback)."""

from __future__ import annotations

import asyncio
import enum
import json
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click

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

__all__ = ["CliError", "ExitCode", "exit_code_for", "handle_errors"]


_SSL_SETTING = re.compile(r" ssl:(?:default|None|True|False|<[^>]*>)")

#: What Ctrl-C raises out of a command. On Python 3.10, `anyio.run` cancels its main task
#: on SIGINT and, as 3.10's tasks cannot be uncancelled, raises that `CancelledError`
#: instead of `KeyboardInterrupt` (nothing else cancels a command's main task).
_INTERRUPTS: tuple[type[BaseException], ...] = (
    (KeyboardInterrupt,)
    if sys.version_info >= (3, 11)
    else (KeyboardInterrupt, asyncio.CancelledError)
)


class ExitCode(enum.IntEnum):
    """The process exit status of `velstack` (see the docs, "Command line", exit codes)."""

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


class CliError(Exception):
    """An expected failure found by the CLI itself: printed as one line, exits with ``code``."""

    def __init__(self, message: str, code: ExitCode = ExitCode.INPUT_ERROR) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def exit_code_for(exc: VelstackError) -> ExitCode:
    """The exit code for an SDK error."""
    if isinstance(exc, AuthenticationError):
        return ExitCode.AUTHENTICATION
    if isinstance(exc, InsufficientBalanceError):
        return ExitCode.INSUFFICIENT_BALANCE
    if isinstance(exc, (InvalidInputError, JournalError)):
        return ExitCode.INPUT_ERROR
    return ExitCode.API_ERROR


def describe(exc: VelstackError) -> str:
    """One line for people: what kind of failure, Velstack's words, and what to check."""
    if isinstance(exc, AuthenticationError):
        return f"authentication failed: {exc.message} (check --api-key or VELSTACK_API_KEY)"
    if isinstance(exc, InsufficientBalanceError):
        return f"insufficient balance: {exc.message} (nothing was sent)"
    if isinstance(exc, NotFoundError):
        return f"not found: {exc.message}"
    if isinstance(exc, ValidationError) and exc.errors:
        fields = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.errors.items())
        return f"rejected by Velstack: {fields}"
    if isinstance(exc, APIConnectionError):
        # aiohttp names its TLS setting even for http://: "ssl:default" means nothing to people.
        return "cannot reach Velstack: " + _SSL_SETTING.sub("", exc.message)
    if isinstance(exc, APIStatusError):
        return f"Velstack error {exc.status_code}: {exc.message}"
    return exc.message


def fail(message: str, code: ExitCode, *, json_output: bool, kind: str = "error") -> None:
    """Print one error line on stderr (and a JSON error document with ``--json``); exit."""
    click.echo(f"error: {message}", err=True)
    if json_output:
        doc = {"error": {"type": kind, "message": message, "exit_code": int(code)}}
        click.echo(json.dumps(doc, indent=2))
    raise click.exceptions.Exit(int(code))


@contextmanager
def handle_errors(json_output: Callable[[], bool]) -> Iterator[None]:
    """Map expected exceptions to an error line and an exit code (``json_output()``: --json)."""
    try:
        yield
    except CliError as exc:
        fail(exc.message, exc.code, json_output=json_output())
    except VelstackError as exc:
        # SDK messages never hold the API key or message text, and mask phone numbers.
        kind = type(exc).__name__
        fail(describe(exc), exit_code_for(exc), json_output=json_output(), kind=kind)
    except _INTERRUPTS:
        fail("interrupted", ExitCode.INTERRUPTED, json_output=json_output(), kind="interrupted")
