"""``velstack groups`` and ``velstack contacts``. ``contacts import`` adds a number found twice
once, skips and lists an invalid one (not a failure), stops at an error no row gets past."""

from __future__ import annotations

from typing import Any

import anyio
import attrs
import click

from ..._client import AsyncVelstack
from ..._csvfile import CsvFile, Row
from ..._exceptions import AuthenticationError, NotFoundError, PermissionDeniedError, VelstackError
from ..._models import Contact, Group
from ..._phone import InvalidNumber, normalize
from ..._redact import mask_phone
from ..bulkrun import MAX_LISTED, PHONE_COLUMNS
from ..output import ExitCode, LiveProgress, fields_table, table
from ..session import Session, apply_change, concurrency_option, confirm, confirm_option

__all__ = ["contacts", "groups"]

_FATAL = (AuthenticationError, PermissionDeniedError, NotFoundError)
_GROUP = click.option("--group", "group_id", required=True, metavar="ID", help="Group to add to.")
_FIRST = click.option("--first-name", help="First name.")
_LAST = click.option("--last-name", help="Last name.")
_EMAIL = click.option("--email", "email_address", help="Email address.")


def _show_groups(items: Group | list[Group], title: str | None = None) -> None:
    rows = [(g.id, g.name, g.members) for g in (items if isinstance(items, list) else [items])]
    view = table(rows, ("ID", "Name", "Members"), title=title, no_wrap=("ID",))
    Session.current().show(items, view)


def _show_contacts(items: Contact | list[Contact], title: str | None = None) -> None:
    listed = items if isinstance(items, list) else [items]
    names = {c.id: " ".join(filter(None, (c.first_name, c.last_name))) or None for c in listed}
    rows = [(c.id, names[c.id], c.phone_number, c.email_address, c.group) for c in listed]
    headers = ("ID", "Name", "Phone", "Email", "Group")
    Session.current().show(items, table(rows, headers, title=title, no_wrap=("ID", "Phone")))


@click.group()
def groups() -> None:
    """Contact groups."""


@groups.command("list")
def list_groups() -> None:
    """List every group."""
    _show_groups(Session.current().run(lambda client: client.groups.list()))


@groups.command("get")
@click.argument("group_id", metavar="ID")
def get_group(group_id: str) -> None:
    """Show one group."""
    _show_groups(Session.current().run(lambda client: client.groups.get(group_id)))


@groups.command("create")
@click.argument("name")
def create_group(name: str) -> None:
    """Create a group called NAME."""
    _show_groups(Session.current().run(lambda c: c.groups.create(name=name)), title="Created")


@groups.command("rename")
@click.argument("group_id", metavar="ID")
@click.argument("new_name")
def rename_group(group_id: str, new_name: str) -> None:
    """Rename a group."""
    apply_change(lambda client: client.groups.update(group_id, name=new_name), "renamed", group_id)


@groups.command("delete")
@click.argument("group_id", metavar="ID")
@confirm_option
def delete_group(group_id: str, yes: bool) -> None:
    """Delete a group and its contacts."""
    confirm(yes, f"Delete group {group_id} and all its contacts?")
    apply_change(lambda c: c.groups.delete(group_id), "deleted", group_id)


@click.group()
def contacts() -> None:
    """Contacts (each belongs to one group)."""


@contacts.command("list")
@click.option("--group", "group_id", metavar="ID", help="Only the contacts of this group.")
def list_contacts(group_id: str | None) -> None:
    """List contacts: all of them, or one group's."""
    _show_contacts(Session.current().run(lambda client: client.contacts.list(group_id=group_id)))


@contacts.command("add")
@_GROUP
@click.option("--phone", "phone_number", required=True, metavar="NUMBER", help="Phone number.")
@_FIRST
@_LAST
@_EMAIL
def add_contact(group_id: str, **fields: Any) -> None:
    """Add a contact to a group."""
    contact = Session.current().run(lambda c: c.contacts.create(group_id=group_id, **fields))
    _show_contacts(contact, title="Added")


