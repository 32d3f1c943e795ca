"""Every command against the fake served on loopback, with a real API key and base URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import Live, as_json


def group_named(live: Live, name: str) -> str:
    return next(g.id for g in live.fake.groups(live.api_key) if g.name == name)


def test_send_to_several_numbers(live: Live) -> None:
    result = live.velstack(
        "--json",
        "send",
        "--to",
        "0205550368",
        "--to",
        "+233248297302,0271234567",
        "--message",
        "Your order has shipped",
        "--sender",
        "MyShop",
        "--title",
        "Information",
    )
    assert result.exit_code == 0, result.stderr
    summary = as_json(result)
    assert summary["total_contacts"] == 3
    assert summary["credit_used"] == "3"
    sent = live.fake.messages_for(live.api_key)
    assert [m.recipient for m in sent] == ["+233205550368", "+233248297302", "+233271234567"]
    assert {(m.text, m.sender, m.title) for m in sent} == {
        ("Your order has shipped", "MYSHOP", "Information")
    }


def test_send_shows_a_table_without_the_message(live: Live) -> None:
    result = live.velstack(
        "send", "--to", "0205550368", "--message", "secret text", "--sender", "MyShop"
    )
    assert result.exit_code == 0, result.stderr
    assert "Credit left" in result.stdout
    assert "999" in result.stdout
    assert "secret text" not in result.stdout + result.stderr


def test_the_sender_comes_from_the_environment(live: Live, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VELSTACK_SENDER", "Shop2")
    result = live.velstack("send", "--to", "0205550368", "--message", "hi")
    assert result.exit_code == 0, result.stderr
    assert [m.sender for m in live.fake.messages_for(live.api_key)] == ["SHOP2"]


def test_send_group(live: Live) -> None:
    group_id = group_named(live, "V BANK")
    result = live.velstack(
        "--json", "send-group", "--group", group_id, "--message", "Hello", "--sender", "Bank"
    )
    assert result.exit_code == 0, result.stderr
    assert as_json(result)["total_contacts"] == 2
    assert len(live.fake.messages_for(live.api_key)) == 2


def test_groups_create_rename_get_delete(live: Live) -> None:
    created = as_json(live.velstack("--json", "groups", "create", "Customers"))
    group_id = created["id"]
    assert created["name"] == "Customers"
    assert as_json(live.velstack("--json", "groups", "rename", group_id, "Clients")) == {
        "id": group_id,
        "renamed": True,
    }
    assert as_json(live.velstack("--json", "groups", "get", group_id))["name"] == "Clients"
    listed = live.velstack("groups", "list")
    assert "Clients" in listed.stdout
    assert "V BANK" in listed.stdout
    assert live.velstack("groups", "delete", group_id, "--yes").exit_code == 0
    assert group_id not in [g.id for g in live.fake.groups(live.api_key)]


def test_deleting_without_yes_and_without_a_terminal_is_refused(live: Live) -> None:
    group_id = group_named(live, "V BANK")
    result = live.velstack("groups", "delete", group_id)
    assert result.exit_code == 2
    assert "--yes" in result.stderr
    assert group_id in [g.id for g in live.fake.groups(live.api_key)]


def test_contacts_add_list_update_delete(live: Live) -> None:
    group_id = group_named(live, "My Group")
    added = as_json(
        live.velstack(
            "--json",
            "contacts",
            "add",
            "--group",
            group_id,
            "--phone",
            "+233241234567",
            "--first-name",
            "Ama",
            "--email",
            "ama@example.com",
        )
    )
    assert added["phone_number"] == "0241234567"
    contact_id = added["id"]
    update = live.velstack("contacts", "update", contact_id, "--last-name", "Mensah")
    assert update.exit_code == 0, update.stderr
    listed = as_json(live.velstack("--json", "contacts", "list", "--group", group_id))
    assert [(c["first_name"], c["last_name"]) for c in listed] == [("Ama", "Mensah")]
    table = live.velstack("contacts", "list")
    assert "Ama Mensah" in table.stdout
    assert "Sam Fort" in table.stdout
    assert live.velstack("contacts", "delete", contact_id, "--yes").exit_code == 0
    assert live.fake.contacts(group_id, api_key=live.api_key) == []


def test_contacts_import(live: Live, tmp_path: Path) -> None:
    group_id = group_named(live, "My Group")
    csv_file = tmp_path / "people.csv"
    csv_file.write_text(
        "Phone_Number,first_name,last_name,email\n"
        "0241234567,Ama,Mensah,ama@example.com\n"
        "0271234567,Kofi,,\n"
        "+233241234567,Ama,Again,\n"
        "12345,Bad,Number,\n"
    )
    result = live.velstack("--json", "contacts", "import", str(csv_file), "--group", group_id)
    assert result.exit_code == 0, result.stderr  # an invalid number is skipped, as in bulk
    report = as_json(result)
    assert (report["added"], report["duplicates"], report["failed"]) == (2, 1, 0)
    assert report["invalid_numbers"] == 1
    [failure] = report["failures"]
    assert failure["line"] == 5
    assert "not a valid phone number" in failure["reason"]
    contacts = live.fake.contacts(group_id, api_key=live.api_key)
    assert sorted((c.first_name, c.last_name, c.email_address) for c in contacts) == [
        ("Ama", "Mensah", "ama@example.com"),
        ("Kofi", None, None),
    ]


def test_contacts_import_table_masks_failed_numbers(live: Live, tmp_path: Path) -> None:
    csv_file = tmp_path / "people.csv"
    csv_file.write_text("phone_number\n0241234567\n02412345\n")
    result = live.velstack(
        "contacts", "import", str(csv_file), "--group", group_named(live, "My Group")
    )
    assert result.exit_code == 0
    assert "Invalid numbers skipped" in result.stdout
    assert "*****345" in result.stdout
    assert "02412345" not in result.stdout


def test_sender_ids_register(live: Live) -> None:
    result = live.velstack("--json", "sender-ids", "register", "MyShop", "--purpose", "Orders")
    assert result.exit_code == 0, result.stderr
    assert as_json(result)["status"] == "pending"
    assert "MyShop" in [s.id for s in live.fake.sender_ids(live.api_key)]


def test_estimate_needs_no_client() -> None:
    from .conftest import velstack

    result = velstack("--json", "estimate", "--message", "€" * 81, "--recipients", "3")
    assert result.exit_code == 0
    estimate = as_json(result)
    assert {k: estimate[k] for k in ("encoding", "characters", "segments", "recipients")} == {
        "encoding": "GSM-7",
        "characters": 162,
        "segments": 2,
        "recipients": 3,
    }
    assert estimate["credits"] == 6
    assert result.stderr == ""


def test_verbose_logs_requests_on_stderr_without_key_or_text(live: Live) -> None:
    result = live.velstack(
        "-vv", "send", "--to", "0205550368", "--message", "secret words", "--sender", "Shop"
    )
    assert result.exit_code == 0, result.stderr
    assert "POST /api/quick/sms" in result.stderr
    assert "POST" not in result.stdout
    assert "secret words" not in result.stderr
    assert live.api_key not in result.stderr
    quiet = live.velstack("groups", "list")
    assert "GET /api/group" not in quiet.stderr
