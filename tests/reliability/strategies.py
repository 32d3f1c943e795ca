"""Hypothesis strategies for hostile responses and hostile arguments."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hypothesis import strategies as st

# -- JSON ---------------------------------------------------------------------------

_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=10**300, max_value=10**310)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40)
    | st.sampled_from(
        ["", " ", "0", "-1", "1e999", "NaN", "sNaN", "47.00", "1,000.50", "0205550368"]
    )
    | st.sampled_from(["1e999999999", "-1E+999999", "0E+999999999", "1e-999999999", "Infinity"])
    | st.sampled_from(
        ["2023-08-19T14:07:52.000000Z", "2023-02-30T25:61:61Z", "9999-12-31 23:59:59"]
    )
)

#: Any JSON value (NaN and infinities included: Python's json writes and reads them).
json_values = st.recursive(
    _scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=6,
)


@st.composite
def mutated(draw: st.DrawFn, value: Any) -> Any:
    """``value`` (a JSON document) with some members dropped, replaced or added."""
    if isinstance(value, Mapping):
        result: dict[str, Any] = {}
        for key, member in value.items():
            action = draw(st.sampled_from(["keep", "keep", "mutate", "drop", "replace"]))
            if action == "keep":
                result[key] = member
            elif action == "mutate":
                result[key] = draw(mutated(member))
            elif action == "replace":
                result[key] = draw(json_values)
        if draw(st.booleans()):
            result[draw(st.text(max_size=10))] = draw(json_values)
        return result
    if isinstance(value, list):
        items = [draw(mutated(item)) for item in value]
        return draw(st.sampled_from([items, items[:1], [], items + items, [*items, None]]))
    return draw(st.just(value) | json_values)


def bodies(documented: Mapping[str, Any]) -> st.SearchStrategy[Any]:
    """JSON bodies: anything, an envelope around anything, or the documented one mutated."""
    envelope = st.fixed_dictionaries(
        {},
        optional={
            "status": st.booleans() | json_values,
            "code": st.sampled_from([200, 401, 403, 404, 422, 429, 500, 503]) | json_values,
            "message": st.text(max_size=30) | json_values,
            "data": json_values | mutated(documented.get("data")),
            "errors": json_values,
        },
    )
    return json_values | envelope | mutated(documented)


# -- HTTP -----------------------------------------------------------------------------

statuses = st.sampled_from([200, 201, 204, 302, 400, 401, 403, 404, 422, 429, 500, 502, 503, 504])
statuses |= st.integers(min_value=100, max_value=599)

_header_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40)
retry_after = (
    st.sampled_from(
        [
            "0",
            "1",
            "-5",
            "1e999",
            "nan",
            "inf",
            "1_0",
            "Wed, 21 Oct 2015 07:28:00 GMT",
            "Fri, 31 Dec 9999 23:59:59 GMT",
            "Mon, 01 Jan 0001 00:00:00 +2359",
            "Sun, 06 Nov 1994 08:49:37",
        ]
    )
    | _header_text
)
content_types = (
    st.sampled_from(
        ["application/json", "text/html", "application/json; charset=utf-16", "", "*/*"]
    )
    | _header_text
)


@st.composite
def headers(draw: st.DrawFn) -> list[tuple[str, str]]:
    result: list[tuple[str, str]] = []
    if draw(st.booleans()):
        result.append(("Retry-After", draw(retry_after)))
    if draw(st.booleans()):
        result.append(("Content-Type", draw(content_types)))
    if draw(st.booleans()):
        result.append(("X-RateLimit-Remaining", draw(_header_text)))
    return result


# -- arguments ------------------------------------------------------------------------

#: Anything a caller might pass by mistake (or on purpose).
any_argument = (
    st.text()
    | st.text(st.sampled_from("0123456789+ -(),./\\%?#&\n\t\x00:@"), max_size=40)
    | st.sampled_from(
        [
            "..",
            "../..",
            "a/../b",
            "%2e%2e%2f",
            "a?b=c",
            "a#b",
            "a b",
            "id\n",
            "\u0130d",
            "\uff10\uff12\uff10\uff15\uff15\uff15\uff10\uff13\uff16\uff18",  # fullwidth digits
            "\U0001d7ce205550368",
            "0205550368,0205550368",
            "0205550368,",
            "+233 20 555 0368",
            "tel:+233-20-555-0368",
            "0" * 300,
            "\ud800",
        ]
    )
    | st.none()
    | st.integers()
    | st.floats()
    | st.booleans()
    | st.binary(max_size=12)
    | st.lists(st.text(max_size=5), max_size=3)
    | st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2)
)
