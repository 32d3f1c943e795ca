"""A live progress bar on stderr, shown only when stderr is a terminal (never in CI logs)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

__all__ = ["LiveProgress"]


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("-/s" if speed is None else f"{speed:,.0f}/s", style="magenta")


class LiveProgress:
    """``with LiveProgress(...) as bar: bar.advance(sent=3)``; a no-op when not on a terminal.
    ``stats``: the counters shown after the bar, ``(name, style)``."""

    def __init__(
        self,
        console: Console,
        *,
        description: str,
        total: int | None,
        stats: Sequence[tuple[str, str]],
    ) -> None:
        self._stats = stats
        self._fields: dict[str, int | Decimal] = {name: 0 for name, _ in stats}
        self._progress = Progress(
            SpinnerColumn(finished_text="[green]✓[/]"),
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[stats]}"),
            _RateColumn(),
            TextColumn("[dim]ETA[/]"),
            TimeRemainingColumn(),
            console=console,
            disable=not console.is_terminal,
        )
        self._task = self._progress.add_task(description, total=total, stats=self._text())

    def advance(self, **increments: int | Decimal) -> None:
        """One more row done; add ``increments`` to the counters shown."""
        for name, value in increments.items():
            self._fields[name] = self._fields.get(name, 0) + value
        self._progress.update(self._task, advance=1, stats=self._text())

    def _text(self) -> str:
        """The counters after the bar, as markup: ``104 sent · 0 failed ...``."""
        shown = []
        for name, style in self._stats:
            value = self._fields[name]
            number = f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"
            shown.append(f"[{style}]{number} {name}[/]")
        return " [dim]·[/] ".join(shown)

    def __enter__(self) -> LiveProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._progress.stop()
