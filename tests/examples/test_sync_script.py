from __future__ import annotations

from pathlib import Path

import pytest

from examples.sync_script import main, read_rows, send_reminders
from velstack_async import Velstack
from velstack_async.testing import FakeVelstack

RECIPIENTS = Path(__file__).parents[2] / "examples" / "recipients.csv"


def test_reminders_go_to_every_valid_row_once(velstack_fake: FakeVelstack) -> None:
    with Velstack(
        api_key=velstack_fake.api_key, transport=velstack_fake.async_transport()
    ) as client:
        report = send_reminders(client, read_rows(str(RECIPIENTS)), sender="Clinic")
    assert (report.sent, report.skipped, report.failed) == (300, 4, 0)
    assert velstack_fake.message_count == 300
    first = velstack_fake.messages_for(velstack_fake.api_key)[0]
    assert first.text.startswith("Hi ")
    assert "appointment" in first.text
    velstack_fake.assert_no_duplicates()


def test_main_needs_one_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage" in capsys.readouterr().err
