"""``velstack groups list|get|create|rename|delete``."""

from __future__ import annotations

from collections.abc import Sequence

import click

from ..._models import Group
from ..output import emit_json, rows_table
from ..session import Session
from .options import apply_change, confirm_option, id_argument

__all__ = ["groups"]


@click.group()
def groups() -> None:
    """Contact groups."""


@groups.command("list")
def list_groups() -> None:
    """List every group."""
    show_groups(Session.current().run(lambda client: client.groups.list()))


@groups.command("get")
@id_argument("group_id")
def get_group(group_id: str) -> None:
    """Show one group."""
    show_groups(Session.current().run(lambda client: client.groups.get(group_id)))


@groups.command("create")
@click.argument("name")
def create_group(name: str) -> None:
    """Create a group called NAME."""
    show_groups(Session.current().run(lambda c: c.groups.create(name=name)), title="Created")


@groups.command("rename")
@id_argument("group_id")
@click.argument("new_name")
def rename_group(group_id: str, new_name: str) -> None:
    """Rename a group."""
    apply_change(lambda client: client.groups.update(group_id, name=new_name), "renamed", group_id)


@groups.command("delete")
@id_argument("group_id")
@confirm_option
def delete_group(group_id: str, yes: bool) -> None:
    """Delete a group and its contacts."""
    apply_change(
        lambda client: client.groups.delete(group_id),
        "deleted",
        group_id,
        confirm_with=(yes, f"Delete group {group_id} and all its contacts?"),
    )


def show_groups(items: Group | Sequence[Group], *, title: str | None = None) -> None:
    """A table of groups; with ``--json``, a group as an object and a list as an array."""
    session = Session.current()
    if session.json:
        emit_json(items if isinstance(items, Group) else list(items))
        return
    rows = [(g.id, g.name, g.members) for g in ([items] if isinstance(items, Group) else items)]
    session.out.print(rows_table(("ID", "Name", "Members"), rows, title=title, no_wrap=("ID",)))
