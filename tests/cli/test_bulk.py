from __future__ import annotations

import csv
from pathlib import Path

import pytest

from .conftest import RECIPIENTS, Live, as_json, velstack

MESSAGE = "Hello {first_name}"


def write(path: Path, text: str | bytes) -> str:
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return str(path)


def test_the_quickstart_campaign(cli_environment: Path) -> None:
    result = velstack("--sandbox", "bulk", str(RECIPIENTS), "--message", MESSAGE)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "Campaign summary" in out
    assert "│ Sent " in out
    assert "│ 300 " in out.split("│ Sent ")[1]
    assert "duplicate" in out
    assert "Sending" not in out  # no progress bar on a non-terminal, and never on stdout
    assert result.stderr.startswith("sandbox (--sandbox)")
    assert "Hello" not in out + result.stderr  # the message text is never printed
    [journal] = cli_environment.glob("*.journal")  # kept (its completion recorded beside it)
    assert "-sandbox-" in journal.name  # never shared with a real campaign of the same file


def test_the_json_report() -> None:
    result = velstack("--json", "--sandbox", "bulk", str(RECIPIENTS), "--message", MESSAGE)
    assert result.exit_code == 0, result.stderr
    report = as_json(result)
    assert (report["rows"], report["sent"], report["skipped"], report["failed"]) == (304, 300, 4, 0)
    assert (report["unknown"], report["not_attempted"], report["exit_code"]) == (0, 0, 0)
    assert report["credit_used"] == "300"
    assert report["journal"].endswith(".journal")
    assert {r["reason"]: r["count"] for r in report["reasons"]}["duplicate"] == 2
    assert sorted((u["line"], u["status"]) for u in report["unsent"]) == [
        (302, "skipped"),
        (303, "skipped"),
        (304, "skipped"),
        (305, "skipped"),
    ]


def test_failed_out_lists_the_rows_to_retry(tmp_path: Path) -> None:
    failed_out = tmp_path / "failed.csv"
    result = velstack(
        "--sandbox", "bulk", str(RECIPIENTS), "--message", MESSAGE, "--failed-out", str(failed_out)
    )
    assert result.exit_code == 0, result.stderr
    with failed_out.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    # Invalid numbers only: duplicates were sent under their first row.
    assert [(r["phone_number"], r["first_name"], r["status"]) for r in rows] == [
        ("02055503", "Typo", "skipped"),
        ("not a number", "Typo", "skipped"),
    ]
    assert all("phone number" in r["reason"] for r in rows)
    assert f"2 rows not sent written to {failed_out}" in result.stderr


def test_some_failed_rows_exit_7_and_keep_the_journal(
    tmp_path: Path, cli_environment: Path
) -> None:
    source = write(tmp_path / "people.csv", "phone_number,name\n0241234567,Ama\n0271234567,\n")
    failed_out = tmp_path / "failed.csv"
    result = velstack(
        "--json",
        "--sandbox",
        "bulk",
        source,
        "--message",
        "{name}",
        "--failed-out",
        str(failed_out),
    )
    assert result.exit_code == 7, result.stderr
    report = as_json(result)
    assert (report["sent"], report["failed"]) == (1, 1)
    [journal] = cli_environment.glob("*.journal")
    assert report["journal"] == str(journal)
    assert "Run the same command again to retry the rows not sent" in result.stderr
    assert f"(journal: {journal})" in result.stderr
    with failed_out.open(newline="") as handle:
        [row] = list(csv.DictReader(handle))
    assert (row["phone_number"], row["status"]) == ("0271234567", "failed")
    assert row["reason"] == "blank template field(s) 'name' (--allow-blank-fields sends them as '')"


