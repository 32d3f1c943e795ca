"""Opening a policy store from a SQLite file path or a ``redis://`` URL."""

from __future__ import annotations

import os
from pathlib import Path

from .._exceptions import InvalidInputError
from .store import PolicyStore

__all__ = ["open_store"]


def open_store(spec: str | os.PathLike[str] | PolicyStore) -> PolicyStore:
    """A store from a SQLite file path or a ``redis://`` / ``rediss://`` URL."""
    if isinstance(spec, PolicyStore):
        return spec
    if isinstance(spec, str) and spec.startswith(("redis://", "rediss://", "unix://")):
        from .redis_store import RedisStore  # redis is an optional dependency

        return RedisStore(spec)
    if not isinstance(spec, (str, os.PathLike)) or not os.fspath(spec):
        raise InvalidInputError("store must be a SQLite file path or a redis:// URL")
    from .sqlite_store import SQLiteStore  # sqlite3, at the first SQLite store

    return SQLiteStore(Path(os.fspath(spec)))
