"""What ``pip install velstack-async[...]`` gives a user with no clone of the repository:
the wheel's files (the demo CSV), its metadata, and environments made from one extra."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from contextlib import closing
from email.parser import HeaderParser
from pathlib import Path

import pytest

REPO = Path(__file__).parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    builders = pytest.importorskip("hatchling.builders.wheel")  # in the 'test' extra
    builder = builders.WheelBuilder(str(REPO))
    directory = tmp_path_factory.mktemp("wheel")
    [built] = list(builder.build(directory=str(directory), versions=["standard"]))
    return Path(built)


def metadata(wheel: Path) -> list[tuple[str, str]]:
    with zipfile.ZipFile(wheel) as archive:
        [name] = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        return HeaderParser().parsestr(archive.read(name).decode()).items()


def test_the_classifiers_name_this_python_and_the_async_frameworks(wheel: Path) -> None:
    items = metadata(wheel)
    classifiers = {value for key, value in items if key == "Classifier"}
    [requires] = [value for key, value in items if key == "Requires-Python"]
    declared = sorted(
        tuple(map(int, m.group(1).split(".")))
        for c in classifiers
        if (m := re.fullmatch(r"Programming Language :: Python :: (3\.\d+)", c))
    )
    assert sys.version_info[:2] in declared  # a Python the suite runs on is declared
    assert declared[0] == tuple(map(int, requires.removeprefix(">=").split(".")))
    assert declared == [(3, minor) for minor in range(declared[0][1], declared[-1][1] + 1)]
    assert {"Framework :: AsyncIO", "Framework :: Trio", "Framework :: AnyIO"} <= classifiers
    assert any(c.startswith("Topic :: Communications") for c in classifiers)


def test_the_wheel_alone_runs_the_demo_campaign(wheel: Path, tmp_path: Path) -> None:
    """The wheel's files, unpacked away from the repository, run `velstack --sandbox bulk
    --demo` (the dependencies come from this environment)."""
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    assert (site / "velstack_async" / "cli" / "demo" / "recipients.csv").is_file()
    code = (
        "import sys, velstack_async\n"
        f"assert velstack_async.__file__.startswith({str(site)!r}), velstack_async.__file__\n"
        "from velstack_async.cli import main\n"
        "sys.argv = ['velstack', '--sandbox', '--json', 'bulk', '--demo']\n"
        "main()\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("VELSTACK_")}
    env |= {"PYTHONPATH": str(site), "VELSTACK_JOURNAL_DIR": str(tmp_path / "journals")}
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["sent"] == report["total"] - report["skipped"] > 0
    assert (report["failed"], report["unknown"], report["sandbox"]) == (0, 0, True)


ENQUEUE = """
import asyncio, sys
from celery import Celery
from taskiq_redis import RedisStreamBroker
from velstack_async.distributed import celery as vs_celery, taskiq as vs_taskiq

url = sys.argv[1]
vs_celery.register(Celery("sms", broker=url)).delay(url, "campaign", 0)
broker = RedisStreamBroker(url)
task = vs_taskiq.register(broker)

async def kick():
    await broker.startup()
    await task.kiq(url, "campaign", 0)
    await broker.shutdown()

asyncio.run(kick())
"""


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    from tests.distributed.redis_server import REDIS_SERVER, RedisServer

    if not shutil.which(REDIS_SERVER):  # pragma: no cover
        pytest.skip("redis-server is not installed")
    directory = tmp_path / "redis"
    directory.mkdir()
    with RedisServer(directory) as server:
        yield server.url


@pytest.mark.stress  # installs from the package index into a fresh environment
def test_a_fresh_environment_from_the_cli_and_distributed_extras_runs_and_enqueues(
    wheel: Path, tmp_path: Path, redis_url: str
) -> None:
    """Only ``pip install "velstack-async[cli,distributed]"``: the demo runs, and a chunk
    task is enqueued on Celery (kombu's Redis transport) and on taskiq, with a real Redis."""
    import redis

    venv = tmp_path / "venv"
    uv = [sys.executable, "-m", "uv"]
    subprocess.run([*uv, "venv", "-q", "--python", sys.executable, str(venv)], check=True)
    python = venv / "bin" / "python"
    install = [*uv, "pip", "install", "-q", "--python", str(python)]
    subprocess.run([*install, f"{wheel}[cli,distributed]"], check=True, timeout=600)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VELSTACK_", "PYTHON"))}
    env["VELSTACK_JOURNAL_DIR"] = str(tmp_path / "journals")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False
        )

    demo = run(str(venv / "bin" / "velstack"), "--sandbox", "--json", "bulk", "--demo")
    assert demo.returncode == 0, demo.stderr
    assert json.loads(demo.stdout)["sent"] > 0
    enqueued = run(str(python), "-c", ENQUEUE, redis_url)
    assert enqueued.returncode == 0, enqueued.stderr
    with closing(redis.Redis.from_url(redis_url)) as db:
        assert db.llen("celery") == 1  # kombu's Redis transport: the default queue's list
        assert db.xlen("taskiq") == 1  # taskiq-redis's stream
