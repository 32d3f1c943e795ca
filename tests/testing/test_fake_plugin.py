"""The pytest plugin, run the way a user's suite runs it: in a separate pytest."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

USER_TESTS = """
import pytest

from velstack_async.testing import FakeVelstack


def test_fake_fixture(velstack_fake):
    assert isinstance(velstack_fake, FakeVelstack)
    assert velstack_fake.balance() == 1000


@pytest.mark.anyio
async def test_send_a_welcome_sms(velstack_client, velstack_fake):
    summary = await velstack_client.sms.send(
        recipient="0205550368", message="Welcome!", sender="MyShop"
    )
    assert summary.credit_used == 1
    [sent] = velstack_fake.messages
    assert (sent.recipient, sent.text, sent.sender) == ("+233205550368", "Welcome!", "MYSHOP")
    velstack_fake.assert_no_duplicates()
"""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    # Load exactly the plugins named below, whether or not the package is installed.
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    return env


def test_fixtures_in_a_users_suite(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\nfilterwarnings = error\n")
    (tmp_path / "test_user.py").write_text(textwrap.dedent(USER_TESTS))
    command = [sys.executable, "-m", "pytest", "-p", "anyio"]
    command += ["-p", "velstack_async.testing.pytest_plugin", "-p", "no:cacheprovider", "-q"]
    result = subprocess.run(
        command, cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout  # the async test on asyncio and trio


def test_plugin_leaves_optional_dependencies_unimported() -> None:
    """Loaded in every pytest run: uvicorn (the ``server`` extra) only once a server starts."""
    code = "import sys, velstack_async.testing.pytest_plugin; print('uvicorn' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], env=_env(), capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "False", result.stderr
