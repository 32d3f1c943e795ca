"""Laravel-style errors: 401, 404, 405, 400 and 422, with nothing processed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from velstack_async.testing import FakeVelstack

SendQuick = Callable[..., httpx.Response]
MISSING = "00000000-0000-4000-8000-000000000000"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer nope"},
        {"Authorization": "Basic dGVzdC1rZXk="},
        {"Authorization": "Bearer "},
    ],
)
def test_unauthenticated(fake: FakeVelstack, headers: dict[str, str]) -> None:
    with fake.http_client(headers=headers) as client:
        for method, path in [
            ("GET", "/api/group"),
            ("POST", "/api/quick/sms"),
            ("DELETE", f"/api/contact/{MISSING}"),
        ]:
            response = client.request(method, path, json={})
            assert response.status_code == 401
            assert response.json() == {"message": "Unauthenticated."}
    assert fake.message_count == 0


def test_header_names_and_scheme_are_case_insensitive(fake: FakeVelstack) -> None:
    response = fake.handle("GET", "/api/group", {"AUTHORIZATION": f"bearer {fake.api_key}"})
    assert response.status == 200


def test_unknown_route(api: httpx.Client) -> None:
    response = api.get("/api/nothing/here")
    assert response.status_code == 404
    assert response.json() == {"message": "The route api/nothing/here could not be found."}


def test_routes_are_checked_before_auth(fake: FakeVelstack) -> None:
    assert fake.handle("GET", "/api/unknown").status == 404
    assert fake.handle("GET", "/api/quick/sms").status == 405


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", "/api/quick/sms", "POST"),
        ("DELETE", "/api/group", "GET, POST"),
        ("GET", "/api/sender/id", "POST"),
        ("POST", f"/api/group/{MISSING}", "DELETE, GET, PATCH, PUT"),
    ],
)
def test_wrong_method(api: httpx.Client, method: str, path: str, allowed: str) -> None:
    response = api.request(method, path)
    assert response.status_code == 405
    route = path.strip("/")
    expected = (
        f"The {method} method is not supported for route {route}. Supported methods: {allowed}."
    )
    assert response.json() == {"message": expected}


@pytest.mark.parametrize(
    ("method", "path", "model"),
    [
        ("GET", f"/api/group/{MISSING}", "Group"),
        ("PUT", f"/api/group/{MISSING}", "Group"),
        ("DELETE", f"/api/group/{MISSING}", "Group"),
        ("GET", f"/api/contact/{MISSING}", "Group"),
        ("PUT", f"/api/contact/{MISSING}", "Contact"),
        ("DELETE", f"/api/contact/{MISSING}", "Contact"),
        ("GET", "/api/group/sms", "Group"),  # GET matches group/{id}, as in Laravel
    ],
)
def test_unknown_ids(api: httpx.Client, method: str, path: str, model: str) -> None:
    response = api.request(method, path, json={})  # 404 comes before validation
    assert response.status_code == 404
    ident = path.rsplit("/", 1)[1]
    assert response.json() == {
        "message": f"No query results for model [App\\Models\\{model}] {ident}"
    }


def test_invalid_json(api: httpx.Client) -> None:
    response = api.post(
        "/api/quick/sms", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json() == {"message": "The request body is not valid JSON."}
    response = api.post("/api/group", json=["group_name"])
    assert response.status_code == 400
    assert response.json() == {"message": "The request body must be a JSON object."}


def _errors(response: httpx.Response) -> dict[str, list[str]]:
    assert response.status_code == 422, response.text
    body = response.json()
    assert list(body) == ["message", "errors"]
    errors: dict[str, list[str]] = body["errors"]
    return errors


@pytest.mark.parametrize("field", ["sender", "recipient", "message"])
@pytest.mark.parametrize("value", [None, "", "   "])
def test_quick_sms_required_fields(
    send_quick: SendQuick, fake: FakeVelstack, field: str, value: Any
) -> None:
    response = send_quick(**{field: value})
    assert _errors(response) == {field: [f"The {field} field is required."]}
    assert response.json()["message"] == f"The {field} field is required."
    assert fake.message_count == 0
    assert fake.balance() == 1000


def test_several_errors_are_summarised(api: httpx.Client) -> None:
    response = api.post("/api/quick/sms", json={"sender": "Velstack"})
    assert _errors(response) == {
        "recipient": ["The recipient field is required."],
        "message": ["The message field is required."],
    }
    assert response.json()["message"] == "The recipient field is required. (and 1 more error)"


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        (
            {"recipient": "12345"},
            {"recipient": ["The recipient field contains an invalid phone number: 12345."]},
        ),
        (
            {"recipient": "0205550368,+4915112345678"},
            {
                "recipient": [
                    "The recipient field contains an invalid phone number: +4915112345678."
                ]
            },
        ),
        ({"recipient": ",,"}, {"recipient": ["The recipient field is required."]}),
        ({"recipient": ["0205550368"]}, {"recipient": ["The recipient field must be a string."]}),
        (
            {"sender": "TWELVECHARSX"},
            {"sender": ["The sender field must not be greater than 11 characters."]},
        ),
        ({"message": 42}, {"message": ["The message field must be a string."]}),
        ({"title": 1}, {"title": ["The title field must be a string."]}),
    ],
)
def test_quick_sms_invalid_fields(
    send_quick: SendQuick, fake: FakeVelstack, fields: dict[str, Any], errors: dict[str, list[str]]
) -> None:
    assert _errors(send_quick(**fields)) == errors
    assert fake.message_count == 0


def test_group_sms_errors(api: httpx.Client, fake: FakeVelstack) -> None:
    assert _errors(api.post("/api/group/sms", json={"sender": "V", "message": "m"})) == {
        "group_id": ["The group id field is required."]
    }
    body = {"sender": "V", "message": "m", "group_id": MISSING}
    assert _errors(api.post("/api/group/sms", json=body)) == {
        "group_id": ["The selected group id is invalid."]
    }
    empty = next(g.id for g in fake.groups() if g.members == 0)
    body["group_id"] = empty
    assert _errors(api.post("/api/group/sms", json=body)) == {
        "group_id": ["The selected group has no contacts."]
    }
    assert fake.message_count == 0


@pytest.mark.parametrize(
    ("method", "path", "body", "errors"),
    [
        ("POST", "/api/group", {}, {"group_name": ["The group name field is required."]}),
        (
            "POST",
            "/api/group",
            {"group_name": "x" * 256},
            {"group_name": ["The group name field must not be greater than 255 characters."]},
        ),
        (
            "PUT",
            "/api/group/{group}",
            {},
            {"group_new_name": ["The group new name field is required."]},
        ),
        (
            "POST",
            "/api/contact",
            {},
            {
                "group_id": ["The group id field is required."],
                "phone_number": ["The phone number field is required."],
            },
        ),
        (
            "POST",
            "/api/contact",
            {"group_id": MISSING, "phone_number": "0205550368"},
            {"group_id": ["The selected group id is invalid."]},
        ),
        (
            "POST",
            "/api/contact",
            {"group_id": "{group}", "phone_number": "020", "email_address": "nope"},
            {
                "phone_number": ["The phone number field must be a valid phone number."],
                "email_address": ["The email address field must be a valid email address."],
            },
        ),
        (
            "PUT",
            "/api/contact/{contact}",
            {"first_name": 3},
            {"first_name": ["The first name field must be a string."]},
        ),
        (
            "PUT",
            "/api/contact/{contact}",
            {"phone_number": "1"},
            {"phone_number": ["The phone number field must be a valid phone number."]},
        ),
        (
            "POST",
            "/api/sender/id",
            {},
            {
                "purpose": ["The purpose field is required."],
                "sender_id": ["The sender id field is required."],
            },
        ),
        (
            "POST",
            "/api/sender/id",
            {"purpose": "p", "sender_id": "VELSTACK"},
            {"sender_id": ["The sender id has already been taken."]},
        ),
        (
            "POST",
            "/api/sender/id",
            {"purpose": "p", "sender_id": "ABCDEFGHIJKL"},
            {"sender_id": ["The sender id field must not be greater than 11 characters."]},
        ),
    ],
)
def test_validation(
    api: httpx.Client,
    fake: FakeVelstack,
    method: str,
    path: str,
    body: dict[str, Any],
    errors: dict[str, list[str]],
) -> None:
    group, contact = fake.groups()[0].id, fake.contacts()[0].id
    path = path.format(group=group, contact=contact)
    body = {k: v.format(group=group) if isinstance(v, str) else v for k, v in body.items()}
    before = (fake.groups(), fake.contacts(), fake.sender_ids())
    assert _errors(api.request(method, path, json=body)) == errors
    assert (fake.groups(), fake.contacts(), fake.sender_ids()) == before
