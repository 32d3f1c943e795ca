"""The demo campaign that ships in the package: ``velstack --sandbox bulk --demo``.

Its CSV (``recipients.csv`` here: 300 made-up Ghanaian numbers with first and last
names and a code) needs no clone of the repository, and its numbers are made up, so
the demo only runs in the sandbox (or as a ``--dry-run``), never against Velstack.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["DEMO_FILE", "DEMO_MESSAGE"]

#: The demo's recipients (package data: in the wheel, next to this module).
DEMO_FILE = Path(__file__).with_name("recipients.csv")
#: The demo's message when ``--message`` is not given.
DEMO_MESSAGE = "Hello {first_name}, your code is {code}"
