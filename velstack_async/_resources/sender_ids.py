from __future__ import annotations

from .. import _parsing
from .. import _validation as check
from .._models import SenderId
from ._base import Resource


class AsyncSenderIds(Resource):
    """Sender IDs: the name a message appears to come from."""

    async def register(self, *, sender_id: str, purpose: str) -> SenderId:
        """Ask Velstack to approve ``sender_id``; it starts ``"pending"``."""
        body = {
            "purpose": check.text("purpose", purpose),
            "sender_id": check.sender(sender_id, "sender_id"),
        }
        return await self._requester.request(
            "POST", "/api/sender/id", body=body, parse=_parsing.sender_id, once=True
        )
