from __future__ import annotations

import pytest

from velstack_async import __version__

from .conftest import velstack

COMMANDS = ["bulk", "contacts", "estimate", "groups", "send", "send-group", "sender-ids"]


def test_help_lists_every_command_and_the_exit_codes() -> None:
    result = velstack("--help")
    assert result.exit_code == 0
    for command in COMMANDS:
        assert f"  {command} " in result.stdout
    for line in ("3    authentication failed", "4    insufficient balance", "130  interrupted"):
        assert line in result.stdout
    for option in ("--api-key", "--base-url", "--json", "--sandbox", "VELSTACK_API_KEY"):
        assert option in result.stdout


@pytest.mark.parametrize(
    ("group", "subcommands"),
    [
        ("groups", ["list", "get", "create", "rename", "delete"]),
        ("contacts", ["list", "add", "update", "delete", "import"]),
        ("sender-ids", ["register"]),
    ],
)
def test_command_groups_have_their_subcommands(group: str, subcommands: list[str]) -> None:
    result = velstack(group, "--help")
    assert result.exit_code == 0
    for sub in subcommands:
        assert f"  {sub} " in result.stdout


def test_bulk_help_shows_its_options() -> None:
    result = velstack("bulk", "--help")
    for option in ("--message", "--sender", "--concurrency", "--rate", "--journal"):
        assert option in result.stdout
    assert "--dry-run" in result.stdout
    assert "--failed-out" in result.stdout


def test_version() -> None:
    result = velstack("--version")
    assert result.exit_code == 0
    assert __version__ in result.stdout


def test_a_usage_error_exits_2() -> None:
    result = velstack("send", "--bogus")
    assert result.exit_code == 2
    assert "No such option" in result.stderr
