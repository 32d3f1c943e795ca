"""The code blocks of README.md and docs/, read from the Markdown as a reader sees them.

Every fenced ``python`` block is an example a reader may paste and run, so every one is
run (tests/docs/test_examples.py). An HTML comment on the line right before the fence
says how:

| marker | what the runner does |
|---|---|
| (none) | runs the block as a script, against a fake Velstack on loopback |
| ``<!-- example: file NAME -->`` | writes it to ``NAME``; later blocks of the page import it |
| ``<!-- example: pytest [ARGS] -->`` | runs it as a test file with pytest (and ``ARGS``) |
| ``<!-- example: redis -->`` | a script with a real redis-server (``VELSTACK_REDIS_URL``) |
| ``<!-- example: skip (why) -->`` | does not run it; the reason is shown in the test report |
"""

from __future__ import annotations

import re
from pathlib import Path

import attrs

ROOT = Path(__file__).resolve().parents[2]
MARKER = re.compile(r"<!--\s*example:\s*(?P<kind>file|pytest|redis|skip)\s*(?P<arg>.*?)\s*-->")
FENCE = re.compile(r"^(?P<indent>\s*)```(?P<lang>[\w+-]*)")


@attrs.frozen
class Block:
    """One fenced block: where it is, its code, and its marker."""

    page: Path
    line: int  # of the opening fence, from 1
    code: str
    kind: str  # "run", "file", "pytest", "redis" or "skip"
    arg: str = ""  # the file name, or the reason for skipping

    @property
    def id(self) -> str:
        return f"{self.page.relative_to(ROOT).as_posix()}:{self.line}"


def pages() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def blocks(page: Path) -> list[Block]:
    """The ``python`` blocks of ``page``, in order."""
    lines = page.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    i = 0
    while i < len(lines):
        fence = FENCE.match(lines[i])
        if fence is None:
            i += 1
            continue
        indent, lang, start = fence["indent"], fence["lang"], i
        body: list[str] = []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith("```"):
            body.append(lines[i][len(indent) :] if lines[i].startswith(indent) else lines[i])
            i += 1
        i += 1
        if lang not in ("python", "py"):
            continue
        marker = MARKER.search(lines[start - 1]) if start else None
        kind, arg = ("run", "") if marker is None else (marker["kind"], marker["arg"])
        if kind in ("file", "skip") and not arg:
            raise ValueError(f"{page}:{start + 1}: `example: {kind}` needs an argument")
        found.append(Block(page, start + 1, "\n".join(body) + "\n", kind, arg.strip("() ")))
    return found


def all_blocks() -> list[Block]:
    return [block for page in pages() for block in blocks(page)]
