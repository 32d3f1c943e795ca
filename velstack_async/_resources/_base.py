from __future__ import annotations

from .._phone import DEFAULT_REGION
from .._requester import Requester


class Resource:
    """Shared constructor: a resource holds the requester and the default phone region."""

    def __init__(self, requester: Requester, *, region: str = DEFAULT_REGION) -> None:
        self._requester = requester
        self._region = region
