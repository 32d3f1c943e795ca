"""The small pieces: templates, estimates, statuses, the rate limiter."""

from __future__ import annotations

import anyio
import pytest

from velstack_async import AsyncVelstack, BulkMessage, BulkStatus, Estimate, InvalidInputError
from velstack_async._bulk.pacer import RateLimiter
from velstack_async._bulk.template import Template, TemplateError


def test_template_renders_named_fields() -> None:
    template = Template("Hi {first_name}, {code:>4} {user.name} {{literal}}")
    assert template.names == ("first_name", "code", "user")

    class User:
        name = "ama"

    assert template.render({"first_name": "Ama", "code": 7, "user": User()}) == (
        "Hi Ama,    7 ama {literal}"
    )


def test_template_without_fields_renders_once() -> None:
    template = Template("Price: 5 {{cedis}}")
    assert template.names == ()
    assert template.render({}) == "Price: 5 {cedis}"
    assert template.render({"unused": 1}) == "Price: 5 {cedis}"


@pytest.mark.parametrize("source", ["Hi {", "Hi }", "{0}", "{}", "{!r}", "{a!x}"])
def test_bad_templates_are_refused(source: str) -> None:
    with pytest.raises(TemplateError, match="template"):
        Template(source).render({"a": 1})


def test_missing_fields_are_named_without_values() -> None:
    template = Template("{a} {b} {c}")
    with pytest.raises(TemplateError) as caught:
        template.render({"b": "0205550368"})
    assert str(caught.value) == "missing template field(s) 'a', 'c'"


def test_field_errors_do_not_leak_values() -> None:
    with pytest.raises(TemplateError) as caught:
        Template("{n:d}").render({"n": "0205550368"})
    assert "0205550368" not in str(caught.value)
    assert "template field error" in str(caught.value)


@pytest.mark.anyio
async def test_estimate_counts_segments_and_credits() -> None:
    async with AsyncVelstack(api_key="k") as client:
        sms = client.sms
        assert sms.estimate("Hello") == Estimate("GSM-7", 5, 1, 1, 1)
        assert sms.estimate("x" * 161, recipients=1000) == Estimate("GSM-7", 161, 2, 1000, 2000)
        assert sms.estimate("€" * 80, 2) == Estimate("GSM-7", 160, 1, 2, 2)  # counts twice
        assert sms.estimate("€" * 81, 2).segments == 2
        assert sms.estimate("Akwaaba 👋", 3) == Estimate("UCS-2", 10, 1, 3, 3)
        assert sms.estimate("é" * 70).encoding == "GSM-7"
        assert sms.estimate("ş" * 71) == Estimate("UCS-2", 71, 2, 1, 2)
        assert sms.estimate("Hi", recipients=0).credits == 0
        with pytest.raises(InvalidInputError):
            sms.estimate("Hi", recipients=-1)
        with pytest.raises(InvalidInputError):
            sms.estimate(None)  # type: ignore[arg-type]


def test_status_compares_with_its_value() -> None:
    status: BulkStatus = BulkStatus.SENT
    assert status == "sent"
    assert str(BulkStatus.NOT_ATTEMPTED) == "not_attempted"
    assert BulkStatus("unknown") is BulkStatus.UNKNOWN
    assert [s.value for s in BulkStatus] == [
        "sent",
        "failed",
        "skipped",
        "not_attempted",
        "unknown",
    ]


def test_bulk_message_repr_hides_personal_data() -> None:
    message = BulkMessage("0205550368", "Your PIN is 4321", {"pin": "4321"}, "VELSTACK")
    text = repr(message)
    assert "0205550368" not in text
    assert "4321" not in text
    assert "'pin'" in text
    assert "*******368" in text


@pytest.mark.anyio
async def test_rate_limiter_books_evenly_spaced_slots() -> None:
    limiter = RateLimiter(100)
    started = anyio.current_time()
    done: list[float] = []

    async def take() -> None:
        await limiter.acquire()
        done.append(anyio.current_time() - started)

    async with anyio.create_task_group() as tg:
        for _ in range(6):
            tg.start_soon(take)
    done.sort()
    # Slot k starts k * 10 ms after the first (a lower bound: sleeps never end early).
    assert all(t >= k * 0.01 - 1e-6 for k, t in enumerate(done))


def test_bulk_message_fields_must_be_a_mapping() -> None:
    with pytest.raises(TypeError, match="fields must be a mapping"):
        BulkMessage("0205550368", fields=None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("status", "errors", "size"),
    [
        (422, {"recipient": ["The recipient field must not have more than 1000 items."]}, True),
        (422, {"recipient": ["The recipient may not have more than 1000 items."]}, True),
        (422, {"recipient": ["The recipient field must not be greater than 9 characters."]}, True),
        (422, {"recipient": ["The recipient field contains an invalid phone number: 1."]}, False),
        (422, {"message": ["The message must not be greater than 918 characters."]}, False),
        (422, {}, False),
        (413, {}, True),
    ],
)
def test_size_refusals_are_told_apart(
    status: int, errors: dict[str, list[str]], size: bool
) -> None:
    from velstack_async import APIStatusError, ValidationError
    from velstack_async._bulk.outcome import decide

    error: APIStatusError
    if status == 422:
        error = ValidationError("refused", status_code=422, errors=errors)
    else:
        error = APIStatusError("too large", status_code=413)
    assert (decide(error, 2).shrink == 1) is size
