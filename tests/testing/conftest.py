"""Fixtures for the fake server's own tests: plain httpx clients, no SDK."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from velstack_async.testing import FakeVelstack

SendQuick = Callable[..., httpx.Response]


@pytest.fixture
def fake() -> FakeVelstack:
    """A seeded fake with the documentation's demo data."""
    return FakeVelstack.demo(api_key="test-key", seed=1234)


@pytest.fixture
def api(fake: FakeVelstack) -> Iterator[httpx.Client]:
    """A sync httpx client authenticated against ``fake``, in process."""
    headers = {"Authorization": f"Bearer {fake.api_key}", "Accept": "application/json"}
    with fake.http_client(headers=headers) as client:
        yield client


@pytest.fixture
def send_quick(api: httpx.Client) -> SendQuick:
    """POST /api/quick/sms with sensible defaults for the fields not given."""

    def send(**fields: Any) -> httpx.Response:
        body = {"sender": "Velstack", "recipient": "0205550368", "message": "hello", **fields}
        return api.post("/api/quick/sms", json=body)

    return send
