"""Every Python block of README.md and docs/ runs (tests/docs/blocks.py says how).

A block runs as a reader would run it: a script in a fresh process, in a folder of its
own that holds the page's earlier ``file`` blocks and the demo CSV, with
``VELSTACK_API_KEY`` and ``VELSTACK_BASE_URL`` pointing at a fake Velstack served on
loopback (the demo account: groups, contacts, 1,000,000 credits). A block that fails,
prints a traceback or hangs fails its test, named by page and line. The summary line
("docs examples: N run, M not run") comes from conftest.py. They take about a minute
of CPU (a process and a server each), so the fast suite leaves them to their own line:
``python -m pytest -m examples`` (CI runs it).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from velstack_async.testing import FakeVelstack

from .blocks import ROOT, Block, all_blocks, blocks

BLOCKS = all_blocks()
TIMEOUT = 90
DEMO_CSV = ROOT / "examples" / "recipients.csv"


def _param(block: Block) -> object:
    marks = [pytest.mark.skip(reason=f"not run: {block.arg}")] if block.kind == "skip" else []
    return pytest.param(block, id=block.id, marks=marks)


@pytest.fixture
def fake_env() -> Iterator[dict[str, str]]:
    fake = FakeVelstack.demo(balance=1_000_000)
    with fake.serve_in_thread() as base_url:
        yield {"VELSTACK_API_KEY": fake.api_key, "VELSTACK_BASE_URL": base_url}
    fake.assert_no_duplicates()


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    from tests.distributed.redis_server import RedisServer

    directory = tmp_path / "redis"
    directory.mkdir()
    server = RedisServer(directory).start()
    try:
        yield server.url
    finally:
        server.stop()


def _workdir(block: Block, tmp_path: Path) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    if DEMO_CSV.exists():
        shutil.copy(DEMO_CSV, work / "recipients.csv")
    for earlier in blocks(block.page):
        if earlier.line >= block.line:
            break
        if earlier.kind == "file":
            (work / earlier.arg).write_text(earlier.code, encoding="utf-8")
    return work


@pytest.mark.examples
@pytest.mark.parametrize("block", [_param(b) for b in BLOCKS if b.kind != "file"])
def test_example_runs(
    block: Block, tmp_path: Path, fake_env: dict[str, str], request: pytest.FixtureRequest
) -> None:
    work = _workdir(block, tmp_path)
    env = {**os.environ, **fake_env, "PYTHONPATH": str(work), "NO_COLOR": "1"}
    env.pop("PYTEST_XDIST_WORKER", None)
    if block.kind == "redis":
        env["VELSTACK_REDIS_URL"] = request.getfixturevalue("redis_url")
    script = work / ("test_example.py" if block.kind == "pytest" else "example.py")
    script.write_text(block.code, encoding="utf-8")
    if block.kind == "pytest":
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "0"]
        command += ["-o", "addopts=", *shlex.split(block.arg), str(script)]
    else:
        command = [sys.executable, str(script)]
    done = subprocess.run(
        command, cwd=work, env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )
    output = f"{done.stdout}\n{done.stderr}"
    assert done.returncode == 0, f"{block.id} exited {done.returncode}:\n{output}"


def test_every_page_has_its_blocks_read() -> None:
    """The runner finds blocks at all: a broken fence pattern would pass every page."""
    assert len([b for b in BLOCKS if b.kind != "skip"]) >= 20
    readme = [b for b in BLOCKS if b.page.name == "README.md"]
    assert readme, "README.md has no Python block"
