from __future__ import annotations

from .. import _parsing
from .. import _validation as check
from .._models import Group
from ._base import Resource


class AsyncGroups(Resource):
    """Contact groups."""

    async def list(self) -> list[Group]:
        """Every group of the account."""
        return await self._requester.request("GET", "/api/group", parse=_parsing.groups)

    async def get(self, group_id: str) -> Group:
        """One group by id; `NotFoundError` if there is none."""
        group_id = check.resource_id("group_id", group_id)
        return await self._requester.request("GET", f"/api/group/{group_id}", parse=_parsing.group)

    async def create(self, *, name: str) -> Group:
        """Create a group named ``name``."""
        body = {"group_name": check.text("name", name)}
        return await self._requester.request(
            "POST", "/api/group", body=body, parse=_parsing.group, once=True
        )

    async def update(self, group_id: str, *, name: str) -> None:
        """Rename a group."""
        group_id = check.resource_id("group_id", group_id)
        body = {"group_new_name": check.text("name", name)}
        await self._requester.request(
            "PUT", f"/api/group/{group_id}", body=body, parse=_parsing.nothing
        )

    async def delete(self, group_id: str) -> None:
        """Delete a group and its contacts."""
        group_id = check.resource_id("group_id", group_id)
        await self._requester.request("DELETE", f"/api/group/{group_id}", parse=_parsing.nothing)
