"""Names a package exports but imports on first use (a PEP 562 module ``__getattr__``).

``import velstack_async`` stays light (issue 23): the sync client's portal, the
bulk engine and the telemetry spans load when a program first touches them.
A package lists its lazy names here and imports them again under
``if TYPE_CHECKING:``, so type checkers (and the layout test's import graph)
see every name.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["exports"]


def exports(
    package: str, where: Mapping[str, str], *, public_module: str | None = None
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package`` for the names in ``where``.

    ``where`` maps each name to the module (relative to ``package``) that
    defines it. A name is imported at its first lookup and then stored in the
    package, so later lookups cost nothing. ``public_module``: the
    ``__module__`` given to the classes loaded (``"velstack_async"``).
    """

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, package), name)
        if public_module is not None and isinstance(value, type):
            value.__module__ = public_module
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *where})

    return __getattr__, __dir__
