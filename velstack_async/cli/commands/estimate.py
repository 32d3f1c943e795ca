"""``velstack estimate``: what a message costs, counted locally."""

from __future__ import annotations

import click

from ... import _bulk
from ..session import Session
from .options import message_option

__all__ = ["estimate"]


@click.command()
@message_option
@click.option(
    "--recipients",
    "-n",
    type=click.IntRange(min=0),
    default=1,
    show_default=True,
    help="How many numbers it goes to.",
)
def estimate(message: str, recipients: int) -> None:
    """Count the SMS segments and credits of a message (no request, no API key)."""
    session = Session.current()
    result = _bulk.estimate(message, recipients)
    session.show_record(
        result,
        [
            ("Encoding", result.encoding),
            ("Characters", result.characters),
            ("Segments", result.segments),
            ("Recipients", result.recipients),
            ("Credits", result.credits),
        ],
        title="Estimate",
    )
