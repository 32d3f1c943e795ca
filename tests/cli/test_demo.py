"""``velstack bulk --demo``: the demo campaign that ships in the package (no clone needed)."""

from __future__ import annotations

import pytest

from velstack_async.cli.commands.bulk import DEMO_FILE

from .conftest import RECIPIENTS, Live, as_json, velstack


def test_the_packaged_demo_csv_is_the_examples_one() -> None:
    assert DEMO_FILE.read_bytes() == RECIPIENTS.read_bytes()


def test_the_demo_runs_in_the_sandbox_with_its_own_message() -> None:
    planned = as_json(velstack("--json", "bulk", "--demo", "--dry-run"))
    result = velstack("--sandbox", "--json", "bulk", "--demo")
    assert result.exit_code == 0, result.stderr
    report = as_json(result)
    assert report["sandbox"] is True
    assert report["sent"] == planned["to_send"] > 0
    assert (report["failed"], report["unknown"]) == (0, 0)
    assert planned["file"] == str(DEMO_FILE)


def test_the_demo_takes_another_message() -> None:
    assert velstack("--sandbox", "bulk", "--demo", "-m", "Hi {last_name}").exit_code == 0
    result = velstack("--sandbox", "bulk", "--demo", "-m", "Hi {nickname}")
    assert result.exit_code == 6
    assert result.stderr.startswith(f"error: the message uses {{nickname}}, but {DEMO_FILE} ")


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["bulk", "--demo"], "--demo sends to made-up numbers: add --sandbox (or --dry-run)"),
        (["--sandbox", "bulk", "x.csv", "--demo"], "give FILE.csv or --demo, not both"),
        (["--sandbox", "bulk", "-m", "hi"], "Missing argument 'FILE.csv' (or --demo"),
        (["--sandbox", "bulk", "x.csv"], "Missing option '--message' / '-m'."),
    ],
    ids=["real-account", "file-and-demo", "no-file", "no-message"],
)
def test_demo_and_file_arguments_that_do_not_fit_are_usage_errors(
    args: list[str], error: str
) -> None:
    result = velstack(*args)
    assert result.exit_code == 2
    assert error in result.stderr


def test_the_demo_is_never_sent_with_a_real_key(live: Live) -> None:
    before = live.fake.request_count
    result = live.velstack("bulk", "--demo")
    assert result.exit_code == 2
    assert live.fake.request_count == before
