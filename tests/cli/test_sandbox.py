from __future__ import annotations

import pytest

from .conftest import RECIPIENTS, as_json, velstack

NOTICE = "using an in-process fake Velstack with a demo account"


def demo_group_id() -> str:
    groups = as_json(velstack("--json", "groups", "list"))
    return str(next(g["id"] for g in groups if g["name"] == "V BANK"))


def test_without_an_api_key_commands_use_the_sandbox_and_say_so() -> None:
    result = velstack("groups", "list")
    assert result.exit_code == 0
    assert "sandbox (no API key configured)" in result.stderr
    assert NOTICE in result.stderr
    assert "V BANK" in result.stdout
    assert "sandbox" not in result.stdout


def test_sandbox_flag_wins_over_a_configured_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VELSTACK_API_KEY", "a-real-key")
    # An unreachable base URL: the sandbox must not touch the network.
    result = velstack(
        "--sandbox",
        "--base-url",
        "https://127.0.0.1:9",
        "--json",
        "send",
        "--to",
        "0205550368",
        "--message",
        "hi",
    )
    assert result.exit_code == 0, result.stderr
    assert "sandbox (--sandbox)" in result.stderr
    assert "--base-url is ignored" in result.stderr
    summary = as_json(result)
    assert summary["sender"] == "VELSTACK"  # the sandbox's default sender
    assert summary["recipients"] == ["0205550368"]


def test_demo_ids_are_the_same_in_every_sandbox_run() -> None:
    group_id = demo_group_id()
    assert demo_group_id() == group_id
    result = velstack("--json", "send-group", "--group", group_id, "--message", "Hi all")
    assert result.exit_code == 0, result.stderr
    assert as_json(result)["total_contacts"] == 2


@pytest.mark.parametrize(
    "args",
    [
        ["send", "--to", "0205550368", "--message", "hi", "--title", "Information"],
        ["groups", "list"],
        ["groups", "create", "VIP"],
        ["contacts", "list"],
        ["sender-ids", "register", "MYSHOP", "--purpose", "Order updates"],
        ["estimate", "--message", "hi"],
        ["bulk", str(RECIPIENTS), "--message", "Hi {first_name}", "--dry-run"],
    ],
    ids=lambda args: " ".join(args[:2]),
)
def test_every_command_prints_one_json_document(args: list[str]) -> None:
    result = velstack("--json", *args)
    assert result.exit_code == 0, result.stderr
    assert as_json(result)


def test_commands_on_a_demo_group_and_contact() -> None:
    group_id = demo_group_id()
    contacts = as_json(velstack("--json", "contacts", "list", "--group", group_id))
    assert sorted(c["first_name"] for c in contacts) == ["Sam", "michael"]
    contact_id = contacts[0]["id"]
    for args in (
        ["groups", "get", group_id],
        ["groups", "rename", group_id, "Bank"],
        ["groups", "delete", group_id, "--yes"],
        ["contacts", "add", "--group", group_id, "--phone", "0241234567"],
        ["contacts", "update", contact_id, "--first-name", "Samuel"],
        ["contacts", "delete", contact_id, "--yes"],
    ):
        result = velstack("--json", *args)
        assert result.exit_code == 0, (args, result.stderr)


def test_sandbox_balance_can_be_set_to_show_the_insufficient_balance_exit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VELSTACK_SANDBOX_BALANCE", "0")
    result = velstack("send", "--to", "0205550368", "--message", "hi")
    assert result.exit_code == 4
    assert result.stderr.splitlines()[-1].startswith("error: insufficient balance")


def test_a_bad_sandbox_setting_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VELSTACK_SANDBOX_LATENCY", "soon")
    result = velstack("groups", "list")
    assert result.exit_code == 2
    assert "VELSTACK_SANDBOX_LATENCY" in result.stderr
