"""From an envelope's ``data`` to models: where each endpoint keeps its payload.

Each function takes the ``data`` member of a successful envelope. Any
exception raised here is turned into `ResponseParseError` by the transport.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from ._models import Contact, Group, SenderId, SmsSummary

if TYPE_CHECKING:
    from cattrs import Converter


@cache
def _converter() -> Converter:
    """The SDK's converter, built at the first answer read (cattrs is not a light import)."""
    from ._converter import converter

    return converter


def _member(data: Any, *names: str) -> Any:
    """``data[name]`` for the first of ``names`` present (Velstack's casing varies)."""
    if isinstance(data, dict):
        for name in names:
            if name in data:
                return data[name]
    raise ValueError(f"expected an object with {' or '.join(repr(n) for n in names)}")


def _one(data: Any) -> Any:
    """A single object, whether Velstack sent it bare or as a one-item list."""
    if isinstance(data, list):
        if len(data) != 1:
            raise ValueError(f"expected one item, got {len(data)}")
        return data[0]
    return data


def _items(data: Any) -> list[Any]:
    if not isinstance(data, list):
        raise TypeError(f"expected a list, got {type(data).__name__}")
    return data


def sms_summary(data: Any) -> SmsSummary:
    return _converter().structure(_member(data, "summary", "Summary"), SmsSummary)


def groups(data: Any) -> list[Group]:
    items = data if isinstance(data, list) else _member(data, "Summary", "summary")
    return [_converter().structure(item, Group) for item in _items(items or [])]


def group(data: Any) -> Group:
    return _converter().structure(_one(data), Group)


def contacts(data: Any) -> list[Contact]:
    items = data if isinstance(data, list) else _member(data, "results", "contacts")
    return [_converter().structure(item, Contact) for item in _items(items or [])]


def contact(data: Any) -> Contact:
    return _converter().structure(_one(data), Contact)


def sender_id(data: Any) -> SenderId:
    return _converter().structure(_one(data), SenderId)


def nothing(data: Any) -> None:
    """Endpoints that answer ``"data": null``; whatever they answer is ignored."""
    return
