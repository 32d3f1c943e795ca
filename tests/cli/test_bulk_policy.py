"""``velstack bulk`` under the CLI's sending policy: suppressions, --max-credits, windows."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta, timezone
from pathlib import Path

from .conftest import RECIPIENTS, as_json, velstack


def _numbers() -> list[str]:
    with RECIPIENTS.open(newline="") as handle:
        return [row["phone_number"] for row in csv.DictReader(handle)]


def test_suppressed_rows_are_skipped_and_shown(tmp_path: Path) -> None:
    first, second = _numbers()[:2]
    assert velstack("suppressions", "add", first, second, "--reason", "STOP").exit_code == 0
    result = velstack(
        "--sandbox", "--json", "bulk", str(RECIPIENTS), "-m", "Hi {first_name}",
        "--journal", str(tmp_path / "c.journal"),
    )  # fmt: skip
    document = as_json(result)
    assert document["suppressed"] == 2
    assert document["skipped"] >= 2
    assert document["sent"] == document["rows"] - document["skipped"]
    table = velstack(
        "--sandbox", "bulk", str(RECIPIENTS), "-m", "Hello {first_name}",
        "--journal", str(tmp_path / "d.journal"),
    )  # fmt: skip
    assert "of which suppressed (opted out)" in table.stdout


def test_max_credits_stops_the_campaign_at_the_cap(tmp_path: Path) -> None:
    result = velstack(
        "--sandbox", "--json", "bulk", str(RECIPIENTS), "-m", "Hi {first_name}",
        "--max-credits", "5", "--batch-size", "2", "--concurrency", "1",
        "--journal", str(tmp_path / "c.journal"),
    )  # fmt: skip
    document = as_json(result)
    assert document["sent"] == 5
    assert float(document["credit_used"]) == 5
    assert "spend cap" in document["stopped_reason"]
    assert result.exit_code != 0


def test_a_closed_window_leaves_rows_for_a_later_run(tmp_path: Path) -> None:
    now = datetime.now(timezone.utc)  # the sandbox's numbers are in Ghana (UTC)
    opens, closes = now + timedelta(hours=2), now + timedelta(hours=3)
    window = f"{opens:%H:%M}-{closes:%H:%M}"
    result = velstack(
        "--sandbox", "--json", "bulk", str(RECIPIENTS), "-m", "Sale {first_name}",
        "--send-window", window, "--no-wait-for-window",
        "--journal", str(tmp_path / "c.journal"),
    )  # fmt: skip
    document = as_json(result)
    assert document["sent"] == 0
    assert document["deferred"] == document["not_attempted"] > 0
    # Transactional messages ignore the window.
    receipts = velstack(
        "--sandbox", "--json", "bulk", str(RECIPIENTS), "-m", "Receipt {code}",
        "--send-window", window, "--category", "transactional",
        "--journal", str(tmp_path / "r.journal"),
    )  # fmt: skip
    assert as_json(receipts)["deferred"] == 0
    assert as_json(receipts)["sent"] > 0


def test_a_bad_window_is_a_usage_error() -> None:
    result = velstack("--sandbox", "bulk", str(RECIPIENTS), "-m", "Hi", "--send-window", "8-20")
    assert result.exit_code == 2
    assert "--send-window" in result.output
