"""Where ``velstack bulk`` keeps a campaign journal when ``--journal`` is not given.

Every run is journalled so that an interrupted or stopped campaign can always
be resumed. Without ``--journal`` the journal goes to
``$VELSTACK_JOURNAL_DIR`` (default ``$XDG_STATE_HOME/velstack/journals``, i.e.
``~/.local/state/velstack/journals``), named after the campaign: the CSV
file's absolute path, the message template and the sender. Running the same
command again therefore resumes it. A completed campaign's journal is kept
(``velstack journals`` lists and prunes them), so running the same command
again sends nothing; ``--new-campaign`` moves the old journal aside (renamed
after its completion time) and starts afresh.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import attrs

from .._files import open_private, private_directory, state_dir
from .errors import CliError

__all__ = [
    "Completion",
    "archive_journal",
    "clear_completed",
    "default_journal",
    "file_stamp",
    "journal_dir",
    "list_journals",
    "mark_completed",
    "read_completion",
    "remove_journal",
]

JOURNAL_DIR_ENV = "VELSTACK_JOURNAL_DIR"
SUFFIX = ".journal"
#: The CLI's record of a completed campaign, beside its journal (never in the engine's file).
COMPLETED = ".completed.json"
_SIDE_FILES = ("", "-wal", "-shm", "-journal", COMPLETED)
#: Where versions before 0.x kept it: the journal's meta table (read, never written).
_LEGACY = ("cli.completed_at", "cli.summary")


@attrs.frozen
class Completion:
    """When a campaign completed, and its summary then (counts, credits)."""

    at: datetime
    summary: dict[str, Any]


def read_completion(journal: str, meta: Mapping[str, str]) -> Completion | None:
    """The completion record of the campaign of ``journal`` (its ``meta``), if any."""
    try:
        with open(journal + COMPLETED, encoding="utf-8") as handle:
            record = json.load(handle)
        return Completion(datetime.fromisoformat(record["at"]), record["summary"])
    except FileNotFoundError:
        pass
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CliError(f"cannot read {journal}{COMPLETED}: {exc}") from None
    if _LEGACY[0] not in meta:
        return None
    return Completion(
        datetime.fromisoformat(meta[_LEGACY[0]]), json.loads(meta.get(_LEGACY[1], "{}"))
    )


def mark_completed(journal: str, summary: dict[str, Any]) -> None:
    """Record that the campaign of ``journal`` completed now, with ``summary``."""
    now = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    target = journal + COMPLETED
    with open_private(target + ".tmp") as handle:
        json.dump({"at": now, "summary": summary}, handle)
    os.replace(target + ".tmp", target)


def clear_completed(journal: str) -> None:
    """Take the completion record off (the campaign is being resumed)."""
    with contextlib.suppress(FileNotFoundError):
        os.remove(journal + COMPLETED)


def journal_dir() -> Path:
    return state_dir(JOURNAL_DIR_ENV, "journals")


def default_journal(
    csv_path: str, message: str, sender: str, *, sandbox: bool, base_url: str
) -> str:
    """The journal path of this campaign (the directory is created).

    A sandbox campaign never shares a journal with a real one (a tried-out
    campaign must not look completed when it is run for real), nor do two
    campaigns to different base URLs.
    """
    folder = journal_dir()
    try:
        private_directory(folder)
    except OSError as exc:
        raise CliError(
            f"cannot create the journal directory {folder} ({exc.strerror or exc}): "
            f"pass --journal PATH or set {JOURNAL_DIR_ENV}"
        ) from None
    target = "sandbox" if sandbox else base_url.rstrip("/")
    identity = "\0".join((os.path.abspath(csv_path), message, sender, target))
    digest = hashlib.sha256(identity.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    kind = "-sandbox" if sandbox else ""
    return str(folder / f"{Path(csv_path).stem}{kind}-{digest}{SUFFIX}")


def file_stamp(path: str) -> str:
    """A digest of a file's content: whether it changed since a campaign ran.

    The content, not the modification time: a fresh clone or a copy of the same
    file is the same campaign.
    """
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return ""
    return f"sha256:{digest.hexdigest()}"


def list_journals() -> list[Path]:
    """The journals in `journal_dir`, oldest first."""
    folder = journal_dir()
    if not folder.is_dir():
        return []
    found = [p for p in folder.iterdir() if p.name.endswith(SUFFIX) and p.is_file()]
    return sorted(found, key=lambda p: (p.stat().st_mtime, p.name))


def archive_journal(path: str, when: datetime) -> str:
    """Rename a journal (and its side files) after ``when``; the new path."""
    stem = path[: -len(SUFFIX)] if path.endswith(SUFFIX) else path
    stamp = f"{stem}-{when.strftime('%Y%m%dT%H%M%S')}"
    target, n = f"{stamp}{SUFFIX}", 1
    while os.path.exists(target):  # never overwrite an earlier archived journal
        n += 1
        target = f"{stamp}-{n}{SUFFIX}"
    for suffix in _SIDE_FILES:
        with contextlib.suppress(FileNotFoundError):
            os.replace(path + suffix, target + suffix)
    return target


def remove_journal(path: str) -> None:
    """Delete a journal and SQLite's side files, if any."""
    for suffix in _SIDE_FILES:
        with contextlib.suppress(FileNotFoundError):
            os.remove(path + suffix)
