"""The ``velstack`` click group: global options, error handling, logging, the commands."""

from __future__ import annotations

import logging
from typing import Any

import click
from rich.console import Console
from rich.logging import RichHandler

from .._version import __version__
from .commands import bulk, campaign, contacts, journals, send, suppressions
from .output import EXIT_CODES_HELP, handle_errors
from .session import Session

__all__ = ["cli"]

_HELP = f"""Send SMS with Velstack from the command line.

Set your API key in VELSTACK_API_KEY (or pass --api-key). To try it without
one, add --sandbox (or set VELSTACK_SANDBOX=1): every command then runs
against an in-process fake Velstack with a demo account and nothing is sent.
Velstack has no balance endpoint: send and bulk print the credit left after
sending.

\b
Examples:
  velstack --sandbox bulk --demo
  velstack --sandbox bulk recipients.csv --message "Hello {{first_name}}"
  velstack send --to 0205550368 --message "Your order has shipped" --sender MyShop
  velstack --json groups list

{EXIT_CODES_HELP}
"""


class VelstackGroup(click.Group):
    """Commands fail with one line and an exit code, not a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        # The group's callback makes the session inside super().invoke: look it up late.
        with handle_errors(lambda: bool((s := ctx.find_object(Session)) and s.json)):
            return super().invoke(ctx)


class _LogHandler(RichHandler):
    """The handler ``-v`` installs (replaced, not stacked, on each invocation)."""


def configure_logging(verbosity: int, console: Console) -> None:
    """``-v``: the SDK's log (INFO: retries; -vv DEBUG) on stderr, above any progress bar."""
    logger = logging.getLogger("velstack_async")
    for handler in [h for h in logger.handlers if isinstance(h, _LogHandler)]:
        logger.removeHandler(handler)
    if verbosity:
        logger.addHandler(_LogHandler(console=console, show_path=False, markup=False))
    # NOTSET without -v: the library's NullHandler keeps Python quiet.
    logger.setLevel((logging.NOTSET, logging.INFO, logging.DEBUG)[min(verbosity, 2)])


@click.group(
    cls=VelstackGroup, help=_HELP, context_settings={"max_content_width": 100, "show_default": True}
)
@click.option(
    "--api-key",
    envvar="VELSTACK_API_KEY",
    metavar="KEY",
    help="Velstack API key [env: VELSTACK_API_KEY]. Required unless --sandbox.",
)
@click.option(
    "--base-url",
    envvar="VELSTACK_BASE_URL",
    metavar="URL",
    help="API base URL [env: VELSTACK_BASE_URL; default: https://sms.velstack.com].",
)
@click.option("--json", "json_output", is_flag=True, help="Print one JSON document, not tables.")
@click.option(
    "--sandbox",
    is_flag=True,
    envvar="VELSTACK_SANDBOX",
    help="Use an in-process fake Velstack with a demo account; nothing is sent "
    "[env: VELSTACK_SANDBOX=1].",
)
@click.option(
    "--verbose",
    "-v",
    count=True,
    show_default=False,
    help="Log retries (-v) and every request (-vv) on stderr; never keys or message text.",
)
@click.version_option(__version__, prog_name="velstack")
@click.pass_context
def cli(ctx: click.Context, /, json_output: bool, verbose: int, **settings: Any) -> None:
    session = Session(json=json_output, **settings)
    if ctx.get_parameter_source("sandbox") is click.core.ParameterSource.ENVIRONMENT:
        session.sandbox_why = "VELSTACK_SANDBOX=1"
    configure_logging(verbose, session.err)
    ctx.obj = session


for _module in (bulk, campaign, contacts, journals, send, suppressions):
    for _name in _module.__all__:
        if isinstance(_command := getattr(_module, _name), click.Command):
            cli.add_command(_command)
