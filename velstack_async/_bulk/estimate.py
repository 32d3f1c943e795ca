"""What a message will cost, counted locally (no request)."""

from __future__ import annotations

from attrs import frozen

from .._exceptions import InvalidInputError
from .._segments import Encoding, count_segments

__all__ = ["Estimate", "estimate"]


@frozen
class Estimate:
    """The encoding and size of a message, and the credits it takes for ``recipients``.

    ``characters`` counts GSM-7 septets (extension characters such as ``€`` or
    ``{`` count twice) or UCS-2 code units; ``credits`` is ``segments`` times
    the number of recipients (one credit per segment per recipient).
    """

    encoding: Encoding
    characters: int
    segments: int
    recipients: int
    credits: int


def estimate(message: str, recipients: int = 1) -> Estimate:
    """Count the segments of ``message`` and the credits to send it to ``recipients`` numbers."""
    if not isinstance(message, str):
        raise InvalidInputError(f"message must be a str, not {type(message).__name__}")
    if isinstance(recipients, bool) or not isinstance(recipients, int) or recipients < 0:
        raise InvalidInputError("recipients must be an int >= 0 (how many numbers)")
    info = count_segments(message)
    return Estimate(
        encoding=info.encoding,
        characters=info.characters,
        segments=info.segments,
        recipients=recipients,
        credits=info.segments * recipients,
    )
