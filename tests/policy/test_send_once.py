"""Send-once keys (issue 25, item 1) on both stores, with the in-process fake."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from velstack_async import (
    APIConnectionError,
    InvalidInputError,
    SendingPolicy,
    SendUnknownError,
    ServiceUnavailableError,
    Velstack,
)
from velstack_async.testing import FakeVelstack

from .conftest import Clock, MakeClient

pytestmark = pytest.mark.anyio
SEND: dict[str, Any] = {
    "recipient": "0205550368",
    "message": "Your order 42 shipped",
    "sender": "SHOP",
}


async def test_a_repeated_key_returns_the_first_summary_without_a_request(
    store: str, make_client: MakeClient, fake: FakeVelstack
) -> None:
    client = make_client(SendingPolicy(store))
    first = await client.sms.send(**SEND, idempotency_key="order-42-shipped")
    # Another client on the same store, the number written another way: the same send.
    other = make_client(SendingPolicy(store))
    again = await other.sms.send(
        **{**SEND, "recipient": "+233 20 555 0368"}, idempotency_key="order-42-shipped"
    )
    assert again == first
    assert again.message_id == first.message_id
    assert fake.message_count == 1


async def test_concurrent_calls_with_one_key_make_one_request(
    store: str, make_client: MakeClient, fake: FakeVelstack
) -> None:
    fake.faults.latency = 0.2  # the first is in flight while the others arrive
    client = make_client(SendingPolicy(store))
    ids: list[str] = []

    async def send() -> None:
        ids.append((await client.sms.send(**SEND, idempotency_key="otp-1")).message_id)

    async with anyio.create_task_group() as tg:
        for _ in range(5):
            tg.start_soon(send)
    assert len(ids) == 5
    assert len(set(ids)) == 1
    assert fake.message_count == 1


async def test_same_key_with_other_arguments_is_refused(
    store: str, make_client: MakeClient, fake: FakeVelstack
) -> None:
    client = make_client(SendingPolicy(store))
    await client.sms.send(**SEND, idempotency_key="k")
    for change in ({"message": "other"}, {"recipient": "0205550369"}, {"sender": "OTHER"}):
        with pytest.raises(InvalidInputError, match="other arguments"):
            await client.sms.send(**{**SEND, **change}, idempotency_key="k")
    with pytest.raises(InvalidInputError, match="other arguments"):
        await client.sms.send(**SEND, title="t", idempotency_key="k")
    assert fake.message_count == 1


async def test_may_have_been_sent_raises_send_unknown_and_never_resends(
    store: str, make_client: MakeClient, fake: FakeVelstack
) -> None:
    client = make_client(SendingPolicy(store), timeout=1.0)
    fake.faults.drop_mode = "disconnect"
    fake.faults.schedule("drop")  # processed (sent), then the answer is lost
    with pytest.raises(APIConnectionError) as first:
        await client.sms.send(**SEND, idempotency_key="k")
    assert first.value.may_have_been_sent
    assert fake.message_count == 1
    with pytest.raises(SendUnknownError) as again:
        await client.sms.send(**SEND, idempotency_key="k")
    assert again.value.may_have_been_sent
    assert fake.message_count == 1


async def test_certainly_not_sent_sends_again(
    store: str, make_client: MakeClient, fake: FakeVelstack
) -> None:
    client = make_client(SendingPolicy(store), max_retries=0)
    fake.faults.schedule("unavailable")  # 503: not processed
    with pytest.raises(ServiceUnavailableError):
        await client.sms.send(**SEND, idempotency_key="k")
    assert fake.message_count == 0
    summary = await client.sms.send(**SEND, idempotency_key="k")
    assert fake.message_count == 1
    assert (await client.sms.send(**SEND, idempotency_key="k")) == summary
    assert fake.message_count == 1


async def test_a_key_expires_after_the_ttl_by_the_policy_clock(
    store: str, make_client: MakeClient, fake: FakeVelstack, clock: Clock
) -> None:
    client = make_client(SendingPolicy(store, clock=clock))
    await client.sms.send(**SEND, idempotency_key="k")
    clock.advance(days=6, hours=23)
    await client.sms.send(**SEND, idempotency_key="k")
    assert fake.message_count == 1
    clock.advance(hours=2)  # past the default 7 days
    await client.sms.send(**SEND, idempotency_key="k")
    assert fake.message_count == 2


async def test_an_abandoned_in_flight_key_becomes_unknown(
    store: str, make_client: MakeClient, fake: FakeVelstack, clock: Clock
) -> None:
    policy = SendingPolicy(store, clock=clock)
    client = make_client(policy, timeout=0.25)  # a request takes at most 4 x 0.25 s
    # A process recorded the key in flight and died before recording the outcome.
    now = clock().timestamp()
    digest_of_other = "0" * 64
    assert policy.store.claim_key("dead", digest_of_other, "t", now, now + 60) is None
    with pytest.raises(InvalidInputError, match="other arguments"):
        await client.sms.send(**SEND, idempotency_key="dead")
    from velstack_async._policy.send_once import fingerprint

    digest = fingerprint("quick", "0205550368", SEND["message"], "SHOP", None)
    assert policy.store.claim_key("dead2", digest, "t", now, now + 600) is None
    with pytest.raises(SendUnknownError, match="still in flight"):
        await client.sms.send(**SEND, idempotency_key="dead2")  # waits for it (1 s), in vain
    clock.advance(seconds=30)  # long past any request's time: it will never finish
    with pytest.raises(SendUnknownError, match="left in flight"):
        await client.sms.send(**SEND, idempotency_key="dead2")
    with pytest.raises(SendUnknownError, match="outcome is unknown"):
        await client.sms.send(**SEND, idempotency_key="dead2")
    assert fake.message_count == 0


@pytest.mark.parametrize("key", ["", "   ", "x" * 256, "a\nb", 42])
async def test_bad_keys_are_refused_before_any_request(
    tmp_path: object, make_client: MakeClient, fake: FakeVelstack, key: object, store: str
) -> None:
    client = make_client(SendingPolicy(store))
    with pytest.raises(InvalidInputError, match="idempotency_key"):
        await client.sms.send(**SEND, idempotency_key=key)  # type: ignore[arg-type]
    assert fake.message_count == 0
    await client.sms.send(**SEND, idempotency_key="x" * 255)  # the longest allowed
    assert fake.message_count == 1


async def test_a_key_without_a_policy_is_refused(
    make_client: MakeClient, fake: FakeVelstack
) -> None:
    client = make_client()
    with pytest.raises(InvalidInputError, match="needs a sending policy"):
        await client.sms.send(**SEND, idempotency_key="k")
    with pytest.raises(InvalidInputError, match="needs a sending policy"):
        await client.sms.send_group(group_id="g1", message="hi", sender="SHOP", idempotency_key="k")
    assert fake.message_count == 0
    await client.sms.send(**SEND)  # without a key, as before
    assert fake.message_count == 1


async def test_send_group_with_a_key_sends_once(
    store: str, make_client: MakeClient, fake: FakeVelstack
) -> None:
    group = fake.add_group("VIP")
    fake.add_contact(group.id, "0205550368")
    fake.add_contact(group.id, "0205550369")
    client = make_client(SendingPolicy(store))
    first = await client.sms.send_group(
        group_id=group.id, message="Sale", sender="SHOP", idempotency_key="vip-sale"
    )
    again = await client.sms.send_group(
        group_id=group.id, message="Sale", sender="SHOP", idempotency_key="vip-sale"
    )
    assert again == first
    assert fake.message_count == 2  # two contacts, one request
    with pytest.raises(InvalidInputError, match="other arguments"):
        await client.sms.send_group(
            group_id=group.id, message="Other", sender="SHOP", idempotency_key="vip-sale"
        )


def test_the_sync_client_sends_once(store: str, fake: FakeVelstack) -> None:
    policy = SendingPolicy(store)
    with Velstack(api_key=fake.api_key, transport=fake.async_transport(), policy=policy) as client:
        first = client.sms.send(**SEND, idempotency_key="sync-key")
        assert client.sms.send(**SEND, idempotency_key="sync-key") == first
    policy.close()
    assert fake.message_count == 1
