"""``velstack suppressions``: the opt-out list, in the default store beside the journals."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from velstack_async import RecipientSuppressedError, SendingPolicy, Velstack
from velstack_async.testing import FakeVelstack

from .conftest import as_json, velstack


def test_add_list_remove_in_the_default_store(cli_environment: Path) -> None:
    old = os.umask(0o022)
    try:
        added = velstack(
            "suppressions", "add", "+233 20 555 0368", "0205550369", "--reason", "STOP"
        )
    finally:
        os.umask(old)
    assert added.exit_code == 0, added.output
    assert "Suppressed 2 new number(s)" in added.stdout
    store = cli_environment / "sending-policy.db"
    assert stat.S_IMODE(store.stat().st_mode) == 0o600
    assert stat.S_IMODE(cli_environment.stat().st_mode) == 0o700
    again = velstack("--json", "suppressions", "add", "0205550368")
    assert as_json(again) == {"added": 0}
    listed = as_json(velstack("--json", "suppressions", "list"))
    assert [(e["number"], e["reason"]) for e in listed] == [
        ("+233205550368", "STOP"),
        ("+233205550369", "STOP"),
    ]
    assert "+233205550369" in velstack("suppressions", "list").stdout
    assert as_json(velstack("--json", "suppressions", "remove", "0205550369")) == {"removed": 1}
    assert len(as_json(velstack("--json", "suppressions", "list"))) == 1
    # journals list does not take the store for a journal
    assert velstack("journals", "list").exit_code == 0


def test_import_export_and_the_sdk_sees_the_same_list(tmp_path: Path) -> None:
    source = tmp_path / "stop.csv"
    source.write_text("number,reason\n0205550368,STOP\n0205550370,\n")
    store = tmp_path / "shared" / "policy.db"
    result = velstack("suppressions", "import", str(source), "--policy-store", str(store))
    assert result.exit_code == 0, result.output
    out = tmp_path / "out.csv"
    exported = velstack("--json", "suppressions", "export", str(out), "--policy-store", str(store))
    assert as_json(exported) == {"exported": 2}
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert out.read_text().splitlines()[1].startswith("+233205550368,STOP,")
    fake = FakeVelstack()
    policy = SendingPolicy(store)
    client = Velstack(api_key=fake.api_key, transport=fake.async_transport(), policy=policy)
    with client, pytest.raises(RecipientSuppressedError):
        client.sms.send(recipient="0205550368", message="hi", sender="SHOP")
    policy.close()
    assert fake.message_count == 0


def test_the_environment_names_the_store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    store = tmp_path / "env" / "policy.db"
    monkeypatch.setenv("VELSTACK_POLICY_STORE", str(store))
    assert velstack("suppressions", "add", "0205550368").exit_code == 0
    assert store.exists()


def test_a_bad_number_is_an_input_error() -> None:
    result = velstack("suppressions", "add", "12345")
    assert result.exit_code != 0
    assert "not a valid phone number" in result.stderr


@pytest.mark.parametrize(
    ("content", "error"),
    [
        ('number,reason\n0205550368,"STOP\n0205550369,\n', "line 2: a quote opened in this row"),
        ("number,reason\n0205550368,STOP\n0205550369\n", "line 3: 1 field, but the header has 2"),
        ("0205550368;STOP\n0205550369\n", "line 2: 1 field, but the header has 2"),
    ],
    ids=["unclosed quote", "short row", "no header"],
)
def test_import_reads_the_file_as_strictly_as_bulk(
    tmp_path: Path, content: str, error: str
) -> None:
    """The one strict CSV reader: a broken file is refused whole, naming the line."""
    source = tmp_path / "stop.csv"
    source.write_text(content)
    result = velstack("--json", "suppressions", "import", str(source))
    assert result.exit_code == 6
    assert result.stderr.startswith(f"error: {source}: {error}")
    assert as_json(result)["error"]["type"] == "CsvFileError"
    assert as_json(velstack("--json", "suppressions", "list")) == []


def test_import_recognises_a_semicolon_file(tmp_path: Path) -> None:
    source = tmp_path / "stop.csv"
    source.write_text("number;reason\n0205550368;replied STOP\n")
    assert as_json(velstack("--json", "suppressions", "import", str(source))) == {"added": 1}
    [entry] = as_json(velstack("--json", "suppressions", "list"))
    assert (entry["number"], entry["reason"]) == ("+233205550368", "replied STOP")
