"""SMS segment counting (GSM 03.38 / 3GPP TS 23.038).

A message that uses only characters of the GSM 7-bit default alphabet (and its
extension table) is sent as GSM-7: one segment holds 160 septets, and a
concatenated message holds 153 per segment. Any other character forces the
whole message to UCS-2: 70 UTF-16 code units in one segment, 67 per segment
when concatenated. The extension characters ``^{}[]~|€\\`` and form feed cost
two septets each (an escape plus the character).

The segment count uses the plain formula ``ceil(n / 153)`` (or ``/ 67``), which
is how providers bill; it does not model an escape pair or a surrogate pair
being pushed to the next segment at a boundary.

Empty text counts as GSM-7 with 0 characters and **0 segments**: the API
refuses an empty message, so nothing is ever charged for it.
"""

from __future__ import annotations

import re
from typing import Literal

import attrs

__all__ = ["GSM7_BASIC", "GSM7_EXTENSION", "Encoding", "SegmentInfo", "count_segments"]

Encoding = Literal["GSM-7", "UCS-2"]

#: The 127 printable characters of the GSM 03.38 default alphabet, in table order
#: (0x1B, the escape to the extension table, is not a character).
GSM7_BASIC: frozenset[str] = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
#: Characters of the GSM 03.38 extension table; each costs two septets.
GSM7_EXTENSION: frozenset[str] = frozenset("\f^{}\\[~]|€")

# Regex scans run in C and stop at the first hit, which beats a per-character loop.
_NOT_BASIC = re.compile("[^" + "".join(map(re.escape, sorted(GSM7_BASIC))) + "]")
_NOT_GSM7 = re.compile("[^" + "".join(map(re.escape, sorted(GSM7_BASIC | GSM7_EXTENSION))) + "]")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_EXTENSION_CHARS = tuple(GSM7_EXTENSION)

GSM7_SINGLE, GSM7_MULTI = 160, 153
UCS2_SINGLE, UCS2_MULTI = 70, 67


@attrs.frozen
class SegmentInfo:
    """How a text is encoded and how many SMS segments it takes.

    ``characters`` is the number of septets for GSM-7 (extension characters
    count twice) or of UTF-16 code units for UCS-2 (characters outside the
    Basic Multilingual Plane, such as most emoji, count twice).
    """

    encoding: Encoding
    characters: int
    segments: int


def _segments(units: int, single: int, multi: int) -> int:
    if units == 0:
        return 0
    if units <= single:
        return 1
    return -(-units // multi)


def count_segments(text: str) -> SegmentInfo:
    """Return the encoding, size and segment count of ``text``."""
    first = _NOT_BASIC.search(text)
    if first is None or _NOT_GSM7.search(text, first.start()) is None:
        septets = len(text)
        if first is not None:
            septets += sum(map(text.count, _EXTENSION_CHARS))
        return SegmentInfo("GSM-7", septets, _segments(septets, GSM7_SINGLE, GSM7_MULTI))
    units = len(text)
    if _ASTRAL.search(text) is not None:
        units = len(text.encode("utf-16-le")) // 2
    return SegmentInfo("UCS-2", units, _segments(units, UCS2_SINGLE, UCS2_MULTI))
