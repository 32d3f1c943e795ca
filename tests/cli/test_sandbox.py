from __future__ import annotations

import json

import pytest

from .conftest import RECIPIENTS, as_json, velstack, velstack_process

NOTICE = "using an in-process fake Velstack with a demo account"


def demo_group_id() -> str:
    groups = json.loads(velstack_process("--sandbox", "--json", "groups", "list").stdout)
    return str(next(g["id"] for g in groups if g["name"] == "V BANK"))


@pytest.mark.parametrize("key", [None, "", "  "], ids=["unset", "empty", "blank"])
@pytest.mark.parametrize(
    "args",
    [
        ["send", "--to", "0205550368", "--message", "hi"],
        ["groups", "list"],
        ["bulk", str(RECIPIENTS), "--message", "Hi {first_name}"],
    ],
    ids=lambda args: args[0],
)
def test_without_an_api_key_nothing_runs_and_one_line_says_what_to_do(
    monkeypatch: pytest.MonkeyPatch, key: str | None, args: list[str], cli_environment: object
) -> None:
    if key is not None:
        monkeypatch.setenv("VELSTACK_API_KEY", key)  # an unset CI secret is an empty string
    result = velstack(*args)
    assert result.exit_code == 3
    assert result.stdout == ""
    assert result.stderr == (
        "error: no API key: set VELSTACK_API_KEY (or pass --api-key KEY), "
        "or add --sandbox to try the built-in fake Velstack\n"
    )


def test_the_sandbox_is_asked_for_with_an_environment_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VELSTACK_SANDBOX", "1")
    result = velstack("groups", "list")
    assert result.exit_code == 0
    assert "sandbox (VELSTACK_SANDBOX=1)" in result.stderr
    assert NOTICE in result.stderr
    assert "V BANK" in result.stdout
    assert "sandbox" not in result.stdout


def test_json_says_when_it_came_from_the_sandbox() -> None:
    args = ["--json", "send", "--to", "0205550368", "--message", "hi"]
    assert as_json(velstack("--sandbox", *args))["sandbox"] is True
    report = as_json(
        velstack("--sandbox", "--json", "bulk", str(RECIPIENTS), "--message", "Hi {first_name}")
    )
    assert report["sandbox"] is True
    # Nothing ran in the sandbox: no such key (a dry run needs no client).
    dry = as_json(velstack("--json", "bulk", str(RECIPIENTS), "-m", "Hi {first_name}", "--dry-run"))
    assert "sandbox" not in dry


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


def test_demo_ids_are_the_same_in_every_sandbox_process() -> None:
    group_id = demo_group_id()
    assert demo_group_id() == group_id
    result = velstack_process("--sandbox", "--json", "send-group", "--group", group_id, "-m", "Hi")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["total_contacts"] == 2


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
    result = velstack("--sandbox", "--json", *args)
    assert result.exit_code == 0, result.stderr
    assert as_json(result)


def test_commands_on_a_demo_group_and_contact() -> None:
    group_id = demo_group_id()
    listed = velstack_process("--sandbox", "--json", "contacts", "list", "--group", group_id)
    contacts = json.loads(listed.stdout)
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
        result = velstack_process("--sandbox", "--json", *args)
        assert result.returncode == 0, (args, result.stderr)


def test_sandbox_balance_can_be_set_to_show_the_insufficient_balance_exit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VELSTACK_SANDBOX_BALANCE", "0")
    result = velstack("--sandbox", "send", "--to", "0205550368", "--message", "hi")
    assert result.exit_code == 4
    assert result.stderr.splitlines()[-1].startswith("error: insufficient balance")


def test_a_bad_sandbox_setting_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VELSTACK_SANDBOX_LATENCY", "soon")
    result = velstack("--sandbox", "groups", "list")
    assert result.exit_code == 2
    assert "VELSTACK_SANDBOX_LATENCY" in result.stderr
