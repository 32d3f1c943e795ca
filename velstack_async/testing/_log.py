"""The log of accepted messages and duplicate detection.

Not thread-safe by itself: the store calls it under its lock.
"""

from __future__ import annotations

from datetime import datetime

from ._records import Duplicate, MessageType, SentMessage

__all__ = ["MessageLog"]


class MessageLog:
    """Every accepted (recipient, message), or only counts when ``record`` is off.

    Duplicates are found in both modes: a set of 64-bit hashes of
    ``(recipient, text)`` remembers what was delivered (under 100 bytes a
    message instead of a full `SentMessage`), and the text of a pair is kept
    only once it has been delivered twice.
    """

    def __init__(self, *, record: bool) -> None:
        self.record = record
        self.count = 0
        self._messages: list[SentMessage] = []
        self._seen: set[int] = set()
        self._duplicates: dict[tuple[str, str], int] = {}

    def add(
        self,
        *,
        api_key: str,
        message_id: str,
        recipients: list[str],
        text: str,
        sender: str,
        title: str | None,
        type: MessageType,
        segments: int,
        time: datetime,
    ) -> None:
        self.count += len(recipients)
        seen = self._seen
        for recipient in recipients:
            key = hash((recipient, text))
            if key in seen:
                pair = (recipient, text)
                self._duplicates[pair] = self._duplicates.get(pair, 1) + 1
            else:
                seen.add(key)
        if self.record:
            self._messages.extend(
                SentMessage(
                    message_id=message_id,
                    api_key=api_key,
                    recipient=recipient,
                    text=text,
                    sender=sender,
                    title=title,
                    type=type,
                    segments=segments,
                    credits=segments,
                    time=time,
                )
                for recipient in recipients
            )

    def messages(self, api_key: str | None = None) -> list[SentMessage]:
        if api_key is None:
            return list(self._messages)
        return [m for m in self._messages if m.api_key == api_key]

    def duplicates(self) -> list[Duplicate]:
        return [Duplicate(r, t, n) for (r, t), n in self._duplicates.items()]

    def clear(self) -> None:
        self.count = 0
        self._messages.clear()
        self._seen.clear()
        self._duplicates.clear()
