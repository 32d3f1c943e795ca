"""``velstack send``, ``send-group`` and ``sender-ids register``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import click

from ..._client import AsyncVelstack
from ..._models import SmsSummary
from ..._phone import InvalidNumber, normalize
from ..._redact import mask_phone
from ..output import CliError, fields_table
from ..session import Session, message_options

__all__ = ["send", "send_group", "sender_ids"]


@click.command()
@click.option(
    "--to",
    required=True,
    multiple=True,
    metavar="NUMBER",
    help="Recipient phone number; repeat it, or separate numbers with commas.",
)
@message_options
def send(to: tuple[str, ...], sender: str | None, **text: Any) -> None:
    """Send a message to one or more phone numbers."""
    numbers = [n.strip() for value in to for n in value.split(",")]
    for position, number in enumerate(numbers, 1):
        try:
            normalize(number)
        except InvalidNumber as exc:
            which = f"number {position} of {len(numbers)}" if len(numbers) > 1 else "the number"
            raise CliError(f"--to: {which} ({mask_phone(number) or 'empty'}): {exc}") from None
    _send(sender, lambda c, s: c.sms.send(recipient=",".join(numbers), sender=s, **text))


@click.command("send-group")
@click.option("--group", "group_id", required=True, metavar="ID", help="The group's id.")
@message_options
def send_group(group_id: str, sender: str | None, **text: Any) -> None:
    """Send a message to every contact of a group."""
    _send(sender, lambda c, s: c.sms.send_group(group_id=group_id, sender=s, **text))


def _send(
    sender: str | None, request: Callable[[AsyncVelstack, str], Awaitable[SmsSummary]]
) -> None:
    session = Session.current()
    chosen = session.default_sender(sender)
    done = session.run(lambda client: request(client, chosen))
    names = "message_id sender total_contacts credit_used credit_left"  # never the message text
    labels = {"credit_used": "Credits used", "credit_left": "Credit left (balance)"}
    session.show(done, fields_table(done, names, "Sent", total_contacts="Recipients", **labels))


@click.group("sender-ids")
def sender_ids() -> None:
    """Sender IDs: the name your messages come from."""


@sender_ids.command("register")
@click.argument("sender_id", metavar="SENDER_ID")
@click.option("--purpose", required=True, help='What you send with it, e.g. "Order updates".')
def register(sender_id: str, purpose: str) -> None:
    """Ask Velstack to approve SENDER_ID (up to 11 letters and digits)."""
    session = Session.current()
    done = session.run(lambda c: c.sender_ids.register(sender_id=sender_id, purpose=purpose))
    session.show(done, fields_table(done, "id purpose status date", "Registered"))
