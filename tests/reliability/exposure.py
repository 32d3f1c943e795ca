"""Collecting everything a user could see (logs, reprs, strs, tracebacks) and checking it."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterable

from velstack_async import BulkReport, BulkResult

API_KEY = "vs_live_Zq8XkP2mRt7wLs4N"
MESSAGE = "Your one-time code is 483920, do not share it"
#: The same subscriber in every format a number may take.
NUMBERS = ("0205550368", "+233205550368", "233205550368", "205550368", "020 555 0368")


class Exposure:
    """Texts a user could see, gathered from results, errors and log records."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def add(self, obj: object) -> None:
        self.texts += [repr(obj), str(obj)]
        if isinstance(obj, BaseException):
            self.texts.append("".join(traceback.format_exception(obj)))
            body = getattr(obj, "body", None)  # the raw response body is data, not a message
            for value in vars(obj).values():
                if isinstance(value, str | dict) and value is not body:
                    self.texts.append(str(value))
        if isinstance(obj, BulkReport):
            self.add_all(obj.unsent)
        if isinstance(obj, BulkResult):
            for value in (obj.summary, obj.error, obj.reason):
                if value is not None:
                    self.add(value)
        if isinstance(obj, list | tuple):
            self.add_all(obj)

    def add_all(self, objects: Iterable[object]) -> None:
        for obj in objects:
            self.add(obj)

    def add_logs(self, records: Iterable[logging.LogRecord]) -> None:
        formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
        self.texts += [formatter.format(record) for record in records]

    def assert_clean(self, *secrets: str) -> None:
        assert self.texts
        for secret in (API_KEY, MESSAGE, "one-time code", *NUMBERS, *secrets):
            leaks = [text for text in self.texts if secret in text]
            assert not leaks, f"{secret!r} leaked in: {leaks[0][:300]!r}"
