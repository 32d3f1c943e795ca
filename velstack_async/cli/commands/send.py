"""``velstack send`` and ``velstack send-group``: one message, now."""

from __future__ import annotations

import click

from ..._models import SmsSummary
from ..._phone import InvalidNumber, normalize
from ..._redact import mask_phone
from ..errors import CliError
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
    session = Session.current()
    numbers = recipients(to)
    sender = session.default_sender(sender)
    summary = session.run(
        lambda client: client.sms.send(
            recipient=",".join(numbers), message=message, sender=sender, title=title
        )
    )
    show_summary(session, summary)


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
    session = Session.current()
    sender = session.default_sender(sender)
    summary = session.run(
        lambda client: client.sms.send_group(
            group_id=group_id, message=message, sender=sender, title=title
        )
    )
    show_summary(session, summary)


def show_summary(session: Session, summary: SmsSummary) -> None:
    """What Velstack reported for an accepted send (message text left out of tables)."""
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
