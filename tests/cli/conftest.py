from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from click.testing import CliRunner, Result

from velstack_async.cli.app import cli
from velstack_async.testing import FakeVelstack

REPO = Path(__file__).parents[2]
RECIPIENTS = REPO / "examples" / "recipients.csv"
VELSTACK = Path(sys.executable).with_name("velstack")


@pytest.fixture(autouse=True)
def cli_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No key, sender or base URL from the environment; an instant sandbox; journals in tmp."""
    for name in ("VELSTACK_API_KEY", "VELSTACK_BASE_URL", "VELSTACK_SENDER", "VELSTACK_SANDBOX"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("VELSTACK_SANDBOX_LATENCY", "0")
    monkeypatch.delenv("VELSTACK_SANDBOX_BALANCE", raising=False)
    monkeypatch.setenv("COLUMNS", "160")  # a wide terminal: table cells are not folded
    journals = tmp_path / "journals"
    monkeypatch.setenv("VELSTACK_JOURNAL_DIR", str(journals))
    return journals


def velstack(*args: str) -> Result:
    """Run ``velstack ARGS`` in process; stdout and stderr apart."""
    return CliRunner().invoke(cli, list(args), prog_name="velstack", catch_exceptions=False)


def as_json(result: Result) -> Any:
    """The one JSON document on stdout."""
    return json.loads(result.stdout)


@attrs.frozen
class Live:
    """The fake served on loopback, and an account of its own for one test."""

    fake: FakeVelstack
    base_url: str
    api_key: str

    def velstack(self, *args: str, api_key: str | None = None) -> Result:
        return velstack("--base-url", self.base_url, "--api-key", api_key or self.api_key, *args)


@pytest.fixture(scope="session")
def served_fake() -> Iterator[tuple[FakeVelstack, str]]:
    fake = FakeVelstack(seed=6)
    with fake.serve_in_thread() as base_url:
        yield fake, base_url


@pytest.fixture
def live(served_fake: tuple[FakeVelstack, str]) -> Live:
    """A fresh account (1000 credits, the demo groups and contacts) on the served fake."""
    fake, base_url = served_fake
    api_key = fake.add_account(balance=1000)
    fake.seed_demo(api_key)
    return Live(fake, base_url, api_key)


def velstack_process(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run the ``velstack`` console script as a process (the test's environment)."""
    return subprocess.run(
        [str(VELSTACK), *args],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
