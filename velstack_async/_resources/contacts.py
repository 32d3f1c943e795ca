from __future__ import annotations

from typing import Any

from .. import _parsing
from .. import _validation as check
from .._exceptions import InvalidInputError
from .._models import Contact
from ._base import Resource


class AsyncContacts(Resource):
    """Contacts, each in one group."""

    async def create(
        self,
        *,
        group_id: str,
        phone_number: str,
        first_name: str | None = None,
        last_name: str | None = None,
        email_address: str | None = None,
    ) -> Contact:
        """Add a contact to the group ``group_id``."""
        body: dict[str, Any] = {
            "group_id": check.resource_id("group_id", group_id),
            "phone_number": check.phone("phone_number", phone_number, self._region),
        }
        body.update(self._names(first_name, last_name, email_address))
        return await self._requester.request(
            "POST", "/api/contact", body=body, parse=_parsing.contact, once=True
        )

    async def list(self, *, group_id: str | None = None) -> list[Contact]:
        """Every contact of the account, or of one group when ``group_id`` is given."""
        if group_id is None:
            return await self._requester.request("GET", "/api/contact", parse=_parsing.contacts)
        group_id = check.resource_id("group_id", group_id)
        return await self._requester.request(
            "GET", f"/api/contact/{group_id}", parse=_parsing.contacts
        )

    async def update(
        self,
        contact_id: str,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        phone_number: str | None = None,
        email_address: str | None = None,
    ) -> None:
        """Change a contact; only the fields given (not None) are sent."""
        contact_id = check.resource_id("contact_id", contact_id)
        body = self._names(first_name, last_name, email_address)
        if phone_number is not None:
            body["phone_number"] = check.phone("phone_number", phone_number, self._region)
        if not body:
            raise InvalidInputError("update needs at least one field to change")
        await self._requester.request(
            "PUT", f"/api/contact/{contact_id}", body=body, parse=_parsing.nothing
        )

    async def delete(self, contact_id: str) -> None:
        """Delete a contact."""
        contact_id = check.resource_id("contact_id", contact_id)
        await self._requester.request(
            "DELETE", f"/api/contact/{contact_id}", parse=_parsing.nothing
        )

    @staticmethod
    def _names(
        first_name: str | None, last_name: str | None, email_address: str | None
    ) -> dict[str, Any]:
        fields = {
            "first_name": check.optional_text("first_name", first_name),
            "last_name": check.optional_text("last_name", last_name),
            "email_address": check.email(email_address),
        }
        return {k: v for k, v in fields.items() if v is not None}
