"""Files that hold phone numbers, readable by their owner only (0600; folders 0700).

Journals, the sending policy's store, ``--failed-out`` files and suppression
exports are personal data. Each is created here with the owner-only mode set
explicitly (whatever the umask); SQLite's WAL and shared-memory files take the
database file's mode.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

__all__ = ["create_private", "open_private", "private_directory", "state_dir"]


def state_dir(env: str, name: str) -> Path:
    """Where the SDK keeps ``name`` (journals, claim logs): ``$<env>`` when set, else
    ``$XDG_STATE_HOME/velstack/<name>`` (``~/.local/state/velstack/<name>``)."""
    named = os.environ.get(env)
    if named:
        return Path(named)
    state = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(state) / "velstack" / name


def private_directory(path: Path) -> None:
    """Create ``path`` (and missing parents) readable by its owner only (0700).

    Folders that exist are left as they are (they may be shared on purpose).
    """
    missing = []
    for parent in [path, *path.parents]:
        if parent.exists():
            break
        missing.append(parent)
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=0o700)
        except FileExistsError:
            continue
        os.chmod(directory, 0o700)  # whatever the umask


def create_private(path: Path) -> None:
    """Create ``path`` empty with mode 0600 unless it exists (a file SQLite then opens)."""
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    os.close(fd)
    os.chmod(path, 0o600)  # whatever the umask


def open_private(path: str | os.PathLike[str]) -> IO[str]:
    """``path`` opened for writing text (truncated), with mode 0600 whatever the umask."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.chmod(path, 0o600)  # a file that existed keeps no wider mode
        return os.fdopen(fd, "w", encoding="utf-8", newline="")
    except BaseException:
        os.close(fd)
        raise
