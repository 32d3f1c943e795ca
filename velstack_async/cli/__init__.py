"""The ``velstack`` command line (the ``cli`` extra: click and rich)."""

from __future__ import annotations

import sys

__all__ = ["main"]


def main() -> None:
    try:
        from .app import cli
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        if exc.name not in ("click", "rich"):
            raise
        raise SystemExit(
            f"velstack: the command line needs {exc.name}: pip install 'velstack-async[cli]'"
        ) from None
    except KeyboardInterrupt:  # Ctrl-C while starting: exit 130 as from any command
        print("error: interrupted", file=sys.stderr)
        raise SystemExit(130) from None
    cli(prog_name="velstack")