@contacts.command("update")
@click.argument("contact_id", metavar="ID")
@click.option("--phone", "phone_number", metavar="NUMBER", help="Phone number.")
@_FIRST
@_LAST
@_EMAIL
def update_contact(contact_id: str, **fields: str | None) -> None:
    """Change a contact's fields (only those given)."""
    if all(value is None for value in fields.values()):
        raise click.UsageError("give at least one of --phone, --first-name, --last-name, --email")
    apply_change(lambda client: client.contacts.update(contact_id, **fields), "updated", contact_id)


@contacts.command("delete")
@click.argument("contact_id", metavar="ID")
@confirm_option
def delete_contact(contact_id: str, yes: bool) -> None:
    """Delete a contact."""
    confirm(yes, f"Delete contact {contact_id}?")
    apply_change(lambda c: c.contacts.delete(contact_id), "deleted", contact_id)


@attrs.define
class ImportReport:
    group_id: str
    added: int = 0
    duplicates: int = 0
    invalid_numbers: int = 0  # skipped and listed, as bulk does: not a failure (exit 0)
    failed: int = 0
    failures: list[dict[str, Any]] = attrs.field(factory=list)

    def note(self, row: Row, phone: str, reason: str) -> None:
        if len(self.failures) < MAX_LISTED:
            self.failures.append({"line": row.line, "phone_number": phone, "reason": reason})


@contacts.command("import")
@click.argument("file", metavar="FILE.csv")
@_GROUP
@concurrency_option(4, 64, "Contacts added")
def import_file(file: str, group_id: str, concurrency: int) -> None:
    """Add every row of a CSV file to a group (columns: phone_number or recipient, and
    optionally first_name, last_name, email_address or email)."""
    session = Session.current()
    source = CsvFile.open(file)
    report = session.run(lambda client: _import(client, session, source, group_id, concurrency))
    names, labels = "group_id added duplicates invalid_numbers failed", {"group_id": "Group"}
    labels |= {"duplicates": "Duplicates skipped", "invalid_numbers": "Invalid numbers skipped"}
    session.show(report, fields_table(report, names, "Contacts import", **labels))
    if report.failures and not session.json:
        shown = report.failures[:10]
        rows = [(f["line"], mask_phone(f["phone_number"]), f["reason"]) for f in shown]
        listed = report.failed + report.invalid_numbers
        title = "Rows not added" + (f" (first {len(rows)} of {listed:,})" if listed > 10 else "")
        session.out.print(table(rows, ("Line", "Phone", "Reason"), title=title))
    if report.failed:
        raise click.exceptions.Exit(int(ExitCode.PARTIAL))


async def _import(
    client: AsyncVelstack, session: Session, source: CsvFile, group_id: str, concurrency: int
) -> ImportReport:
    phone_column = source.column(*PHONE_COLUMNS)
    wanted = (("first_name",), ("last_name",), ("email_address", "email"))
    columns = {names[0]: source.find_column(*names) for names in wanted}
    await client.groups.get(group_id)  # an unknown group fails once, not once a row
    report, seen, fatal = ImportReport(group_id), set[str](), list[VelstackError]()
    slots = anyio.Semaphore(concurrency)
    stats = (("added", "green"), ("failed", "red"), ("skipped", "yellow"))
    bar = LiveProgress(session.err, description="Importing", total=source.row_count, stats=stats)

    async def add(row: Row, phone: str) -> None:
        names = {k: (row.fields[c].strip() or None) if c else None for k, c in columns.items()}
        try:
            await client.contacts.create(group_id=group_id, phone_number=phone, **names)
            report.added += 1
            bar.done(added=1)
        except _FATAL as exc:
            fatal.append(exc)
            tg.cancel_scope.cancel()
        except VelstackError as exc:
            report.failed += 1
            report.note(row, phone, exc.message)
            bar.done(failed=1)
        finally:
            slots.release()

    with bar, source.rows() as rows:
        async with anyio.create_task_group() as tg:
            for row in rows:
                phone = row.fields[phone_column]
                try:
                    key = normalize(phone.strip())
                except InvalidNumber as exc:
                    report.invalid_numbers += 1
                    report.note(row, phone, str(exc))
                    bar.done(skipped=1)
                    continue
                if key in seen:
                    report.duplicates += 1
                    bar.done(skipped=1)
                    continue
                seen.add(key)
                await slots.acquire()
                tg.start_soon(add, row, phone)
    if fatal:
        raise fatal[0]
    return report
