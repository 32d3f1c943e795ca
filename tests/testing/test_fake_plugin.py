"""The pytest plugin, run the way a user's suite runs it: in a separate pytest."""

from __future__ import annotations

import ast
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


def test_plugin_imports_cheaply() -> None:
    """Loaded in every pytest run: only light imports at module level, the rest in fixtures."""
    import velstack_async.testing.pytest_plugin as plugin

    tree = ast.parse(Path(plugin.__file__).read_text())
    imported: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
    assert imported == {"__future__", "collections.abc", "typing", "pytest"}
