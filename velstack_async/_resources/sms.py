from __future__ import annotations

from typing import Any

from .. import _parsing
from .. import _validation as check
from .._models import SmsSummary
from ._base import Resource


class AsyncSms(Resource):
    """Quick SMS (to numbers) and group SMS (to a group's contacts)."""

    async def send(
        self, *, recipient: str, message: str, sender: str, title: str | None = None
    ) -> SmsSummary:
        """Send ``message`` to ``recipient`` (one number, or several separated by commas).

        Numbers are checked and normalised before the request (``+233205550368``
        and ``233 20 555 0368`` are sent as ``0205550368``). Never retried once
        Velstack may have accepted it: such an error has ``may_have_been_sent``.
        """
        body: dict[str, Any] = {
            "sender": check.sender(sender),
            "recipient": check.recipients(recipient, self._region),
            "message": check.text("message", message),
        }
        if check.optional_text("title", title) is not None:
            body["title"] = title
        return await self._transport.request(
            "POST", "/api/quick/sms", body=body, parse=_parsing.sms_summary, once=True
        )

    async def send_group(
        self, *, group_id: str, message: str, sender: str, title: str | None = None
    ) -> SmsSummary:
        """Send ``message`` to every contact of the group ``group_id``."""
        body: dict[str, Any] = {
            "sender": check.sender(sender),
            "group_id": check.resource_id("group_id", group_id),
            "message": check.text("message", message),
        }
        if check.optional_text("title", title) is not None:
            body["title"] = title
        return await self._transport.request(
            "POST", "/api/group/sms", body=body, parse=_parsing.sms_summary, once=True
        )
