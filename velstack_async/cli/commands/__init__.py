"""The ``velstack`` commands, one module per group of commands (added by ``app``)."""
