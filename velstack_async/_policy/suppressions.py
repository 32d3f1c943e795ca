"""`SuppressionList`: the opt-out list of a policy's store, with numbers normalised."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from .._exceptions import InvalidInputError
from .._phone import InvalidNumber, normalize
from .csvfiles import read_numbers, write_suppressions
from .records import Suppression

if TYPE_CHECKING:
    from .policy import SendingPolicy

__all__ = ["SuppressionList"]


def _number(value: object, region: str, where: str = "") -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(f"{where}a number must be a non-empty str")
    try:
        return normalize(value.strip(), region)
    except InvalidNumber as exc:
        raise InvalidInputError(f"{where}{exc}") from None


def _numbers(numbers: str | Iterable[str], region: str) -> list[str]:
    if isinstance(numbers, str):
        numbers = [numbers]
    return list(dict.fromkeys(_number(n, region) for n in numbers))


def _reason(reason: object) -> str | None:
    if reason is not None and not isinstance(reason, str):
        raise InvalidInputError("reason must be a str or None")
    return reason.strip() or None if reason is not None else None


def _path(path: object) -> Path:
    if not isinstance(path, (str, os.PathLike)) or not os.fspath(path):
        raise InvalidInputError("path must be a file path")
    return Path(os.fspath(path))


class SuppressionList:
    """Add, remove, look up, import and export suppressed numbers (E.164 in the store)."""

    def __init__(self, policy: SendingPolicy, region: str) -> None:
        self.policy = policy
        self.region = region

    async def add(self, numbers: str | Iterable[str], *, reason: str | None = None) -> int:
        found, why = _numbers(numbers, self.region), _reason(reason)
        now = self.policy.now()
        entries = [Suppression(n, why, now) for n in found]
        return int(await self.policy.run(self.policy.store.add_suppressions, entries))

    async def remove(self, numbers: str | Iterable[str]) -> int:
        found = _numbers(numbers, self.region)
        return int(await self.policy.run(self.policy.store.remove_suppressions, found))

    async def contains(self, number: str) -> bool:
        found = _number(number, self.region)
        return bool(await self.policy.run(self.policy.store.suppressed, [found]))

    async def list(self) -> list[Suppression]:
        entries: list[Suppression] = await self.policy.run(self.policy.store.suppressions)
        return entries

    async def import_csv(self, path: str | os.PathLike[str]) -> int:
        source = _path(path)
        now = self.policy.now()

        def read() -> list[Suppression]:
            entries: dict[str, Suppression] = {}
            for line, number, reason in read_numbers(source):
                e164 = _number(number, self.region, f"{source.name} line {line}: ")
                entries.setdefault(e164, Suppression(e164, reason, now))
            return list(entries.values())

        entries = await self.policy.run(read)
        return int(await self.policy.run(self.policy.store.add_suppressions, entries))

    async def export_csv(self, path: str | os.PathLike[str]) -> int:
        target = _path(path)
        entries = await self.list()
        return int(await self.policy.run(write_suppressions, target, entries))
