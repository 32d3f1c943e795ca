from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient, TestServer

from examples.aiohttp_app import create_app
from velstack_async.testing import FakeVelstack

from .conftest import ClientFactory

# aiohttp runs on asyncio only.
pytestmark = [pytest.mark.anyio, pytest.mark.parametrize("anyio_backend", ["asyncio"])]


async def test_the_handler_sends_through_the_cleanup_ctx_client(
    velstack_fake: FakeVelstack, factory: ClientFactory
) -> None:
    async with TestClient(TestServer(create_app(factory, sender="MyShop"))) as http:
        sent = await http.post("/notify", json={"to": "0205550368", "message": "Order shipped"})
        body = await sent.json()
        bad = await http.post("/notify", json={"to": "not a number", "message": "hi"})
        bad_text = await bad.text()
        velstack_fake.set_balance(0)
        broke = await http.post("/notify", json={"to": "0205550368", "message": "hi"})
    assert sent.status == 200
    assert body["credit_left"] == "999.00"
    assert bad.status == 422
    assert "not a phone number" in bad_text
    assert broke.status == 402
    assert [(m.recipient, m.text, m.sender) for m in velstack_fake.messages] == [
        ("+233205550368", "Order shipped", "MYSHOP")
    ]
    factory.assert_one_client_closed()


async def test_a_body_without_a_number_is_refused(
    velstack_fake: FakeVelstack, factory: ClientFactory
) -> None:
    async with TestClient(TestServer(create_app(factory))) as http:
        response = await http.post("/notify", json={"message": "hi"})
    assert response.status == 422
    assert velstack_fake.request_count == 0
