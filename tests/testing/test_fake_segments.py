from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from velstack_async._segments import GSM7_BASIC, GSM7_EXTENSION, SegmentInfo, count_segments


def test_alphabet_is_gsm_03_38() -> None:
    assert len(GSM7_BASIC) == 127  # 128 codes less the escape
    assert {"@", "£", "$", "¤", "Ç", "Δ", "Ω", "¡", "¿", "§", "à", "\n", "\r"} <= GSM7_BASIC
    assert set("\f^{}[]~|€\\") == GSM7_EXTENSION
    assert not GSM7_BASIC & GSM7_EXTENSION
    for not_gsm in ("`", "ç", "á", "\t", "\x1b", "\u2126"):  # the last one is the Ohm sign
        assert not_gsm not in GSM7_BASIC | GSM7_EXTENSION


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", SegmentInfo("GSM-7", 0, 0)),
        ("a", SegmentInfo("GSM-7", 1, 1)),
        ("a" * 160, SegmentInfo("GSM-7", 160, 1)),
        ("a" * 161, SegmentInfo("GSM-7", 161, 2)),
        ("a" * 306, SegmentInfo("GSM-7", 306, 2)),
        ("a" * 307, SegmentInfo("GSM-7", 307, 3)),
        ("€" * 80, SegmentInfo("GSM-7", 160, 1)),
        ("€" * 81, SegmentInfo("GSM-7", 162, 2)),
        ("a{b}\f", SegmentInfo("GSM-7", 8, 1)),
        ("Ça coûte", SegmentInfo("UCS-2", 8, 1)),  # û is not GSM
        ("ç" * 70, SegmentInfo("UCS-2", 70, 1)),
        ("ç" * 71, SegmentInfo("UCS-2", 71, 2)),
        ("ç" * 134, SegmentInfo("UCS-2", 134, 2)),
        ("ç" * 135, SegmentInfo("UCS-2", 135, 3)),
        ("😀" * 35, SegmentInfo("UCS-2", 70, 1)),  # surrogate pairs: 2 units each
        ("😀" * 36, SegmentInfo("UCS-2", 72, 2)),
        ("price `5`", SegmentInfo("UCS-2", 9, 1)),
        ("€" * 10 + "ç", SegmentInfo("UCS-2", 11, 1)),  # UCS-2 counts € once
    ],
)
def test_count_segments(text: str, expected: SegmentInfo) -> None:
    assert count_segments(text) == expected


def _reference(text: str) -> SegmentInfo:
    """A slow, obvious implementation to compare against."""
    if all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text):
        n = sum(2 if c in GSM7_EXTENSION else 1 for c in text)
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        n = sum(2 if ord(c) > 0xFFFF else 1 for c in text)
        single, multi, encoding = 70, 67, "UCS-2"
    segments = 0 if n == 0 else 1 if n <= single else math.ceil(n / multi)
    return SegmentInfo(encoding, n, segments)  # type: ignore[arg-type]


_GSM_TEXT = st.text(alphabet=sorted(GSM7_BASIC | GSM7_EXTENSION), max_size=400)


@given(st.one_of(_GSM_TEXT, st.text(max_size=400)))
def test_matches_reference(text: str) -> None:
    assert count_segments(text) == _reference(text)
