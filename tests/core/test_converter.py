"""The converter's fast paths give exactly what its general hooks give."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from cattrs.gen import make_dict_structure_fn
from hypothesis import given, settings
from hypothesis import strategies as st

from velstack_async._converter import _structure_decimal, _with_raw, converter
from velstack_async._models import SmsSummary

_generic = _with_raw(make_dict_structure_fn(SmsSummary, converter), {})

_text = st.one_of(st.text(max_size=8), st.integers(-5, 5), st.none(), st.booleans())
_number = st.one_of(
    st.sampled_from(["47.00", "0", "1", "-2.5", "1,000.50", " 3 ", "1e3", "nan", "x", "1" * 31]),
    st.integers(-(10**31), 10**31),
    st.floats(allow_nan=True),
    st.none(),
    st.booleans(),
)
_recipients = st.one_of(
    st.lists(st.one_of(st.text(max_size=10), st.integers(0, 9)), max_size=3),
    st.text(max_size=20),
    st.none(),
)
_summary = st.fixed_dictionaries(
    {},
    optional={
        "message_id": _text,
        "type": _text,
        "message": _text,
        "sender": _text,
        "total_contacts": st.one_of(st.integers(-3, 3), st.text(max_size=3), st.booleans()),
        "recipients": _recipients,
        "credit_used": _number,
        "credit_left": _number,
        "extra": st.integers(),
    },
)

#: Summaries of the plain shape the fast path takes (every field present, plain types).
_plain_summary = st.fixed_dictionaries(
    {
        "message_id": st.text(max_size=8),
        "type": st.text(max_size=8),
        "message": st.text(max_size=8),
        "sender": st.text(max_size=8),
        "total_contacts": st.integers(-3, 10**20),
        "recipients": st.lists(st.text(max_size=12), max_size=3),
        "credit_used": _number,
        "credit_left": _number,
    },
    optional={"extra": st.integers()},
)


def _outcome(structure: Any, value: dict[str, Any]) -> tuple[str, Any]:
    try:
        result = structure(value, SmsSummary)
    except Exception as exc:
        return ("error", type(exc))
    return ("ok", (result, result.raw))


@settings(max_examples=1500, deadline=None)
@given(st.one_of(_summary, _plain_summary))
def test_sms_summary_fast_path_matches_the_generated_hook(value: dict[str, Any]) -> None:
    assert _outcome(converter.structure, value) == _outcome(_generic, value)


def test_the_documented_summary_takes_the_fast_path_and_parses() -> None:
    value = {
        "message_id": "550517f1",
        "type": "Quick SMS",
        "message": "hi",
        "sender": "VELSTACK",
        "total_contacts": 1,
        "recipients": ["0205550368"],
        "credit_used": 1,
        "credit_left": "47.00",
    }
    summary = converter.structure(value, SmsSummary)
    assert summary == _generic(value, SmsSummary)
    assert (summary.credit_used, summary.credit_left) == (Decimal(1), Decimal("47.00"))
    assert summary.raw is value


@pytest.mark.parametrize(
    "value", ["47.00", "-0.5", "1" * 30, "0." + "0" * 29 + "1", 10**30 - 1, -(10**30) + 1, 0]
)
def test_plain_decimals_parse_on_the_fast_path(value: object) -> None:
    assert _structure_decimal(value, Decimal) == Decimal(str(value))


@pytest.mark.parametrize("value", ["1" * 32, 10**31, "0." + "0" * 31 + "1", "1e999999", "NaN"])
def test_out_of_range_decimals_are_refused(value: object) -> None:
    with pytest.raises(ValueError, match=r"range|finite"):
        _structure_decimal(value, Decimal)
