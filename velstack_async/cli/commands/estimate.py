"""``velstack estimate``: what a message costs, counted locally."""

from __future__ import annotations

import click

from ... import _bulk
from ..._encoding import describe
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
@click.option(
    "--smart-encoding/--no-smart-encoding",
    default=False,
    show_default=True,
    help="Count the message as smart encoding sends it (curly quotes, dashes... as GSM-7).",
)
def estimate(message: str, recipients: int, smart_encoding: bool) -> None:
    """Count the SMS segments and credits of a message (no request, no API key).

    Also names the characters that force UCS-2 (70 characters a segment
    instead of 160) and what smart encoding would save.
    """
    session = Session.current()
    result = _bulk.estimate(message, recipients, smart_encoding=smart_encoding)
    after = result.after
    session.show_record(
        result,
        [
            ("Encoding", result.encoding),
            ("Characters", result.characters),
            ("Segments", result.segments),
            ("Recipients", result.recipients),
            ("Credits", result.credits),
            ("Forcing UCS-2", describe(result.ucs2_characters)),
            (
                "With smart encoding",
                f"{after.encoding}, {after.segments} segment(s), {after.credits:,} credits "
                f"(saves {result.saved_credits:,})",
            ),
        ],
        title="Estimate",
    )
