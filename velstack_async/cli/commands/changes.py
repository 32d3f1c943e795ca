"""Changes that return nothing (rename, update, delete): run one, then say it was done."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from ..._client import AsyncVelstack
from ..output import emit_json
from ..session import Session
from .options import confirm

__all__ = ["apply_change"]


def apply_change(
    change: Callable[[AsyncVelstack], Awaitable[None]],
    what: str,
    ident: str,
    *,
    confirm_with: tuple[bool, str] | None = None,
) -> None:
    """Run ``change``; print ``{"id": ..., what: true}`` or a sentence.

    ``confirm_with`` is ``(--yes given, question)`` for a destructive change.
    """
    if confirm_with is not None:
        confirm(*confirm_with)
    session = Session.current()
    session.run(change)
    if session.json:
        emit_json({"id": ident, what: True})
    else:
        session.out.print(f"{what.capitalize()} {ident}.", markup=False)
