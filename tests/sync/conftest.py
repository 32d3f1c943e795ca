from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import respx

from velstack_async import Velstack
from velstack_async.testing import FakeVelstack

BASE_URL = "https://sms.velstack.com"
API_KEY = "vs_test_sync_7c2e"


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    """A respx router for the default base URL (it patches httpx for every thread)."""
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as router:
        yield router


@pytest.fixture
def client(api: respx.MockRouter, instant_retries: None) -> Iterator[Velstack]:
    """A sync client on httpx's own transport, which respx intercepts."""
    with Velstack(api_key=API_KEY, transport=httpx.AsyncHTTPTransport()) as c:
        yield c


@pytest.fixture
def fake() -> FakeVelstack:
    return FakeVelstack.demo(seed=7)


@pytest.fixture
def fake_client(fake: FakeVelstack, instant_retries: None) -> Iterator[Velstack]:
    """A sync client on the in-process fake server."""
    with Velstack(api_key=fake.api_key, transport=fake.async_transport()) as c:
        yield c
