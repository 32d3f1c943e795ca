"""Files holding phone numbers are their owner's only (0600, folders 0700), whatever the umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

from velstack_async import AsyncVelstack
from velstack_async.testing import FakeVelstack

from .conftest import RECIPIENTS, velstack


@pytest.fixture(autouse=True)
def open_umask() -> Iterator[None]:
    old = os.umask(0o022)  # the usual default: files 0644, folders 0755
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_cli_journal_folder_journal_and_failed_out_file(
    cli_environment: Path, tmp_path: Path
) -> None:
    source = tmp_path / "people.csv"
    source.write_text(RECIPIENTS.read_text() + "0201234,Bad,Number,1\n")
    failed = tmp_path / "failed.csv"
    result = velstack(
        "--sandbox", "bulk", str(source), "-m", "Hi {first_name}", "--failed-out", str(failed)
    )
    assert result.exit_code == 0, result.output  # the bad number is skipped
    assert "0201234" in failed.read_text()
    assert _mode(cli_environment) == 0o700
    journals = [p for p in cli_environment.iterdir() if p.name.endswith(".journal")]
    assert journals
    for path in cli_environment.iterdir():
        assert _mode(path) == 0o600, path.name
    assert _mode(failed) == 0o600
    done = velstack("--sandbox", "bulk", str(RECIPIENTS), "-m", "Hello {first_name}")
    assert done.exit_code == 0, done.output
    completed = [p for p in cli_environment.iterdir() if p.name.endswith(".completed.json")]
    assert completed
    assert all(_mode(p) == 0o600 for p in completed)


def test_a_journal_the_sdk_creates(tmp_path: Path) -> None:
    fake = FakeVelstack()
    journal = tmp_path / "campaign.journal"

    async def main() -> None:
        async with AsyncVelstack(api_key=fake.api_key, http_client=fake.async_http_client()) as c:
            await c.sms.send_bulk(["0205550368"], message="hi", sender="SHOP", journal=journal)

    anyio.run(main)
    assert _mode(journal) == 0o600
    for extra in tmp_path.iterdir():  # WAL and shared memory, if left: the journal's mode
        assert _mode(extra) == 0o600, extra.name
