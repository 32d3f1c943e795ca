"""Message templates: ``"Hi {first_name}"`` filled by ``str.format_map(fields)``, ``{{``/``}}``
literal; named placeholders only, without conversions, nested placeholders or private
attributes. A field missing, None or blank fails that recipient unless blanks are allowed.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any

from .. import _validation as check
from .._exceptions import InvalidInputError

__all__ = ["Template", "TemplateError"]

_FORMATTER = string.Formatter()
_BRACES = "(write {{ and }} for literal braces)"
_BLANKS = "allow_blank_fields=True sends them as ''"


class TemplateError(InvalidInputError):
    """A template that cannot be parsed, or cannot be filled for one recipient."""


def _check_placeholder(name: str, spec: str, conversion: str | None) -> str:
    """The top-level field name of one placeholder; `TemplateError` if it is not allowed."""
    top = name.partition(".")[0].partition("[")[0]
    if not top or top.isdigit():
        raise TemplateError(
            "message template: use named placeholders such as {first_name}, "
            f"not {{}} or {{0}} {_BRACES}"
        )
    if conversion is not None:
        raise TemplateError(
            f"message template: {{{name}!{conversion}}}: conversions are not allowed in "
            f"placeholders, write {{{top}}}"
        )
    if "{" in spec or "}" in spec:
        raise TemplateError(
            f"message template: {{{name}:{spec}}}: a format spec must not contain "
            f"placeholders {_BRACES}"
        )
    if any(part.startswith("_") for part in name.replace("[", ".").split(".")[1:]):
        raise TemplateError(f"message template: {{{name}}}: private attributes are not allowed")
    return top


class Template:
    """A parsed message template; `render` fills it for one recipient."""

    __slots__ = ("_source", "_static", "names", "static")

    def __init__(self, source: str) -> None:
        try:
            parsed = list(_FORMATTER.parse(source))
        except ValueError as exc:
            raise TemplateError(f"message template: {exc} {_BRACES}") from None
        names = [_check_placeholder(n, s or "", c) for _, n, s, c in parsed if n is not None]
        self._source = source
        #: The placeholder names, in order of first use.
        self.names = tuple(dict.fromkeys(names))
        #: No placeholder: every recipient gets the same text (rendered once).
        self.static = not names
        self._static = source.format() if not names else None

    @classmethod
    def parse(cls, message: object) -> Template:
        """``message`` checked (a non-blank str) and parsed; `InvalidInputError` if bad."""
        return cls(check.text("message", message))

    def render(self, fields: Mapping[str, Any], *, allow_blank: bool = False) -> str:
        """The message for one recipient; `TemplateError` when ``fields`` cannot fill it
        (``allow_blank``: None and blank fields render as ``""``)."""
        if self._static is not None:
            return self._static
        if missing := [n for n in self.names if n not in fields]:
            raise TemplateError(f"missing template field(s) {', '.join(map(repr, missing))}")
        if blank := [n for n in self.names if _is_blank(fields[n])]:
            if not allow_blank:
                listed = ", ".join(map(repr, blank))
                raise TemplateError(f"blank template field(s) {listed} ({_BLANKS})")
            fields = {**fields, **dict.fromkeys((n for n in blank if fields[n] is None), "")}
        try:
            return self._source.format_map(fields)
        except Exception as exc:
            # Digit runs in the text are masked (`VelstackError`): values never show.
            raise TemplateError(f"template field error: {type(exc).__name__}: {exc}") from None


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