def test_the_same_command_resumes_a_stopped_campaign(
    monkeypatch: pytest.MonkeyPatch, cli_environment: Path
) -> None:
    args = ["--json", "--sandbox", "bulk", str(RECIPIENTS), "--message", MESSAGE]
    monkeypatch.setenv("VELSTACK_SANDBOX_BALANCE", "100")
    first = velstack(*args)
    assert first.exit_code == 4
    assert as_json(first)["sent"] == 100
    [journal] = cli_environment.glob("*.journal")
    assert f"then run the same command again to send the rest (journal: {journal})" in (
        first.stderr
    )

    monkeypatch.setenv("VELSTACK_SANDBOX_BALANCE", "1000")
    second = velstack(*args)
    assert second.exit_code == 0, second.stderr
    assert f"Resuming this campaign from the journal of an earlier run ({journal})" in (
        second.stderr
    )
    resumed = as_json(second)
    assert resumed["sent"] == 200
    assert {r["reason"]: r["count"] for r in resumed["reasons"]}[
        "already sent (journal of an earlier run)"
    ] == 100
    third = velstack(*args)  # completed: nothing is sent again
    assert third.exit_code == 0
    assert (as_json(third)["already_completed"], as_json(third)["sent"]) == (True, 0)
    fourth = velstack(*args, "--new-campaign")
    assert as_json(fourth)["sent"] == 300


def test_another_message_is_another_campaign(
    monkeypatch: pytest.MonkeyPatch, cli_environment: Path
) -> None:
    monkeypatch.setenv("VELSTACK_SANDBOX_BALANCE", "100")
    assert velstack("--sandbox", "bulk", str(RECIPIENTS), "-m", MESSAGE).exit_code == 4
    assert velstack("--sandbox", "bulk", str(RECIPIENTS), "-m", "Bye {first_name}").exit_code == 4
    assert len(list(cli_environment.glob("*.journal"))) == 2


def test_dry_run_estimates_credits_and_sends_nothing(tmp_path: Path) -> None:
    source = write(
        tmp_path / "people.csv",
        "\ufeffrecipient;name\n0241234567;Ama\n0271234567;Kwame Ɛ\n0271234567;again\n1;bad\n",
    )
    result = velstack("--json", "bulk", source, "--message", "Hi {name}! " + "x" * 160, "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert as_json(result) == {
        "dry_run": True,
        "file": source,
        "rows": 4,
        "to_send": 2,
        "duplicates": 1,
        "invalid_numbers": 1,
        "template_errors": 0,
        "requests": 2,  # two texts
        "credits": 2 + 3,  # GSM-7: 2 segments; "Ɛ" forces UCS-2: 3 segments
        "max_segments": 3,
        "multi_segment_messages": 2,
        "ucs2_messages": 1,
        "smart_encoding": True,
        "smart_encoding_saves": 0,  # "Ɛ" has no GSM-7 form
        "ucs2_characters": [],  # the template itself is GSM-7
    }
    assert result.stderr == ""  # no client, not even the sandbox


def test_dry_run_table() -> None:
    result = velstack("bulk", str(RECIPIENTS), "--message", MESSAGE, "--dry-run")
    assert result.exit_code == 0
    assert "Dry run: nothing was sent" in result.stdout
    assert "Estimated credits" in result.stdout


@pytest.mark.parametrize(
    ("content", "message", "error"),
    [
        ("name,number\nAma,0241234567\n", MESSAGE, "no phone_number or recipient column"),
        ("phone_number,name\n0241234567,Ama\n", MESSAGE, "the message uses {first_name}, but"),
        ("phone_number,first_name\n0241234567,Ama\n", "Hi {first_name", "message template"),
        ("phone_number,first_name\n0241234567,Ama\n", "Hi {0}", "named placeholders"),
        ("", MESSAGE, "no header row"),
        (b"phone_number,first_name\n0241234567,Ad\xe9l\n", MESSAGE, "not UTF-8 text"),
    ],
    ids=[
        "missing column",
        "unknown field",
        "bad template",
        "positional field",
        "empty",
        "not utf-8",
    ],
)
def test_bad_input_exits_6_before_sending(
    tmp_path: Path, content: str | bytes, message: str, error: str
) -> None:
    source = write(tmp_path / "input.csv", content)
    result = velstack("bulk", source, "--message", message)
    assert result.exit_code == 6
    assert result.stderr.startswith("error: ")
    assert error in result.stderr
    assert "sandbox" not in result.stderr  # refused before a client was opened


@pytest.mark.parametrize("make", ["missing", "directory"])
def test_an_unreadable_file_exits_6(tmp_path: Path, make: str) -> None:
    path = tmp_path / "recipients.csv"
    if make == "directory":
        path.mkdir()
    result = velstack("bulk", str(path), "--message", "hi")
    assert result.exit_code == 6
    assert result.stderr.startswith(f"error: cannot read {path}")


