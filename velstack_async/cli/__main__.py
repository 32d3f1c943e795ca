"""``python -m velstack_async.cli``."""

from . import main

main()
