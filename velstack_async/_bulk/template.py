"""Message templates: ``str.format`` placeholders filled from `BulkMessage.fields`.

``"Hi {first_name}, your code is {code}"`` is rendered with
``str.format_map(fields)``; ``{{`` and ``}}`` stand for literal braces. Only
named placeholders are allowed (``{0}`` and ``{}`` have nothing to fill them).
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any

from .._redact import mask_digits

__all__ = ["Template", "TemplateError"]

_FORMATTER = string.Formatter()


class TemplateError(ValueError):
    """A template that cannot be parsed, or cannot be filled for one recipient."""


class Template:
    """A parsed message template; `render` fills it for one recipient."""

    __slots__ = ("_names", "_source", "_static")

    def __init__(self, source: str) -> None:
        names: list[str] = []
        try:
            for _, name, _, _ in _FORMATTER.parse(source):
                if name is None:
                    continue
                top = name.partition(".")[0].partition("[")[0]
                if not top or top.isdigit():
                    raise TemplateError(
                        "message template: use named placeholders such as {first_name}, "
                        "not {} or {0} (write {{ and }} for literal braces)"
                    )
                names.append(top)
        except ValueError as exc:
            if isinstance(exc, TemplateError):
                raise
            raise TemplateError(
                f"message template: {exc} (write {{{{ and }}}} for literal braces)"
            ) from None
        self._source = source
        self._names = tuple(dict.fromkeys(names))
        # A template without placeholders renders the same for everyone: once.
        self._static = source.format() if not names else None

    @property
    def names(self) -> tuple[str, ...]:
        """The placeholder names, in order of first use."""
        return self._names

    def render(self, fields: Mapping[str, Any]) -> str:
        """The message for one recipient; `TemplateError` when ``fields`` cannot fill it."""
        if self._static is not None:
            return self._static
        try:
            return self._source.format_map(fields)
        except Exception as exc:
            missing = [n for n in self._names if n not in fields]
            if missing:
                listed = ", ".join(repr(n) for n in missing)
                raise TemplateError(f"missing template field(s) {listed}") from None
            # Messages from format() name types and specs, not values; mask digits anyway.
            raise TemplateError(
                f"template field error: {mask_digits(f'{type(exc).__name__}: {exc}')}"
            ) from None
