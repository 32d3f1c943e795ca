"""The ``velstack`` console script: outside the package, so Ctrl-C at start-up exits 130.

Python imports a package before any module in it: ``velstack_async.cli`` cannot catch
a Ctrl-C while the SDK itself is imported (most of the command's start-up), and the
process was then killed by SIGINT (status -2 to its parent), not the 130 of a Ctrl-C
at any later moment.
"""

import sys


def main() -> None:
    """Run ``velstack``."""
    try:
        from velstack_async.cli import main as velstack
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        raise SystemExit(130) from None
    velstack()
