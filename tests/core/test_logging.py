"""The DEBUG line of each request names its status code (docs/observability.md)."""

from __future__ import annotations

import logging
import re

import pytest
import respx

from velstack_async import AsyncVelstack, AuthenticationError

from . import payloads as p

pytestmark = pytest.mark.anyio


async def test_the_debug_line_shows_the_status_code(
    api: respx.MockRouter, client: AsyncVelstack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="velstack_async")
    api.post("/api/quick/sms").respond(200, json=p.QUICK_SMS)
    api.get("/api/group").respond(401, json={"message": "Unauthenticated."})
    await client.sms.send(recipient="0205550368", message="code 4821", sender="SHOP")
    with pytest.raises(AuthenticationError):
        await client.groups.list()
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    requests = [line for line in lines if " -> " in line]
    assert len(requests) == 2, lines
    assert re.fullmatch(r"POST /api/quick/sms -> 200 in \d+\.\d ms \(retries: 0\)", requests[0])
    assert requests[1] == "GET /api/group -> 401 AuthenticationError (retries: 0)"
    assert not any("4821" in line or "0205550368" in line for line in lines)
