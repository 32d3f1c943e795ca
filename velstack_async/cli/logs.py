"""``-v``: the SDK's log lines (never keys or message text) on stderr, above any progress bar."""

from __future__ import annotations

import logging

from rich.console import Console
from rich.logging import RichHandler

__all__ = ["configure_logging"]

_LOGGER = "velstack_async"


class _CliHandler(RichHandler):
    """The handler the CLI installs (replaced, not stacked, on each invocation)."""


def configure_logging(verbosity: int, console: Console) -> None:
    """0: nothing (the summary says it all); 1: INFO (retries, stops); 2+: DEBUG (requests)."""
    logger = logging.getLogger(_LOGGER)
    for handler in [h for h in logger.handlers if isinstance(h, _CliHandler)]:
        logger.removeHandler(handler)
    if verbosity <= 0:
        # The library's own NullHandler keeps Python's last-resort handler quiet.
        logger.setLevel(logging.NOTSET)
        return
    handler = _CliHandler(console=console, show_path=False, markup=False)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO if verbosity == 1 else logging.DEBUG)
