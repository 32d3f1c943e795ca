"""smart_encode: what it changes, what it never changes, and that it never costs more."""

# ruff: noqa: RUF001  (look-alike characters are what these tests are about)
from __future__ import annotations

import unicodedata

import pytest
from hypothesis import example, given

from velstack_async._encoding import REPLACEMENTS, smart_encode, ucs2_characters
from velstack_async._segments import GSM7_BASIC, GSM7_EXTENSION, count_segments

from .strategies import any_text, convertible_text, gsm7_text

GSM7 = GSM7_BASIC | GSM7_EXTENSION
TABLE = str.maketrans(dict[str, str | int | None](REPLACEMENTS))


def _has_gsm7_form(char: str) -> bool:
    return char in GSM7 or all(c in GSM7 for c in REPLACEMENTS.get(char, "\x00"))


def test_word_processor_text_becomes_gsm7() -> None:
    text = "We’re open “24/7” – come by… 50% off\u00a0today • ½ price"
    assert count_segments(text).encoding == "UCS-2"
    encoded = smart_encode(text)
    assert encoded == 'We\'re open "24/7" - come by... 50% off today - 1/2 price'
    assert count_segments(encoded).encoding == "GSM-7"


def test_decomposed_accents_are_composed_first() -> None:
    # "é" written as e + COMBINING ACUTE ACCENT is the GSM-7 "é" once composed.
    assert smart_encode("Caf\u0065\u0301 “open”") == 'Café "open"'


@pytest.mark.parametrize("text", ["Привет “друг”", "It’s 🎉 time", "Olá – até já", "中文–"])
def test_a_message_that_stays_ucs2_is_sent_exactly_as_given(text: str) -> None:
    assert smart_encode(text) is text


def test_never_more_segments_than_the_original() -> None:
    # 60 ellipses are one UCS-2 segment; as "..." they would be 180 septets, two segments.
    text = "…" * 60
    assert count_segments(text).segments == 1
    assert smart_encode(text) is text
    assert smart_encode("…" * 30) == "." * 90


def test_an_invisible_message_is_not_emptied() -> None:
    assert smart_encode("\u200b\ufeff") == "\u200b\ufeff"
    assert smart_encode("Hi\u200b") == "Hi"


@given(gsm7_text)
@example("@£$¥èéùìòÇ\nØø\rÅå^{}[]~|€\\\f")
def test_a_gsm7_message_is_never_changed(text: str) -> None:
    assert smart_encode(text) is text


@given(convertible_text)
@example("A\u0302")
@example("…" * 60)
def test_output_is_gsm7_when_every_character_has_a_gsm7_form(text: str) -> None:
    encoded = smart_encode(text)
    before, after = count_segments(text), count_segments(encoded)
    assert after.segments <= before.segments
    if after.encoding == "UCS-2":
        assert encoded is text
        # Composing accents may leave a character with no GSM-7 form (A + U+0302 is Â);
        # otherwise the original is kept only when the look-alikes take more segments,
        # or leave nothing but blanks.
        normalized = unicodedata.normalize("NFC", text)
        if all(_has_gsm7_form(c) for c in normalized):
            replaced = normalized.translate(TABLE)
            assert count_segments(replaced).segments > before.segments or not replaced.strip()
    else:
        assert all(c in GSM7 for c in encoded)


@given(any_text)
def test_any_text(text: str) -> None:
    encoded = smart_encode(text)
    assert count_segments(encoded).segments <= count_segments(text).segments
    assert smart_encode(encoded) == encoded  # idempotent
    normalized = unicodedata.normalize("NFC", text)
    if not all(_has_gsm7_form(c) for c in normalized):
        assert encoded is text  # something stays UCS-2: nothing is touched
    elif encoded is not text:
        assert count_segments(encoded).encoding == "GSM-7"


@given(any_text)
def test_ucs2_characters_are_exactly_the_non_gsm7_ones(text: str) -> None:
    found = ucs2_characters(text)
    assert [(c.position, c.char) for c in found] == [
        (i + 1, c) for i, c in enumerate(text) if c not in GSM7
    ]
    assert all(c.replacement == REPLACEMENTS.get(c.char) for c in found)
    assert (count_segments(text).encoding == "UCS-2") == bool(found)


def test_ucs2_character_names() -> None:
    (quote,) = ucs2_characters("It’s")
    assert (quote.char, quote.position, quote.replacement) == ("’", 3, "'")
    assert quote.name == "RIGHT SINGLE QUOTATION MARK"
