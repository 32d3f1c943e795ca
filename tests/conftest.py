from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import settings

import velstack_async

# The suite starts a few thousand Python subprocesses (servers, workers, CLI runs, example
# programs): they write and reuse bytecode, as a user's install does, even where the machine
# sets PYTHONDONTWRITEBYTECODE=1 (each would compile every module from source again).
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

# No per-example deadline for the property tests: the first run on a fresh machine pays
# one-off costs inside an example (libphonenumber loading a region's metadata, say), and
# Hypothesis would report such an example "Flaky" when its replay is fast. (CI machines
# are the fresh ones: this failed one first run in a new virtual environment.)
settings.register_profile("velstack", deadline=None)
settings.load_profile("velstack")


@pytest.fixture(
    params=[
        pytest.param("asyncio", id="asyncio"),
        pytest.param("trio", id="trio"),
    ]
)
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Every async test runs on both asyncio and trio (anyio's pytest plugin)."""
    return str(request.param)


@pytest.fixture
def instant_retries() -> Iterator[None]:
    """Retries happen, but their waits (backoff, Retry-After) take no time."""
    velstack_async.set_testing(True)
    try:
        yield
    finally:
        velstack_async.set_testing(False)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """How many documentation examples ran (tests/docs/test_examples.py)."""
    outcomes: dict[str, int] = {}
    for outcome in ("passed", "failed", "skipped", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            nodeid = getattr(report, "nodeid", "")
            if "test_examples.py::test_example_runs" in nodeid and report.when in (
                "call",
                "setup",
            ):
                outcomes[outcome] = outcomes.get(outcome, 0) + 1
    if outcomes:
        ran = outcomes.get("passed", 0) + outcomes.get("failed", 0) + outcomes.get("error", 0)
        terminalreporter.write_line(
            f"docs examples: {ran} run ({outcomes.get('passed', 0)} passed), "
            f"{outcomes.get('skipped', 0)} not run (marked skip)"
        )
