"""A completed campaign is kept and not sent again; ``velstack journals`` manages journals."""

from __future__ import annotations

import os
import sqlite3
import time
from contextlib import closing
from pathlib import Path

import pytest

from .conftest import RECIPIENTS, Live, as_json, velstack

ARGS = ["bulk", str(RECIPIENTS), "--message", "Rerun {first_name}", "--sender", "Shop"]


def test_rerunning_a_completed_campaign_sends_nothing(live: Live, cli_environment: Path) -> None:
    live.fake.set_balance(10_000, api_key=live.api_key)
    first = live.velstack(*ARGS)
    assert first.exit_code == 0, first.stderr
    assert len(live.fake.messages_for(live.api_key)) == 300

    again = live.velstack(*ARGS)
    assert again.exit_code == 0, again.stderr
    assert len(live.fake.messages_for(live.api_key)) == 300  # not one more
    assert "Campaign already completed" in again.stdout
    lines = {line.strip("│ ").split("│")[0].strip(): line for line in again.stdout.splitlines()}
    assert "300" in lines["Sent then"]
    assert "0" in lines["Sent now"]
    [journal] = cli_environment.glob("*.journal")
    # The CLI never writes into the engine's journal; `with connect()` alone never closes it.
    with closing(sqlite3.connect(journal)) as conn:
        assert {k for (k,) in conn.execute("SELECT key FROM meta")} == {"format", "campaign", "run"}
    assert again.stderr.startswith("This campaign completed on 20")
    assert "add --new-campaign" in again.stderr
    assert str(journal) in again.stderr

    report = as_json(live.velstack("--json", *ARGS))
    assert (report["already_completed"], report["sent"]) == (True, 0)
    assert report["completed"]["sent"] == 300
    assert report["completed"]["credit_used"] == "300"

    new = live.velstack("--json", *ARGS, "--new-campaign")
    assert new.exit_code == 0, new.stderr
    assert as_json(new)["sent"] == 300
    assert len(live.fake.messages_for(live.api_key)) == 600
    assert "Starting a new campaign; the earlier one's journal is now" in new.stderr
    assert len(list(cli_environment.glob("*.journal"))) == 2  # the first campaign's journal is kept


def test_rows_added_to_a_completed_campaign_get_it_and_no_one_else(
    live: Live, tmp_path: Path
) -> None:
    source = tmp_path / "people.csv"
    source.write_text("phone_number,first_name\n0241234567,Ama\n")
    args = ["bulk", str(source), "--message", "Hi {first_name}", "--sender", "Shop"]
    assert live.velstack(*args).exit_code == 0
    with source.open("a") as handle:
        handle.write("0241234568,Kofi\n")
    os.utime(source, ns=(time.time_ns(), time.time_ns() + 1_000_000_000))
    resumed = live.velstack("--json", *args)
    assert resumed.exit_code == 0, resumed.stderr
    assert "changed since this campaign completed: resuming it" in resumed.stderr
    assert (as_json(resumed)["sent"], as_json(resumed)["skipped"]) == (1, 1)
    assert [m.text for m in live.fake.messages_for(live.api_key)] == ["Hi Ama", "Hi Kofi"]
    assert as_json(live.velstack("--json", *args))["already_completed"] is True


def test_a_touched_but_unchanged_file_is_still_the_completed_campaign(
    live: Live, tmp_path: Path
) -> None:
    """A fresh clone or a copy gives the file a new modification time, not new rows."""
    source = tmp_path / "people.csv"
    source.write_text("phone_number,first_name\n0241234567,Ama\n")
    args = ["--json", "bulk", str(source), "--message", "Hi {first_name}", "--sender", "Shop"]
    assert live.velstack(*args).exit_code == 0
    os.utime(source, ns=(time.time_ns(), time.time_ns() + 1_000_000_000))
    again = live.velstack(*args)
    assert again.exit_code == 0, again.stderr
    assert "changed since this campaign completed" not in again.stderr
    assert as_json(again)["already_completed"] is True
    assert len(live.fake.messages_for(live.api_key)) == 1


def test_a_completed_explicit_journal_names_the_way_out(live: Live, tmp_path: Path) -> None:
    journal = str(tmp_path / "march.journal")
    assert live.velstack(*ARGS, "--journal", journal).exit_code == 0
    again = live.velstack(*ARGS, "--journal", journal)
    assert again.exit_code == 0
    assert "use a new --journal path" in again.stderr
    refused = live.velstack(*ARGS, "--journal", journal, "--new-campaign")
    assert refused.exit_code == 2
    assert "give a new --journal path" in refused.stderr
    assert len(live.fake.messages_for(live.api_key)) == 300


def test_a_real_campaign_never_takes_the_sandbox_journal(live: Live, cli_environment: Path) -> None:
    tried = velstack("--sandbox", *ARGS)
    assert tried.exit_code == 0, tried.stderr
    real = live.velstack(*ARGS)
    assert real.exit_code == 0, real.stderr
    assert len(live.fake.messages_for(live.api_key)) == 300
    assert len(list(cli_environment.glob("*.journal"))) == 2


def journals(*args: str) -> list[dict[str, object]]:
    result = velstack("--json", "journals", *args)
    assert result.exit_code == 0, result.stderr
    listed: list[dict[str, object]] = as_json(result)
    return listed


def test_journals_list_show_and_prune(
    monkeypatch: pytest.MonkeyPatch, cli_environment: Path
) -> None:
    monkeypatch.setenv("VELSTACK_SANDBOX_BALANCE", "100")
    assert velstack("--sandbox", *ARGS).exit_code == 4  # stopped: unfinished
    monkeypatch.setenv("VELSTACK_SANDBOX_BALANCE", "1000")
    assert velstack("--sandbox", *ARGS[:3], "Other {first_name}").exit_code == 0  # completed

    listed = journals("list")
    assert sorted((j["completed_at"] is not None, j["sent"]) for j in listed) == [
        (False, 100),
        (True, 300),
    ]
    table = velstack("journals", "list")
    assert "unfinished" in table.stdout
    assert "completed 20" in table.stdout

    unfinished = next(j for j in listed if j["completed_at"] is None)
    name = Path(str(unfinished["path"])).name
    shown = velstack("--json", "journals", "show", name)
    assert shown.exit_code == 0, shown.stderr
    record = as_json(shown)
    assert (record["sent"], record["completed_at"]) == (100, None)
    assert record["sent"] + record["failed"] + record["queued"] == 300
    assert velstack("journals", "show", "no-such").exit_code == 2

    # Nothing is old enough yet.
    assert as_json(velstack("--json", "journals", "prune", "--older-than", "30d", "--yes")) == {
        "deleted": []
    }
    old = time.time() - 31 * 86400
    for path in cli_environment.glob("*.journal"):
        os.utime(path, (old, old))
    pruned = as_json(velstack("--json", "journals", "prune", "--older-than", "30d", "--yes"))
    assert [Path(p).name for p in pruned["deleted"]] != []
    assert [j["completed_at"] is None for j in journals("list")] == [True]  # unfinished kept
    velstack("journals", "prune", "--older-than", "4w", "--unfinished", "--yes")
    assert journals("list") == []


@pytest.mark.parametrize("age", ["30", "soon", "-1d", "3y"])
def test_prune_refuses_a_bad_age(age: str) -> None:
    result = velstack("journals", "prune", "--older-than", age, "--yes")
    assert result.exit_code == 2
    assert "is not an age such as 30d" in result.stderr
