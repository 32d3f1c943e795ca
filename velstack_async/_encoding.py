"""Smart encoding: Unicode look-alikes replaced by GSM-7 characters, and why a text is UCS-2.

One curly quote, en dash or non-breaking space pasted from a word processor
makes a whole message UCS-2 (70 characters a segment instead of 160). With
smart encoding the SDK replaces such characters with their GSM 03.38
look-alikes (``’`` -> ``'``, ``–`` -> ``-``, ``…`` -> ``...``, a no-break
space -> a space) before the message is sent, as Twilio's Messaging Services
do. The table covers the characters Twilio's documentation lists (quotes,
dashes, ellipsis, the Unicode spaces, bullets, fractions, full-width forms,
small capitals, invisible format characters...).

Rules:

- A text that is already GSM-7 is returned unchanged.
- The text is first put in Unicode normal form C, so ``e`` followed by a
  combining acute accent becomes ``é`` (a GSM-7 character).
- If characters with no GSM-7 form remain (emoji, Cyrillic, Chinese, ``á``),
  the message stays UCS-2 anyway, and the text is sent **exactly as given**:
  replacing look-alikes would change it and save nothing.
- The smart-encoded text is used only when it takes no more segments than
  the original (``…`` becomes three characters), and never when it would be
  blank (a message of zero-width spaces is not emptied).
"""

# ruff: noqa: RUF002, RUF003  (this module is about look-alike characters)
from __future__ import annotations

import unicodedata
from collections.abc import Mapping

import attrs

from ._exceptions import InvalidInputError
from ._segments import GSM7_BASIC, GSM7_EXTENSION, count_segments

__all__ = [
    "REPLACEMENTS",
    "Ucs2Character",
    "checked_flag",
    "describe",
    "smart_encode",
    "ucs2_characters",
]

_QUOTE, _APOSTROPHE, _SPACE = '"', "'", " "


def _table() -> dict[str, str]:
    table: dict[str, str] = {}

    def add(replacement: str, *chars: str) -> None:
        for char in chars:
            table[char] = replacement

    # Double quotation marks: « » “ ” „ ‟ ″ ʺ ˮ ❝ ❞ 〝 〞 ＂
    add(_QUOTE, "\u00ab", "\u00bb", "\u201c", "\u201d", "\u201e", "\u201f", "\u2033")
    add(_QUOTE, "\u02ba", "\u02ee", "\u275d", "\u275e", "\u301d", "\u301e", "\uff02")
    # Single quotation marks, apostrophes, primes and accents used as one: ‘ ’ ‚ ‛ ′ ´ ` ...
    add(_APOSTROPHE, "\u2018", "\u2019", "\u201b", "\u2032", "\u00b4", "\u0060", "\uff07")
    add(_APOSTROPHE, "\u02b9", "\u02bb", "\u02bc", "\u02bd", "\u02c8", "\u02ca", "\u02cb")
    add(_APOSTROPHE, "\u275b", "\u275c", "\ufe10", "\ufe11", "\u0313", "\u0314")
    add(",", "\u201a", "\u0326", "\ufe50", "\ufe51", "\uff0c", "\uff64", "\u3001")
    add("<", "\u2039", "\ufe64", "\uff1c")  # ‹
    add(">", "\u203a", "\ufe65", "\uff1e")  # ›
    # Dashes, hyphens, minus signs and bullets.
    add("-", "\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2015", "\u2212", "\u2043")
    add("-", "\u23bc", "\u23bd", "\ufe58", "\ufe63", "\uff0d", "\u2022", "\u2023", "\u2219")
    add("-", "\u25e6", "\u2027")
    add("_", "\u2017", "\u0332", "\uff3f")
    add("...", "\u2026")
    add("..", "\u2025")
    # Spaces: no-break, en/em, thin, hair, figure, ideographic... and line/paragraph separators.
    add(_SPACE, "\u00a0", "\u2000", "\u2001", "\u2002", "\u2003", "\u2004", "\u2005")
    add(_SPACE, "\u2006", "\u2007", "\u2008", "\u2009", "\u200a", "\u202f", "\u205f")
    add(_SPACE, "\u3000", "\u2028", "\u2029", "\t", "\u0080", "\u008d", "\u0090", "\u009b")
    add(_SPACE, "\u009f")
    # Invisible: zero-width space, word joiner, byte-order mark, soft hyphen, controls.
    add("", "\u200b", "\u2060", "\ufeff", "\u00ad", "\u0000", "\u0003", "\u0004", "\u0010")
    add("", "\u0011", "\u0012", "\u0013", "\u0014", "\u0017", "\u0019")
    # Fractions, division and slashes.
    add("1/4", "\u00bc")
    add("1/2", "\u00bd")
    add("3/4", "\u00be")
    add("/", "\u00f7", "\u2044", "\u2215", "\u29f8", "\uff0f", "\u0337", "\u0338")
    add("\\", "\u29f5", "\u29f9", "\ufe68", "\uff3c", "\u20e5")
    add("|", "\u2223", "\uff5c", "\u23b8", "\u23b9", "\u23d0", "\u239c", "\u239f")
    add("|", "\u20d2", "\u20d3")
    # Other punctuation in full-width, small and ornamental forms.
    add("!", "\u01c3", "\ufe15", "\ufe57", "\uff01")
    add("!!", "\u203c")
    add("?", "\ufe16", "\ufe56", "\uff1f")
    add("#", "\ufe5f", "\uff03")
    add("$", "\ufe69", "\uff04")
    add("%", "\ufe6a", "\uff05")
    add("&", "\ufe60", "\uff06")
    add("@", "\ufe6b", "\uff20")
    add("(", "\u2768", "\u276a", "\u27ee", "\u2985", "\ufe59", "\uff08")
    add(")", "\u2769", "\u276b", "\u27ef", "\u2986", "\ufe5a", "\uff09")
    add("*", "\u204e", "\u2217", "\u229b", "\u2722", "\u2723", "\u2724", "\u2725", "\u2731")
    add("*", "\u2732", "\u2733", "\u273a", "\u273b", "\u273c", "\u273d", "\u2743", "\u2749")
    add("*", "\u274a", "\u274b", "\u29c6", "\ufe61", "\uff0a")
    add("+", "\u02d6", "\ufe62", "\uff0b")
    add(".", "\u3002", "\ufe52", "\uff0e", "\uff61")
    add(":", "\u02d0", "\u02f8", "\u2982", "\ua789", "\ufe13", "\uff1a")
    add(";", "\u204f", "\ufe14", "\ufe54", "\uff1b")
    add("=", "\u0347", "\ua78a", "\ufe66", "\uff1d")
    add("^", "\u02c6", "\u0302", "\u1dcd", "\uff3e")
    add("{", "\u2774", "\ufe5b", "\uff5b")
    add("}", "\u2775", "\ufe5c", "\uff5d")
    add("[", "\uff3b")
    add("]", "\uff3d")
    add("~", "\u02dc", "\u02f7", "\u0303", "\u0330", "\u0334", "\u223c", "\uff5e")
    # Full-width digits and letters; small capitals.
    for offset in range(10):
        add(chr(ord("0") + offset), chr(0xFF10 + offset))
    for offset in range(26):
        add(chr(ord("A") + offset), chr(0xFF21 + offset))
        add(chr(ord("a") + offset), chr(0xFF41 + offset))
    small_capitals = (
        "\u1d00\u0299\u1d04\u1d05\u1d07\ua730\u0262\u029c\u026a\u1d0a\u1d0b\u029f\u1d0d"
    )
    small_capitals += "\u0274\u1d0f\u1d18\ua7af\u0280\ua731\u1d1b\u1d1c\u1d20\u1d21x\u028f\u1d22"
    for letter, small in zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", small_capitals, strict=True):
        if small != "x":  # no small capital X in Unicode
            add(letter, small)
    return table


