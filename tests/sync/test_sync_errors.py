"""The sync facade raises exactly the errors of the async client."""

from __future__ import annotations

import httpx
import pytest
import respx

from velstack_async import (
    APIConnectionError,
    AuthenticationError,
    InsufficientBalanceError,
    InvalidInputError,
    NotFoundError,
    ServerError,
    ValidationError,
    Velstack,
)
from velstack_async.testing import FakeVelstack

from ..core import payloads as p


def test_not_found(api: respx.MockRouter, client: Velstack) -> None:
    api.get(f"/api/group/{p.GROUP_ID}").respond(404, json={"message": "No query results."})
    with pytest.raises(NotFoundError) as info:
        client.groups.get(p.GROUP_ID)
    assert info.value.status_code == 404


def test_validation_error_carries_field_errors(api: respx.MockRouter, client: Velstack) -> None:
    body = {"message": "The name field is required.", "errors": {"name": ["required"]}}
    api.post("/api/group").respond(422, json=body)
    with pytest.raises(ValidationError) as info:
        client.groups.create(name="x")
    assert info.value.errors == {"name": ["required"]}


def test_invalid_input_raises_before_any_request(api: respx.MockRouter, client: Velstack) -> None:
    with pytest.raises(InvalidInputError):
        client.sms.send(recipient="0205550368", message="hi", sender="A-SENDER-FAR-TOO-LONG")
    with pytest.raises(InvalidInputError):
        client.contacts.update(p.CONTACT_ID)
    assert not api.calls


def test_retries_run_in_the_loop(api: respx.MockRouter, client: Velstack) -> None:
    route = api.get("/api/group")
    route.side_effect = [
        httpx.Response(503, json=p.SERVICE_UNAVAILABLE),
        httpx.Response(200, json=p.GROUPS),
    ]
    assert len(client.groups.list()) == 2
    assert route.call_count == 2


def test_ambiguous_send_is_not_retried(api: respx.MockRouter, client: Velstack) -> None:
    route = api.post("/api/quick/sms").respond(500, json={"message": "Server Error"})
    with pytest.raises(ServerError) as info:
        client.sms.send(recipient="0205550368", message="hi", sender="VELSTACK")
    assert info.value.may_have_been_sent
    assert route.call_count == 1


def test_connection_error(api: respx.MockRouter, client: Velstack) -> None:
    api.get("/api/group").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(APIConnectionError):
        client.groups.list()


def test_bad_api_key_on_the_fake(fake: FakeVelstack) -> None:
    with (
        Velstack(api_key="vs_wrong", transport=fake.async_transport()) as client,
        pytest.raises(AuthenticationError),
    ):
        client.groups.list()


def test_insufficient_balance_on_the_fake(fake: FakeVelstack, fake_client: Velstack) -> None:
    fake.set_balance(0)
    with pytest.raises(InsufficientBalanceError):
        fake_client.sms.send(recipient="0205550368", message="hi", sender="VELSTACK")
    assert fake.message_count == 0


def test_constructor_errors_are_those_of_the_async_client() -> None:
    with pytest.raises(InvalidInputError, match="API key"):
        Velstack(api_key="  ")
    with pytest.raises(InvalidInputError, match="https"):
        Velstack(api_key="k", base_url="http://sms.velstack.com")
