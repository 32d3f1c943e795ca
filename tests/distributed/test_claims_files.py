"""Claim logs hold phone numbers: their folder and files are readable by their owner only."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from velstack_async.distributed._process import ClaimLog


@pytest.fixture
def open_umask() -> Iterator[None]:
    old = os.umask(0o022)  # the usual umask: new folders 0755, files 0644
    try:
        yield
    finally:
        os.umask(old)


def test_a_new_claim_log_folder_and_file_are_owner_only(tmp_path: Path, open_umask: None) -> None:
    directory = tmp_path / "state" / "claims"
    log = ClaimLog(directory, "spring-sale", "fence-1")
    try:
        log.append(1, "life", [("k1", '{"n": "+233205550368"}')])
    finally:
        log.close()
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "state").stat().st_mode) == 0o700
    assert stat.S_IMODE(log.path.stat().st_mode) == 0o600
