"""Expected failures: one line on stderr, a distinct exit code, never a traceback or the key."""

from __future__ import annotations

import socket

import pytest
from click.testing import Result

from .conftest import Live, as_json, velstack

WRONG_KEY = "sk-wrong-1234567890"


def assert_one_error_line(result: Result, code: int, starts: str) -> None:
    assert result.exit_code == code, result.stderr
    assert "Traceback" not in result.stderr
    [line] = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert line.startswith(f"error: {starts}"), line


def test_authentication_failure_exits_3_without_showing_the_key(live: Live) -> None:
    result = live.velstack("groups", "list", api_key=WRONG_KEY)
    assert_one_error_line(result, 3, "authentication failed")
    assert "VELSTACK_API_KEY" in result.stderr
    assert WRONG_KEY not in result.stdout + result.stderr


def test_json_errors_are_a_json_document_too(live: Live) -> None:
    result = live.velstack("--json", "groups", "list", api_key=WRONG_KEY)
    assert result.exit_code == 3
    error = as_json(result)["error"]
    assert (error["type"], error["exit_code"]) == ("AuthenticationError", 3)


def test_insufficient_balance_exits_4(live: Live) -> None:
    live.fake.set_balance(0, api_key=live.api_key)
    result = live.velstack("send", "--to", "0205550368", "--message", "hi", "--sender", "Shop")
    assert_one_error_line(result, 4, "insufficient balance")
    assert live.fake.messages_for(live.api_key) == []


def test_an_unknown_group_exits_5(live: Live) -> None:
    result = live.velstack("groups", "get", "no-such-group")
    assert_one_error_line(result, 5, "not found")


def test_an_unreachable_service_exits_5() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = velstack("--api-key", "k", "--base-url", f"http://127.0.0.1:{port}", "groups", "list")
    assert_one_error_line(result, 5, "cannot reach Velstack")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["send", "--to", "0205", "--message", "hi", "--sender", "Shop"], "--to: the number"),
        (["send", "--to", "0205550368", "--message", " ", "--sender", "Shop"], "message must"),
        (["send", "--to", "0205550368", "--message", "hi", "--sender", "Much2Long4It"], "sender"),
        (["contacts", "add", "--group", "../etc", "--phone", "0205550368"], "group_id"),
    ],
)
def test_bad_input_exits_6_before_any_request(live: Live, args: list[str], message: str) -> None:
    before = live.fake.request_count
    result = live.velstack(*args)
    assert_one_error_line(result, 6, message)
    assert live.fake.request_count == before


def test_a_plain_http_base_url_off_loopback_exits_6() -> None:
    result = velstack("--api-key", "k", "--base-url", "http://example.com", "groups", "list")
    assert_one_error_line(result, 6, "base_url must use https://")


def test_a_missing_sender_is_a_usage_error_outside_the_sandbox(live: Live) -> None:
    result = live.velstack("send", "--to", "0205550368", "--message", "hi")
    assert result.exit_code == 2
    assert "--sender is required" in result.stderr
