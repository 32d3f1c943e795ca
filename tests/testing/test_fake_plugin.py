"""The pytest plugin, run the way a user's suite runs it: in a separate pytest.

The plugin loads through its ``pytest11`` entry point, beside whichever async
test runner the project uses: anyio's plugin (asyncio and trio), or
pytest-asyncio in its default strict mode or in auto mode (a FastAPI project's
usual choice). The user adds nothing for the fixtures to work.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

FAKE_TEST = """
from velstack_async.testing import FakeVelstack


def test_fake_fixture(velstack_fake):
    assert isinstance(velstack_fake, FakeVelstack)
    assert velstack_fake.balance() == 1000
"""

SEND_TEST = """
{decorator}async def test_send_a_welcome_sms(velstack_client, velstack_fake):
    summary = await velstack_client.sms.send(
        recipient="0205550368", message="Welcome!", sender="MyShop"
    )
    assert summary.credit_used == 1
    assert velstack_client.base_url == "https://sms.velstack.com"
    [sent] = velstack_fake.messages
    assert (sent.recipient, sent.text, sent.sender) == ("+233205550368", "Welcome!", "MYSHOP")
    velstack_fake.assert_no_duplicates()


{decorator}async def test_errors_and_a_second_client(velstack_client, velstack_fake):
    velstack_fake.set_balance(0)
    with pytest.raises(InsufficientBalanceError):
        await velstack_client.sms.send(recipient="0205550368", message="Hi", sender="MyShop")
    async with velstack_client.with_options(max_retries=0) as other:
        assert await other.groups.list() == []
"""

#: The async test runners: (plugin ini lines, how a test is marked, tests run).
RUNNERS = {
    # anyio's plugin runs each marked test on every backend installed: asyncio and trio.
    "anyio": ("", "@pytest.mark.anyio\n", 2 * 2),
    "pytest-asyncio strict": ("", "@pytest.mark.asyncio\n", 2),
    "pytest-asyncio auto": ("asyncio_mode = auto\n", "", 2),
}


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)  # entry points load, as in a user's venv
    env.pop("PYTEST_ADDOPTS", None)
    # A developer's own settings (plain HTTP to a staging host) must not reach the fixtures.
    env["VELSTACK_BASE_URL"] = "http://staging.example:8080"
    env["VELSTACK_API_KEY"] = "vs_live_not_for_tests"
    return env


def _pytest(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:xdist", *args]
    return subprocess.run(
        command, cwd=project, env=_env(), capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("runner", sorted(RUNNERS))
def test_fixtures_under_every_async_runner(tmp_path: Path, runner: str) -> None:
    ini, decorator, async_runs = RUNNERS[runner]
    # Warnings are errors, as in this project; pytest-asyncio warns while its fixture loop
    # scope is unset, which is the user's setting, so it is set here.
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nfilterwarnings = error\nasyncio_default_fixture_loop_scope = function\n" + ini
    )
    header = "import pytest\n\nfrom velstack_async import InsufficientBalanceError\n"
    tests = FAKE_TEST + SEND_TEST.format(decorator=decorator)
    (tmp_path / "test_user.py").write_text(header + textwrap.dedent(tests))
    result = _pytest(tmp_path, "-rA")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    plugins = next(line for line in result.stdout.splitlines() if line.startswith("plugins:"))
    assert "anyio-" in plugins, plugins
    assert "asyncio-" in plugins, plugins
    assert f"{1 + async_runs} passed" in result.stdout, output
    if runner == "anyio":
        assert "[asyncio]" in result.stdout, output
        assert "[trio]" in result.stdout, output


def test_plugin_leaves_optional_dependencies_unimported() -> None:
    """Loaded in every pytest run: uvicorn (the ``server`` extra) only once a server starts."""
    code = "import sys, velstack_async.testing.pytest_plugin; print('uvicorn' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], env=_env(), capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "False", result.stderr
