"""The ``velstack`` commands, one module per group of commands."""

from __future__ import annotations

import click

from . import bulk, campaign, contacts, estimate, groups, journals, send, sender_ids, suppressions

__all__ = ["register"]


def register(cli: click.Group) -> None:
    """Add every command to the ``velstack`` group."""
    for command in (
        send.send,
        send.send_group,
        bulk.bulk,
        estimate.estimate,
        groups.groups,
        contacts.contacts,
        sender_ids.sender_ids,
        journals.journals,
        suppressions.suppressions,
        campaign.campaign,
    ):
        cli.add_command(command)
