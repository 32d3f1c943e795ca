"""The core install is httpx, attrs, cattrs, anyio and phonenumbers: nothing else at import."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import sys
for name in ("sniffio", "aiohttp", "opentelemetry", "rich", "click", "uvicorn", "redis"):
    sys.modules[name] = None  # import fails: as if not installed
import anyio
from velstack_async import AsyncVelstack, Velstack
from velstack_async.testing import FakeVelstack

fake = FakeVelstack()

async def main() -> None:
    async with AsyncVelstack(api_key=fake.api_key, transport=fake.async_transport()) as c:
        await c.sms.send(recipient="0205550368", message="hi", sender="VELSTACK")
    async with AsyncVelstack(api_key=fake.api_key) as c:
        assert c.http_adapter == "httpx", c.http_adapter  # aiohttp "missing"

anyio.run(main)
with Velstack(api_key=fake.api_key, transport=fake.async_transport()) as client:
    client.sms.send(recipient="0205550368", message="hi", sender="VELSTACK")
assert fake.message_count == 2
print("ok")
"""


def test_the_sdk_runs_with_only_its_core_dependencies() -> None:
    """anyio 4.x no longer brings sniffio: the SDK must not need it (nor any extra)."""
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "ok"
