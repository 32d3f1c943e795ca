"""The suppression (opt-out) list of the client's `SendingPolicy`."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

from .._exceptions import InvalidInputError
from .._policy.records import Suppression
from ._base import Resource

if TYPE_CHECKING:
    from .._policy.suppressions import SuppressionList


class AsyncSuppressions(Resource):
    """Numbers that must never be texted (opted out), kept in the policy's store.

    Numbers are normalised as for sending (``+233 20 555 0368`` and
    ``0205550368`` are one entry). Every send checks the list first: a
    suppressed recipient raises `RecipientSuppressedError` and nothing is sent.
    """

    def _list(self) -> SuppressionList:
        policy = self._requester.options.policy
        if policy is None:
            raise InvalidInputError(
                "client.suppressions needs a sending policy: "
                "AsyncVelstack(policy=SendingPolicy('policy.db'))"
            )
        from .._policy.suppressions import SuppressionList

        return SuppressionList(policy, self._region)

    async def add(self, numbers: str | Iterable[str], *, reason: str | None = None) -> int:
        """Suppress ``numbers`` (one or many); how many were not suppressed before."""
        return await self._list().add(numbers, reason=reason)

    async def remove(self, numbers: str | Iterable[str]) -> int:
        """Take ``numbers`` off the list; how many were on it."""
        return await self._list().remove(numbers)

    async def contains(self, number: str) -> bool:
        """Whether ``number`` is suppressed."""
        return await self._list().contains(number)

    async def list(self) -> list[Suppression]:
        """Every suppression (``number`` in E.164, ``reason``, ``added_at``), by number."""
        return await self._list().list()

    async def import_csv(self, path: str | os.PathLike[str]) -> int:
        """Suppress the numbers of a CSV file (a ``number`` column, or the first column;
        an optional ``reason`` column); how many were new. A bad number refuses the file."""
        return await self._list().import_csv(path)

    async def export_csv(self, path: str | os.PathLike[str]) -> int:
        """Write the list to a CSV file (``number,reason,added_at``; readable by its
        owner only); how many rows."""
        return await self._list().export_csv(path)
