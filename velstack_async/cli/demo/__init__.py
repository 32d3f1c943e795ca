"""The demo campaign that ships in the package: ``velstack --sandbox bulk --demo``.

Its CSV (``recipients.csv`` here: 300 made-up Ghanaian numbers with first and last
names and a code) needs no clone of the repository, and its numbers are made up, so
the demo only runs in the sandbox (or as a ``--dry-run``), never against Velstack.
"""

from __future__ import annotations

from pathlib import Path

import click

__all__ = ["DEMO_FILE", "DEMO_MESSAGE", "bulk_input"]

#: The demo's recipients (package data: in the wheel, next to this module).
DEMO_FILE = Path(__file__).with_name("recipients.csv")
#: The demo's message when ``--message`` is not given.
DEMO_MESSAGE = "Hello {first_name}, your code is {code}"


def bulk_input(
    file: str | None, message: str | None, *, demo: bool, sandbox: bool, dry_run: bool
) -> tuple[str, str]:
    """The CSV file and message template ``velstack bulk`` runs: the given ones, or with
    ``--demo`` the demo's; a `click.UsageError` (exit 2) when they do not fit together."""
    if demo:
        if file is not None:
            raise click.UsageError("give FILE.csv or --demo, not both")
        if not (sandbox or dry_run):
            raise click.UsageError(
                "--demo sends to made-up numbers: add --sandbox (or --dry-run) to run it"
            )
        return str(DEMO_FILE), message or DEMO_MESSAGE
    if file is None:
        raise click.UsageError("Missing argument 'FILE.csv' (or --demo for the demo campaign).")
    if message is None:
        raise click.UsageError("Missing option '--message' / '-m'.")
    return file, message