#: Each character smart encoding replaces, and its GSM-7 replacement ("" removes it).
REPLACEMENTS: Mapping[str, str] = _table()
_TRANSLATE = str.maketrans(dict(REPLACEMENTS))
_GSM7 = GSM7_BASIC | GSM7_EXTENSION


@attrs.frozen
class Ucs2Character:
    """A character that forces a message into UCS-2.

    ``position`` counts characters from 1 (as an editor's column does);
    ``replacement`` is what smart encoding puts in its place, or None when the
    character has no GSM-7 form (it will stay UCS-2).
    """

    char: str
    position: int
    replacement: str | None

    @property
    def name(self) -> str:
        """The character's Unicode name (``"RIGHT SINGLE QUOTATION MARK"``)."""
        return unicodedata.name(self.char, f"U+{ord(self.char):04X}")

    def __str__(self) -> str:
        """``’ at 14``; an invisible character by its code point and name."""
        char = self.char
        shown = char if char.isprintable() and not char.isspace() else f"U+{ord(char):04X}"
        if shown != char:
            shown += f" ({self.name.lower()})"
        return f"{shown} at {self.position}"


def describe(characters: tuple[Ucs2Character, ...], limit: int = 5) -> str:
    """``3 characters force UCS-2: ’ at 14, – at 31, … at 40`` (the first ``limit`` named)."""
    if not characters:
        return "none (GSM-7)"
    named = ", ".join(str(c) for c in characters[:limit])
    more = f" and {len(characters) - limit} more" if len(characters) > limit else ""
    noun = "character forces" if len(characters) == 1 else "characters force"
    return f"{len(characters)} {noun} UCS-2: {named}{more}"


def ucs2_characters(text: str, limit: int | None = None) -> tuple[Ucs2Character, ...]:
    """The characters of ``text`` outside GSM-7, in order (at most ``limit``)."""
    found: list[Ucs2Character] = []
    for index, char in enumerate(text):
        if char not in _GSM7:
            found.append(Ucs2Character(char, index + 1, REPLACEMENTS.get(char)))
            if limit is not None and len(found) >= limit:
                break
    return tuple(found)


def smart_encode(text: str) -> str:
    """``text`` with Unicode look-alikes replaced by GSM-7 characters (see the module rules).

    Returns ``text`` itself when it is already GSM-7, when characters without a
    GSM-7 form would remain, or when the replacements would cost more segments.
    """
    before = count_segments(text)
    if before.encoding == "GSM-7":
        return text
    encoded = unicodedata.normalize("NFC", text).translate(_TRANSLATE)
    after = count_segments(encoded)
    if after.encoding != "GSM-7" or after.segments > before.segments or not encoded.strip():
        return text  # an invisible character alone would become an empty message
    return encoded


def checked_flag(value: object) -> bool:
    """The ``smart_encoding`` argument, checked: `InvalidInputError` unless a bool."""
    if not isinstance(value, bool):
        raise InvalidInputError(f"smart_encoding must be True or False, got {value!r}")
    return value
