from __future__ import annotations

from .._phone import DEFAULT_REGION
from .._transport import Transport


class Resource:
    """Shared constructor: a resource holds the transport and the default phone region."""

    def __init__(self, transport: Transport, *, region: str = DEFAULT_REGION) -> None:
        self._transport = transport
        self._region = region
