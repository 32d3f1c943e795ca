"""Where ``velstack bulk`` keeps a campaign journal when ``--journal`` is not given.

Every run is journalled so that an interrupted or stopped campaign can always
be resumed. Without ``--journal`` the journal goes to
``$VELSTACK_JOURNAL_DIR`` (default ``$XDG_STATE_HOME/velstack/journals``, i.e.
``~/.local/state/velstack/journals``), named after the campaign: the CSV
file's absolute path, the message template and the sender. Running the same
command again therefore resumes it. The journal is deleted when every row was
dealt with, so the next run of the same command is a new campaign.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path

from .errors import CliError

__all__ = ["default_journal", "journal_dir", "remove_journal"]

JOURNAL_DIR_ENV = "VELSTACK_JOURNAL_DIR"


def journal_dir() -> Path:
    configured = os.environ.get(JOURNAL_DIR_ENV)
    if configured:
        return Path(configured)
    state = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(state) / "velstack" / "journals"


def default_journal(csv_path: str, message: str, sender: str) -> str:
    """The journal path of this campaign (the directory is created)."""
    folder = journal_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CliError(
            f"cannot create the journal directory {folder} ({exc.strerror or exc}): "
            f"pass --journal PATH or set {JOURNAL_DIR_ENV}"
        ) from None
    identity = "\0".join((os.path.abspath(csv_path), message, sender))
    digest = hashlib.sha256(identity.encode()).hexdigest()[:16]
    return str(folder / f"{Path(csv_path).stem}-{digest}.journal")


def remove_journal(path: str) -> None:
    """Delete a journal and SQLite's side files, if any."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            os.remove(path + suffix)
