"""What a message will cost, counted locally (no request), with and without smart encoding."""

from __future__ import annotations

import attrs
from attrs import Factory, field, frozen

from .. import _validation as check
from .._encoding import Ucs2Character, smart_encode, ucs2_characters
from .._exceptions import InvalidInputError
from .._segments import Encoding, count_segments

__all__ = ["MAX_LISTED", "Estimate", "MessageCost", "estimate"]

#: At most this many UCS-2-forcing characters are listed in an estimate.
MAX_LISTED = 100


@frozen
class MessageCost:
    """The encoding, size, segments and credits of one version of a message."""

    encoding: Encoding
    characters: int
    segments: int
    credits: int


def _own_cost(estimate: Estimate) -> MessageCost:
    return MessageCost(estimate.encoding, estimate.characters, estimate.segments, estimate.credits)


@frozen
class Estimate:
    """The encoding and size of a message, and the credits it takes for ``recipients``.

    ``characters`` counts GSM-7 septets (``€`` or ``{`` count twice) or UCS-2 code
    units; ``credits`` is ``segments`` per recipient. The figures are those of the
    text sent (smart-encoded with ``smart_encoding``); ``before`` and ``after`` are
    the text as given and as smart encoding would send it (``saved_credits``: the
    difference); ``ucs2_characters`` lists the given text's characters that force
    UCS-2, with positions (at most `MAX_LISTED`). Equality compares the sent figures.
    """

    encoding: Encoding
    characters: int
    segments: int
    recipients: int
    credits: int
    smart_encoding: bool = field(default=False, eq=False)
    before: MessageCost = field(default=Factory(_own_cost, takes_self=True), eq=False)
    after: MessageCost = field(default=Factory(_own_cost, takes_self=True), eq=False)
    ucs2_characters: tuple[Ucs2Character, ...] = field(default=(), eq=False)

    @property
    def saved_credits(self) -> int:
        """Credits smart encoding saves on this message (0 when it changes nothing)."""
        return self.before.credits - self.after.credits


def _cost(text: str, recipients: int) -> MessageCost:
    info = count_segments(text)
    return MessageCost(info.encoding, info.characters, info.segments, info.segments * recipients)


def estimate(message: str, recipients: int = 1, *, smart_encoding: bool = False) -> Estimate:
    """Count the segments of ``message`` and the credits to send it to ``recipients`` numbers."""
    if not isinstance(message, str):
        raise InvalidInputError(f"message must be a str, not {type(message).__name__}")
    check.count("recipients", recipients, 0)
    check.flag("smart_encoding", smart_encoding)
    before = _cost(message, recipients)
    encoded = smart_encode(message)
    after = before if encoded is message else _cost(encoded, recipients)
    sent = after if smart_encoding else before
    return Estimate(
        **attrs.asdict(sent, recurse=False),
        recipients=recipients,
        smart_encoding=smart_encoding,
        before=before,
        after=after,
        ucs2_characters=ucs2_characters(message, MAX_LISTED) if before.encoding == "UCS-2" else (),
    )
