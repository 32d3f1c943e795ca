"""The installed ``velstack`` console script, run as a real process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import RECIPIENTS, REPO

VELSTACK = Path(sys.executable).with_name("velstack")
QUICKSTART = ["--sandbox", "bulk", "examples/recipients.csv", "--message", "Hello {first_name}"]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VELSTACK_")}
    env.update(VELSTACK_SANDBOX_LATENCY="0.01", VELSTACK_JOURNAL_DIR=str(tmp_path), COLUMNS="100")
    return env


def test_the_readme_quickstart_command(env: dict[str, str]) -> None:
    done = subprocess.run(
        [str(VELSTACK), *QUICKSTART],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    lines = {line.strip("│ ").split("│")[0].strip(): line for line in done.stdout.splitlines()}
    assert "300" in lines["Sent"]
    assert "4" in lines["Skipped"]
    assert "0" in lines["Failed"]


def test_python_dash_m(env: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "velstack_async.cli", "--help"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0
    assert "Exit codes:" in done.stdout


def test_ctrl_c_stops_cleanly_and_the_journal_resumes(env: dict[str, str], tmp_path: Path) -> None:
    journal = tmp_path / "campaign.journal"
    args = [
        str(VELSTACK),
        "--json",
        "--sandbox",
        "bulk",
        str(RECIPIENTS),
        "--message",
        "Hello {first_name}",
        "--journal",
        str(journal),
        "--concurrency",
        "2",
    ]
    slow = {**env, "VELSTACK_SANDBOX_LATENCY": "0.05"}  # 300 rows, 2 at a time: ~8 s
    process = subprocess.Popen(
        args, env=slow, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 30
    while not journal.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.5)  # some messages go out
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    assert "Traceback" not in err
    assert "Interrupted. Run the same command again to resume" in err
    stopped = json.loads(out)
    assert stopped["interrupted"] == "stopped"
    assert 0 < stopped["sent"] < 300

    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    resumed = json.loads(done.stdout)
    reasons = {r["reason"]: r["count"] for r in resumed["reasons"]}
    already = reasons["already sent (journal of an earlier run)"]
    # In-flight sends that finished after Ctrl-C are counted: the summary matches the journal.
    assert already == stopped["sent"]
    assert resumed["sent"] + already == 300
    assert resumed["unknown"] == 0


#: A ``sitecustomize`` that holds the process at the first import of one module (after
#: writing a marker file), so the test's Ctrl-C lands exactly there.
HOLD_AT_IMPORT = """
import importlib.abc, os, sys, time

class Hold(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == os.environ["HOLD_AT_IMPORT"]:
            sys.meta_path.remove(self)
            open(os.environ["HOLD_MARKER"], "w").close()
            time.sleep(60)
        return None

sys.meta_path.insert(0, Hold())
"""


@pytest.mark.parametrize(
    "module",
    [
        "velstack_async._bulk",  # Python imports the SDK before any of the CLI's code
        "velstack_async.cli.app",  # the CLI loads click, rich and its commands
    ],
)
def test_ctrl_c_while_starting_exits_130(env: dict[str, str], tmp_path: Path, module: str) -> None:
    (tmp_path / "sitecustomize.py").write_text(HOLD_AT_IMPORT)
    marker = tmp_path / "held"
    env.update(PYTHONPATH=str(tmp_path), HOLD_AT_IMPORT=module, HOLD_MARKER=str(marker))
    process = subprocess.Popen(
        [str(VELSTACK), "--sandbox", "bulk", "--demo"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while not marker.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.01)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert (process.returncode, out, err) == (130, "", "error: interrupted\n")
