"""``velstack contacts list|add|update|delete|import``."""

from __future__ import annotations

from collections.abc import Sequence

import click

from ..._models import Contact
from ..csvinput import CsvFile
from ..errors import ExitCode
from ..importer import import_contacts, show_import
from ..output import emit_json, rows_table
from ..session import Session
from .changes import apply_change
from .options import concurrency_option, confirm_option

__all__ = ["contacts"]

_PHONE = click.option("--phone", "phone_number", metavar="NUMBER", help="Phone number.")
_FIRST = click.option("--first-name", help="First name.")
_LAST = click.option("--last-name", help="Last name.")
_EMAIL = click.option("--email", "email_address", help="Email address.")


@click.group()
def contacts() -> None:
    """Contacts (each belongs to one group)."""


@contacts.command("list")
@click.option("--group", "group_id", metavar="ID", help="Only the contacts of this group.")
def list_contacts(group_id: str | None) -> None:
    """List contacts: all of them, or one group's."""
    session = Session.current()
    show_contacts(session, session.run(lambda client: client.contacts.list(group_id=group_id)))


@contacts.command("add")
@click.option("--group", "group_id", required=True, metavar="ID", help="The group to add to.")
@click.option("--phone", "phone_number", required=True, metavar="NUMBER", help="Phone number.")
@_FIRST
@_LAST
@_EMAIL
def add_contact(
    group_id: str,
    phone_number: str,
    first_name: str | None,
    last_name: str | None,
    email_address: str | None,
) -> None:
    """Add a contact to a group."""
    session = Session.current()
    contact = session.run(
        lambda client: client.contacts.create(
            group_id=group_id,
            phone_number=phone_number,
            first_name=first_name,
            last_name=last_name,
            email_address=email_address,
        )
    )
    show_contacts(session, contact, title="Added")


@contacts.command("update")
@click.argument("contact_id", metavar="ID")
@_PHONE
@_FIRST
@_LAST
@_EMAIL
def update_contact(
    contact_id: str,
    phone_number: str | None,
    first_name: str | None,
    last_name: str | None,
    email_address: str | None,
) -> None:
    """Change a contact's fields (only those given)."""
    if (phone_number, first_name, last_name, email_address) == (None, None, None, None):
        raise click.UsageError("give at least one of --phone, --first-name, --last-name, --email")
    apply_change(
        lambda client: client.contacts.update(
            contact_id,
            phone_number=phone_number,
            first_name=first_name,
            last_name=last_name,
            email_address=email_address,
        ),
        "updated",
        contact_id,
    )


@contacts.command("delete")
@click.argument("contact_id", metavar="ID")
@confirm_option
def delete_contact(contact_id: str, yes: bool) -> None:
    """Delete a contact."""
    apply_change(
        lambda client: client.contacts.delete(contact_id),
        "deleted",
        contact_id,
        confirm_with=(yes, f"Delete contact {contact_id}?"),
    )


@contacts.command("import")
@click.argument("file", metavar="FILE.csv")
@click.option("--group", "group_id", required=True, metavar="ID", help="The group to add to.")
@concurrency_option(4, 64, "Contacts added")
def import_file(file: str, group_id: str, concurrency: int) -> None:
    """Add every row of a CSV file to a group.

    Columns: phone_number (or recipient), and optionally first_name,
    last_name and email_address (or email). A number that appears twice is
    added once.
    """
    session = Session.current()
    source = CsvFile.open(file)
    report = session.run(
        lambda client: import_contacts(client, session, source, group_id, concurrency)
    )
    show_import(session, report)
    if report.failed:
        raise click.exceptions.Exit(int(ExitCode.PARTIAL))


def show_contacts(
    session: Session, items: Contact | Sequence[Contact], *, title: str | None = None
) -> None:
    """A table of contacts; with ``--json``, a contact as an object and a list as an array."""
    if session.json:
        emit_json(items if isinstance(items, Contact) else list(items))
        return
    headers = ("ID", "Name", "Phone", "Email", "Group")
    listed = [items] if isinstance(items, Contact) else items
    rows = [(c.id, _name(c), c.phone_number, c.email_address, c.group) for c in listed]
    session.out.print(rows_table(headers, rows, title=title, no_wrap=("ID", "Phone")))


def _name(contact: Contact) -> str | None:
    return " ".join(n for n in (contact.first_name, contact.last_name) if n) or None
