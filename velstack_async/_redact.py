"""Keeping secrets and personal data out of logs, reprs and error messages."""

from __future__ import annotations

import re

_DIGIT_RUN = re.compile(r"\+?\d[\d \-]{5,}\d")


def mask_phone(number: str) -> str:
    """Mask all but the last three digits of a phone number: ``0205550368`` -> ``*******368``."""
    digits = sum(c.isdigit() for c in number)
    if digits <= 3:
        return "*" * len(number)
    kept = 0
    out = []
    for c in reversed(number):
        if c.isdigit() and kept < 3:
            out.append(c)
            kept += 1
        elif c.isdigit():
            out.append("*")
        else:
            out.append(c)
    return "".join(reversed(out))


def mask_digits(text: str) -> str:
    """Mask every phone-number-like run of 7 or more digits inside free text."""
    return _DIGIT_RUN.sub(lambda m: mask_phone(m.group(0)), text)


def describe_text(text: str) -> str:
    """Stand-in for message text in reprs and logs: its length only."""
    return f"<{len(text)} chars>"
