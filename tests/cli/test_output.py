"""How results look: numbers, piped tables, the progress line, reasons and error lines."""

from __future__ import annotations

import json
import os
import pty
import re
import socket
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from velstack_async.cli.output import text_of

from .conftest import VELSTACK, Live, velstack, velstack_process

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def cell(stdout: str, name: str) -> str:
    """The value of a row of a key-value table."""
    for line in stdout.splitlines():
        parts = [p.strip() for p in line.strip().strip("│").split("│")]
        if len(parts) == 2 and parts[0] == name:
            return parts[1]
    raise AssertionError(f"no {name!r} row in:\n{stdout}")


def many(tmp_path: Path, rows: int) -> str:
    path = tmp_path / "many.csv"
    lines = [f"024{1_000_000 + i:07d},N{i}" for i in range(rows)]
    path.write_text("phone_number,first_name\n" + "\n".join(lines) + "\n")
    return str(path)


@pytest.mark.parametrize(
    ("value", "shown"),
    [(19794, "19,794"), (Decimal("19794"), "19,794"), (Decimal("1250.50"), "1,250.50"), (7, "7")],
)
def test_counts_and_amounts_are_written_alike(value: int | Decimal, shown: str) -> None:
    assert text_of(value).plain == shown


def test_bulk_and_dry_run_tables_group_digits(tmp_path: Path) -> None:
    source = many(tmp_path, 1_200)
    dry = velstack("bulk", source, "-m", "Hi {first_name}", "--dry-run")
    assert (cell(dry.stdout, "Rows"), cell(dry.stdout, "Estimated credits")) == ("1,200", "1,200")
    sent = velstack("--sandbox", "bulk", source, "-m", "Hi {first_name}")
    assert sent.exit_code == 0, sent.stderr
    assert (cell(sent.stdout, "Sent"), cell(sent.stdout, "Credits used")) == ("1,200", "1,200")
    assert cell(sent.stdout, "Credit left (balance)") == "98,800.00"


def test_piped_tables_never_fold_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "50")  # a narrow terminal's setting, but the output is piped
    table = velstack_process("--sandbox", "contacts", "list").stdout
    assert len(re.findall(UUID, table)) == 2, table  # the demo's two contacts, ids whole
    sent = velstack_process("--sandbox", "send", "--to", "0205550368", "-m", "hi").stdout
    assert re.search(rf"│ Message id\s+│ {UUID}\s+│", sent), sent


def test_the_progress_line_counts_skipped_rows(tmp_path: Path) -> None:
    """On a terminal (a pseudo-terminal here), the live line shows sent, failed and skipped."""
    master, slave = pty.openpty()
    env = {**os.environ, "COLUMNS": "200", "VELSTACK_SANDBOX_LATENCY": "0"}
    source = tmp_path / "people.csv"
    source.write_text("phone_number,first_name\n0241234567,Ama\n0241234567,Ama\n12,Bad\n")
    process = subprocess.Popen(
        [str(VELSTACK), "--sandbox", "bulk", str(source), "-m", "Hi {first_name}"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=slave,
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the process closed its end
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert process.wait(timeout=60) == 0
    screen = b"".join(chunks).decode("utf-8", "replace")
    assert "1 sent" in screen
    assert "2 skipped" in screen


def test_the_unknown_reason_names_the_flag(live: Live, tmp_path: Path) -> None:
    source = tmp_path / "people.csv"
    source.write_text("phone_number\n0241234567\n")
    live.fake.faults.drop_mode = "disconnect"
    live.fake.faults.schedule("drop")  # accepted, then the connection drops: unknown
    args = ["bulk", str(source), "--message", "hi", "--sender", "Shop"]
    try:
        assert live.velstack(*args).exit_code == 7
    finally:
        live.fake.faults.clear()
        live.fake.faults.drop_mode = "timeout"
    again = live.velstack("--json", *args)
    [unsent] = json.loads(again.stdout)["unsent"]
    assert unsent["status"] == "unknown"
    assert "add --resend-unknown to send it again" in unsent["reason"]
    assert "resend_unknown=True" not in again.stdout
    table = live.velstack(*args)
    assert "--resend-unknown" in table.stdout
    assert "resend_unknown" not in table.stdout


def test_a_connection_error_on_plain_http_does_not_mention_tls() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = velstack("--api-key", "k", "--base-url", f"http://127.0.0.1:{port}", "groups", "list")
    assert result.exit_code == 5
    assert result.stderr.startswith("error: cannot reach Velstack")
    assert "ssl:" not in result.stderr
