"""``velstack send`` and ``velstack send-group``: one message, now."""

from __future__ import annotations

import click

from ..._models import SmsSummary
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
    sender = session.default_sender(sender)
    summary = session.run(
        lambda client: client.sms.send(
            recipient=",".join(to), message=message, sender=sender, title=title
        )
    )
    show_summary(session, summary)


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
            ("Credit left", summary.credit_left),
        ],
        title="Sent",
    )
