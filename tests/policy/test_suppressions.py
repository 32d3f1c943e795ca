"""The suppression (opt-out) list (issue 25, item 2) on both stores."""

from __future__ import annotations

import os
import stat
from datetime import timezone
from pathlib import Path

import pytest

from velstack_async import (
    InvalidInputError,
    RecipientSuppressedError,
    SendingPolicy,
    Suppression,
    Velstack,
)
from velstack_async.testing import FakeVelstack

from .conftest import Clock, MakeClient

pytestmark = pytest.mark.anyio


async def test_numbers_are_one_entry_whatever_their_format(
    store: str, make_client: MakeClient, clock: Clock
) -> None:
    client = make_client(SendingPolicy(store, clock=clock))
    assert await client.suppressions.add("+233 20 555 0368", reason="STOP") == 1
    assert await client.suppressions.add(["0205550368", "233205550368"]) == 0
    assert await client.suppressions.contains("0205550368")
    assert await client.suppressions.contains("+233205550368")
    assert not await client.suppressions.contains("0205550369")
    assert await client.suppressions.list() == [Suppression("+233205550368", "STOP", clock())]
    assert await client.suppressions.remove(["0205550368", "0205550369"]) == 1
    assert not await client.suppressions.contains("+233 20 555 0368")
    assert await client.suppressions.list() == []


async def test_a_suppressed_recipient_is_refused_for_every_category(
    store: str, make_client: MakeClient, fake: FakeVelstack
) -> None:
    client = make_client(SendingPolicy(store))
    await client.suppressions.add(["0205550368"])
    for category in ("transactional", "marketing"):
        with pytest.raises(RecipientSuppressedError, match="suppressed") as caught:
            await client.sms.send(
                recipient="+233205550368", message="hi", sender="SHOP", category=category
            )
        assert "0205550368" not in str(caught.value)  # masked
    with pytest.raises(RecipientSuppressedError):  # one of several: nothing sent
        await client.sms.send(recipient="0205550369,0205550368", message="hi", sender="SHOP")
    assert fake.message_count == 0
    await client.sms.send(recipient="0205550369", message="hi", sender="SHOP")
    assert fake.message_count == 1


async def test_a_number_added_by_another_client_is_refused_at_once(
    store: str, make_client: MakeClient, fake: FakeVelstack
) -> None:
    sender, admin = make_client(SendingPolicy(store)), make_client(SendingPolicy(store))
    await sender.sms.send(recipient="0205550368", message="hi", sender="SHOP")
    await admin.suppressions.add("0205550368", reason="replied STOP")
    with pytest.raises(RecipientSuppressedError):
        await sender.sms.send(recipient="0205550368", message="hi", sender="SHOP")
    assert fake.message_count == 1


async def test_csv_import_and_export(store: str, make_client: MakeClient, tmp_path: Path) -> None:
    client = make_client(SendingPolicy(store))
    source = tmp_path / "optouts.csv"
    source.write_text("phone,reason\n+233 20 555 0368,STOP\n0205550369,\n\n0205550368,again\n")
    assert await client.suppressions.import_csv(source) == 2
    bare = tmp_path / "bare.csv"
    bare.write_text("0205550370\n0205550369\n")  # no header: the first column
    assert await client.suppressions.import_csv(bare) == 1
    out = tmp_path / "private" / "export.csv"
    old = os.umask(0o022)
    try:
        assert await client.suppressions.export_csv(out) == 3
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert stat.S_IMODE(out.parent.stat().st_mode) == 0o700
    lines = out.read_text().splitlines()
    assert lines[0] == "number,reason,added_at"
    assert [line.split(",")[:2] for line in lines[1:]] == [
        ["+233205550368", "STOP"],
        ["+233205550369", ""],
        ["+233205550370", ""],
    ]
    # The export imports back into another store as the same list.
    other = make_client(SendingPolicy(tmp_path / "other.db"))
    assert await other.suppressions.import_csv(out) == 3
    assert [(s.number, s.reason) for s in await other.suppressions.list()] == [
        (s.number, s.reason) for s in await client.suppressions.list()
    ]


async def test_a_bad_number_refuses_the_whole_file(
    store: str, make_client: MakeClient, tmp_path: Path
) -> None:
    client = make_client(SendingPolicy(store))
    source = tmp_path / "bad.csv"
    source.write_text("number\n0205550368\n12345\n")
    with pytest.raises(InvalidInputError, match="line 3"):
        await client.suppressions.import_csv(source)
    assert await client.suppressions.list() == []
    with pytest.raises(InvalidInputError):
        await client.suppressions.add(["0205550368", "not a number"])
    assert await client.suppressions.list() == []


async def test_suppressions_without_a_policy_say_what_to_do(make_client: MakeClient) -> None:
    client = make_client()
    with pytest.raises(InvalidInputError, match="needs a sending policy"):
        await client.suppressions.add("0205550368")
    with pytest.raises(InvalidInputError, match="needs a sending policy"):
        await client.suppressions.list()


def test_the_sqlite_store_is_private_whatever_the_umask(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "policy.db"
    old = os.umask(0o000)
    try:
        policy = SendingPolicy(path)
        policy.store.suppressed(["+233205550368"])
    finally:
        os.umask(old)
    policy.close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for directory in (path.parent, path.parent.parent):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    for extra in path.parent.iterdir():  # the WAL and shared-memory files, if left
        assert stat.S_IMODE(extra.stat().st_mode) == 0o600


def test_the_sync_client_edits_the_list(store: str, fake: FakeVelstack) -> None:
    policy = SendingPolicy(store)
    with Velstack(api_key=fake.api_key, transport=fake.async_transport(), policy=policy) as client:
        assert client.suppressions.add(["0205550368"], reason="STOP") == 1
        assert client.suppressions.contains("+233205550368")
        [entry] = client.suppressions.list()
        assert entry.number == "+233205550368"
        assert entry.added_at.tzinfo == timezone.utc
        assert client.suppressions.remove("0205550368") == 1
    policy.close()
