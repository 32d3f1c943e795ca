"""``velstack sender-ids register``."""

from __future__ import annotations

import click

from ..session import Session

__all__ = ["sender_ids"]


@click.group("sender-ids")
def sender_ids() -> None:
    """Sender IDs: the name your messages come from."""


@sender_ids.command("register")
@click.argument("sender_id", metavar="SENDER_ID")
@click.option("--purpose", required=True, help='What you send with it, e.g. "Order updates".')
def register(sender_id: str, purpose: str) -> None:
    """Ask Velstack to approve SENDER_ID (up to 11 letters and digits)."""
    session = Session.current()
    result = session.run(
        lambda client: client.sender_ids.register(sender_id=sender_id, purpose=purpose)
    )
    session.show_record(
        result,
        [
            ("Id", result.id),
            ("Purpose", result.purpose),
            ("Status", result.status),
            ("Date", result.date),
        ],
        title="Registered",
    )
