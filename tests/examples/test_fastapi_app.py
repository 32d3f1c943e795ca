from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI

from examples.fastapi_app import create_app
from velstack_async.testing import FakeVelstack

from .conftest import ClientFactory

pytestmark = pytest.mark.anyio


@asynccontextmanager
async def serve(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan running, and an HTTP client calling it in process."""
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://app") as http,
    ):
        yield http


async def test_the_endpoint_sends_through_the_lifespan_client(
    velstack_fake: FakeVelstack, factory: ClientFactory
) -> None:
    async with serve(create_app(factory, sender="MyShop")) as http:
        first = await http.post("/notify", json={"to": "0205550368", "message": "Order shipped"})
        second = await http.post(
            "/notify", json={"to": "+233248297302", "message": "Order shipped"}
        )
    assert first.status_code == second.status_code == 200
    assert first.json()["message_id"]
    assert first.json()["credit_left"] == "999.00"
    assert [(m.recipient, m.text, m.sender) for m in velstack_fake.messages] == [
        ("+233205550368", "Order shipped", "MYSHOP"),
        ("+233248297302", "Order shipped", "MYSHOP"),
    ]
    factory.assert_one_client_closed()


@pytest.mark.usefixtures("instant_retries")
async def test_errors_become_http_statuses(
    velstack_fake: FakeVelstack, factory: ClientFactory
) -> None:
    async with serve(create_app(factory, sender="MyShop")) as http:
        bad_number = await http.post("/notify", json={"to": "12", "message": "hi"})
        for _ in range(3):  # the first try and both retries
            velstack_fake.faults.schedule("unavailable")
        down = await http.post("/notify", json={"to": "0205550368", "message": "hi"})
        velstack_fake.set_balance(0)
        broke = await http.post("/notify", json={"to": "0205550368", "message": "hi"})
    assert bad_number.status_code == 422
    assert "not a valid phone number" in bad_number.json()["detail"]
    assert down.status_code == 502
    assert broke.status_code == 402
    assert velstack_fake.messages == []


def test_creating_the_app_opens_no_client(factory: ClientFactory) -> None:
    create_app(factory)
    assert factory.transports == []
