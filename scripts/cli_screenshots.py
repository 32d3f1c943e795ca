"""Pictures of the CLI's real terminal output for the docs (docs/assets/cli/*.svg).

Each command runs in the built-in sandbox, in a subprocess with colours forced on and a
120-column terminal; rich's own console then renders what it printed to SVG. Rerun after
changing what a command prints: ``python scripts/cli_screenshots.py``.
"""

from __future__ import annotations

import io
import os
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.text import Text

OUT = Path(__file__).resolve().parents[1] / "docs" / "assets" / "cli"
WIDTH = 120

SHOTS = {
    "bulk": 'velstack --sandbox bulk --demo --message "Hello {first_name}"',
    # The curly quote and the dash show what smart encoding does.
    "bulk-dry-run": 'velstack --sandbox bulk --demo -m "Hi {first_name} \u2013 20% off" --dry-run',
    "estimate": 'velstack estimate -m "It\u2019s 50% off \u2013 today only!" --recipients 1000',
    "groups": "velstack --sandbox groups list",
    "send": 'velstack --sandbox send --to 0205550368 --message "Your order has shipped"',
}


def run(command: str, workdir: Path) -> str:
    env = {
        **os.environ,
        "FORCE_COLOR": "1",
        "TTY_INTERACTIVE": "0",  # rich draws the progress bar once, finished, not animated
        "COLUMNS": str(WIDTH),
        "VELSTACK_SANDBOX_LATENCY": "0.01",
        "VELSTACK_JOURNAL_DIR": str(workdir / "journals"),
        "VELSTACK_POLICY_STORE": str(workdir / "policy.db"),
    }
    env.pop("NO_COLOR", None)
    argv = [sys.executable, "-m", "velstack_async.cli", *shlex.split(command)[1:]]
    done = subprocess.run(
        argv, env=env, cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    output = done.stdout  # stderr (notices, the bar) interleaved as a terminal shows it
    if "Traceback" in output:
        raise SystemExit(f"{command!r} crashed:\n{output}")
    return output


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name, command in SHOTS.items():
            console = Console(record=True, width=WIDTH, file=io.StringIO(), force_terminal=True)
            console.print(f"[bold green]$[/] {command}")
            console.print(Text.from_ansi(run(command, Path(tmp))))
            svg = console.export_svg(title=command.split(" --")[0])
            # Local fonts only: the site is read offline, so no font comes from a CDN.
            svg = re.sub(r'(src: local\("[^"]+"\)),\s*url\([^;]*;', r"\1;", svg)
            (OUT / f"{name}.svg").write_text(svg, encoding="utf-8")
            print(f"wrote {OUT / name}.svg")


if __name__ == "__main__":
    main()
