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


class _StatsColumn(ProgressColumn):
    """The counters after the bar: ``104 sent · 0 failed``, each ``(name, style)``."""

    def __init__(self, stats: Sequence[tuple[str, str]]) -> None:
        super().__init__()
        self._stats = stats

    def render(self, task: Task) -> Text:
        text = Text()
        for i, (name, style) in enumerate(self._stats):
            if i:
                text.append(" · ", style="dim")
            value = task.fields["stats"].get(name, 0)
            shown = f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"
            text.append(f"{shown} {name}", style=style)
        return text


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("-/s" if speed is None else f"{speed:,.0f}/s", style="magenta")


class LiveProgress:
    """``with LiveProgress(...) as bar: bar.advance(sent=3)``; a no-op when not on a terminal."""

    def __init__(
        self,
        console: Console,
        *,
        description: str,
        total: int | None,
        stats: Sequence[tuple[str, str]],
    ) -> None:
        self._fields: dict[str, int | Decimal] = {name: 0 for name, _ in stats}
        self._progress = Progress(
            SpinnerColumn(finished_text="[green]✓[/]"),
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            _StatsColumn(stats),
            _RateColumn(),
            TextColumn("[dim]ETA[/]"),
            TimeRemainingColumn(),
            console=console,
            disable=not console.is_terminal,
        )
        self._task = self._progress.add_task(description, total=total, stats=dict(self._fields))

    def advance(self, **increments: int | Decimal) -> None:
        """One more row done; add ``increments`` to the counters shown."""
        for name, value in increments.items():
            self._fields[name] = self._fields.get(name, 0) + value
        self._progress.update(self._task, advance=1, stats=dict(self._fields))

    def __enter__(self) -> LiveProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._progress.stop()
