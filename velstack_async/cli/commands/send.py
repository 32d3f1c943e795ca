"""``velstack send`` and ``velstack send-group``: one message, now."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import click

from ..._client import AsyncVelstack
from ..._models import SmsSummary
from ..._phone import InvalidNumber, normalize
from ..._redact import mask_phone
from ..output import CliError
from ..session import Session
from .options import message_option, sender_option, title_option

__all__ = ["send", "send_group"]


@click.command()
@click.option(
    "--to",
    "to",
    required=True,
    multiple=True,
    metavar="NUMBER",
    help="Recipient phone number; repeat it, or separate numbers with commas.",
)
@message_option
@sender_option
@title_option
def send(to: tuple[str, ...], message: str, sender: str | None, title: str | None) -> None:
    """Send a message to one or more phone numbers."""
    recipient = ",".join(recipients(to))
    _send(
        lambda client, chosen: client.sms.send(
            recipient=recipient, message=message, sender=chosen, title=title
        ),
        sender,
    )


def recipients(to: tuple[str, ...]) -> list[str]:
    """The numbers of every ``--to``, split at commas; `CliError` naming the first bad one."""
    numbers = [n.strip() for value in to for n in value.split(",")]
    for position, number in enumerate(numbers, 1):
        try:
            normalize(number)
        except InvalidNumber as exc:
            which = f"number {position} of {len(numbers)}" if len(numbers) > 1 else "the number"
            raise CliError(f"--to: {which} ({mask_phone(number) or 'empty'}): {exc}") from None
    return numbers


@click.command("send-group")
@click.option("--group", "group_id", required=True, metavar="ID", help="The group's id.")
@message_option
@sender_option
@title_option
def send_group(group_id: str, message: str, sender: str | None, title: str | None) -> None:
    """Send a message to every contact of a group."""
    _send(
        lambda client, chosen: client.sms.send_group(
            group_id=group_id, message=message, sender=chosen, title=title
        ),
        sender,
    )


def _send(
    request: Callable[[AsyncVelstack, str], Awaitable[SmsSummary]], sender: str | None
) -> None:
    """Send, then show what Velstack reported (the message text left out of tables)."""
    session = Session.current()
    chosen = session.default_sender(sender)
    summary = session.run(lambda client: request(client, chosen))
    session.show_record(
        summary,
        [
            ("Message id", summary.message_id),
            ("Sender", summary.sender),
            ("Recipients", summary.total_contacts),
            ("Credits used", summary.credit_used),
            ("Credit left (balance)", summary.credit_left),
        ],
        title="Sent",
    )