def test_an_unwritable_failed_out_exits_6(tmp_path: Path) -> None:
    result = velstack(
        "--sandbox",
        "bulk",
        str(RECIPIENTS),
        "--message",
        MESSAGE,
        "--failed-out",
        str(tmp_path / "no" / "such" / "dir.csv"),
    )
    assert result.exit_code == 6
    assert "cannot write" in result.stderr


def test_a_journal_of_another_campaign_is_refused(tmp_path: Path) -> None:
    journal = str(tmp_path / "campaign.journal")
    first = velstack(
        "--sandbox", "bulk", str(RECIPIENTS), "--message", MESSAGE, "--journal", journal
    )
    assert first.exit_code == 0
    second = velstack(
        "--sandbox", "bulk", str(RECIPIENTS), "--message", "Bye {first_name}", "--journal", journal
    )
    assert second.exit_code == 6
    assert "belongs to another campaign" in second.stderr


def test_running_out_of_credit_stops_then_the_journal_resumes(live: Live, tmp_path: Path) -> None:
    live.fake.set_balance(100, api_key=live.api_key)
    journal = str(tmp_path / "campaign.journal")
    args = [
        "bulk",
        str(RECIPIENTS),
        "--message",
        "Resume test {first_name}",
        "--sender",
        "Shop",
        "--journal",
        journal,
        "--concurrency",
        "8",
        "--rate",
        "5000",
    ]
    first = live.velstack("--json", *args)
    assert first.exit_code == 4, first.stderr
    stopped = as_json(first)
    assert stopped["sent"] == 100
    assert stopped["stopped_reason"].startswith("insufficient balance")
    assert stopped["not_attempted"] > 0
    assert "Top up your balance, then run the same command again" in first.stderr

    live.fake.set_balance(1000, api_key=live.api_key)
    second = live.velstack("--json", *args)
    assert second.exit_code == 0, second.stderr
    resumed = as_json(second)
    assert resumed["sent"] == 200
    already = {r["reason"]: r["count"] for r in resumed["reasons"]}
    assert already["already sent (journal of an earlier run)"] == 100
    sent = live.fake.messages_for(live.api_key)
    assert len(sent) == len({m.recipient for m in sent}) == 300  # everyone once


def test_a_rejected_key_is_one_line_and_leaves_no_journal(
    live: Live, tmp_path: Path, cli_environment: Path
) -> None:
    failed_out = tmp_path / "failed.csv"
    result = live.velstack(
        "bulk",
        str(RECIPIENTS),
        "--message",
        MESSAGE,
        "--sender",
        "Shop",
        "--failed-out",
        str(failed_out),
        api_key="wrong-key",
    )
    assert result.exit_code == 3
    assert result.stdout == ""
    assert result.stderr == (
        "error: authentication failed: Unauthenticated. (check --api-key or VELSTACK_API_KEY)\n"
    )
    assert list(cli_environment.iterdir()) == []
    assert not failed_out.exists()


def test_failed_out_never_overwrites_the_input(tmp_path: Path) -> None:
    source = write(tmp_path / "people.csv", "phone_number\n0241234567\n")
    result = velstack("--sandbox", "bulk", source, "--message", "hi", "--failed-out", source)
    assert result.exit_code == 6
    assert "is the input file" in result.stderr
    assert Path(source).read_text() == "phone_number\n0241234567\n"


def test_an_unknown_outcome_is_reported_but_not_offered_for_retry(
    live: Live, tmp_path: Path
) -> None:
    source = write(tmp_path / "people.csv", "phone_number\n0241234567\n")
    failed_out = tmp_path / "failed.csv"
    live.fake.faults.drop_mode = "disconnect"
    live.fake.faults.schedule("drop")  # accepted and charged, then the connection drops
    try:
        result = live.velstack(
            "--json",
            "bulk",
            source,
            "-m",
            "hi",
            "--sender",
            "Shop",
            "--failed-out",
            str(failed_out),
        )
    finally:
        live.fake.faults.clear()
        live.fake.faults.drop_mode = "timeout"
    assert result.exit_code == 7, result.stderr
    assert as_json(result)["unknown"] == 1
    assert "may have been delivered" in result.stderr
    assert failed_out.read_text().splitlines() == ["phone_number,status,reason"]
    assert len(live.fake.messages_for(live.api_key)) == 1  # it did go out: never resent
