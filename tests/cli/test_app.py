from __future__ import annotations

import attrs
import pytest

from velstack_async import CampaignOptions, __version__
from velstack_async.cli.commands.bulk import bulk

from .conftest import velstack

COMMANDS = [
    "bulk",
    "contacts",
    "estimate",
    "groups",
    "journals",
    "send",
    "send-group",
    "sender-ids",
]


def test_help_lists_every_command_and_the_exit_codes() -> None:
    result = velstack("--help")
    assert result.exit_code == 0
    for command in COMMANDS:
        assert f"  {command} " in result.stdout
    for line in (
        "2    usage error (unknown option, missing argument, an option value out of",
        "3    no API key (and no --sandbox), or authentication failed",
        "4    insufficient balance",
        "130  interrupted",
    ):
        assert line in result.stdout
    for option in ("--api-key", "--base-url", "--json", "--sandbox", "VELSTACK_API_KEY"):
        assert option in result.stdout


@pytest.mark.parametrize(
    ("group", "subcommands"),
    [
        ("groups", ["list", "get", "create", "rename", "delete"]),
        ("contacts", ["list", "add", "update", "delete", "import"]),
        ("sender-ids", ["register"]),
        ("journals", ["list", "show", "prune"]),
    ],
)
def test_command_groups_have_their_subcommands(group: str, subcommands: list[str]) -> None:
    result = velstack(group, "--help")
    assert result.exit_code == 0
    for sub in subcommands:
        assert f"  {sub} " in result.stdout


def test_bulk_help_shows_its_options() -> None:
    result = velstack("bulk", "--help")
    for option in (
        "--message",
        "--sender",
        "--concurrency",
        "--batch-size",
        "--rate",
        "--request-rate-limit",
        "--journal",
        "--new-campaign",
        "--allow-blank-fields",
    ):
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


#: `velstack bulk` options -> the `CampaignOptions` field each one sets.
BULK_FIELDS = {
    "message": "message",
    "sender": "sender",
    "title": "title",
    "concurrency": "concurrency",
    "batch_size": "batch_size",
    "rate_limit": "rate_limit",  # --rate
    "request_rate_limit": "request_rate_limit",
    "journal": "journal",
    "resend_unknown": "resend_unknown",
    "allow_blank_fields": "allow_blank_fields",
    "smart_encoding": "smart_encoding",
    "max_credits": "max_credits",
    "wait_for_window": "wait_for_window",
    "category": "category",
}
#: Campaign settings the command sets itself or leaves at the SDK's default, on purpose.
NOT_OPTIONS = {
    "max_failures",
    "region",
    "keep_unsent",
    "stall_timeout",
}


def test_bulk_options_agree_with_the_campaign_options() -> None:
    """A new campaign setting fails this test until the command decides what to do with it."""
    fields = {f.name for f in attrs.fields(CampaignOptions) if f.init}
    assert set(BULK_FIELDS.values()) | NOT_OPTIONS == fields
    params = {p.name for p in bulk.params}
    assert set(BULK_FIELDS) <= params
    assert not NOT_OPTIONS & params
