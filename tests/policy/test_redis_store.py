"""The Redis store against a real redis-server: durable, fenced, shared by clients."""

from __future__ import annotations

from typing import Any

import pytest

from tests.distributed.redis_server import RedisServer, free_port
from velstack_async import (
    PolicyStoreError,
    RecipientSuppressedError,
    SendingPolicy,
    SpendCapError,
)
from velstack_async.testing import FakeVelstack

from .conftest import MakeClient

pytestmark = pytest.mark.anyio
SEND: dict[str, Any] = {"recipient": "0205550368", "message": "Your code", "sender": "SHOP"}


async def test_a_restarted_redis_keeps_the_list_and_the_keys(
    redis_server: RedisServer, make_client: MakeClient, fake: FakeVelstack
) -> None:
    client = make_client(SendingPolicy(redis_server.url))
    await client.suppressions.add("0205550369", reason="STOP")
    first = await client.sms.send(**SEND, idempotency_key="otp")
    redis_server.kill()  # kill -9: what was acknowledged is in the append-only file
    redis_server.start()
    assert await client.suppressions.contains("0205550369")
    assert await client.sms.send(**SEND, idempotency_key="otp") == first
    with pytest.raises(RecipientSuppressedError):
        await client.sms.send(**{**SEND, "recipient": "0205550369"})
    assert fake.message_count == 1


async def test_a_redis_that_lost_its_data_refuses_instead_of_sending(
    redis_server: RedisServer, make_client: MakeClient, fake: FakeVelstack
) -> None:
    client = make_client(SendingPolicy(redis_server.url))
    await client.suppressions.add("0205550368", reason="STOP")
    await client.sms.send(**{**SEND, "recipient": "0205550369"}, idempotency_key="otp")
    redis_server.wipe()  # restarted empty: the opt-out and the key are gone
    redis_server.start()
    for call in (
        client.sms.send(**SEND),  # an empty list must not let an opted-out number through
        client.sms.send(**{**SEND, "recipient": "0205550369"}, idempotency_key="otp"),
        client.suppressions.contains("0205550368"),
    ):
        with pytest.raises(PolicyStoreError, match="lost its data"):
            await call
    assert fake.message_count == 1


async def test_clients_of_one_redis_share_suppressions_and_caps(
    redis_server: RedisServer, make_client: MakeClient, fake: FakeVelstack
) -> None:
    one = make_client(SendingPolicy(redis_server.url, max_credits_per_day=2))
    two = make_client(SendingPolicy(redis_server.url, max_credits_per_day=2))
    await one.suppressions.add("0205550369")
    assert await two.suppressions.contains("+233205550369")
    await one.sms.send(**SEND)
    await two.sms.send(**SEND)
    assert fake.message_count == 2
    with pytest.raises(SpendCapError):
        await one.sms.send(**SEND)
    assert fake.message_count == 2


def test_an_unreachable_redis_is_a_clear_error(tmp_path: object) -> None:
    with pytest.raises(PolicyStoreError, match="policy store"):
        SendingPolicy(f"redis://127.0.0.1:{free_port()}/0")
