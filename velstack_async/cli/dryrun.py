"""``velstack bulk --dry-run``: what the campaign would cost, row by row, without sending."""

from __future__ import annotations

import attrs

from .. import _bulk
from .._bulk.template import TemplateError
from .._phone import InvalidNumber, normalize
from .bulkplan import Plan
from .session import Session

__all__ = ["DryRun", "dry_run", "show_dry_run"]


@attrs.define
class DryRun:
    """Counts over every row, and the credits of the messages that would be sent."""

    file: str
    rows: int = 0
    to_send: int = 0
    duplicates: int = 0
    invalid_numbers: int = 0
    template_errors: int = 0
    credits: int = 0
    max_segments: int = 0
    multi_segment_messages: int = 0
    ucs2_messages: int = 0


def dry_run(plan: Plan, file: str) -> DryRun:
    """Render every row's message and count its segments (no request, nothing sent)."""
    result = DryRun(file)
    seen: set[str] = set()
    with plan.source.rows() as rows:
        for row in rows:
            result.rows += 1
            try:
                number = normalize(row.fields[plan.phone_column].strip())
            except InvalidNumber:
                result.invalid_numbers += 1
                continue
            if number in seen:
                result.duplicates += 1
                continue
            seen.add(number)
            try:
                text = plan.template.render(row.fields)
            except TemplateError:
                result.template_errors += 1
                continue
            if not text.strip():
                result.template_errors += 1
                continue
            _count(result, _bulk.estimate(text))
    return result


def _count(result: DryRun, estimate: _bulk.Estimate) -> None:
    result.to_send += 1
    result.credits += estimate.credits
    result.max_segments = max(result.max_segments, estimate.segments)
    result.multi_segment_messages += estimate.segments > 1
    result.ucs2_messages += estimate.encoding == "UCS-2"


def show_dry_run(session: Session, result: DryRun) -> None:
    session.show_record(
        {"dry_run": True, **attrs.asdict(result)},
        [
            ("Rows", result.rows),
            ("Would be sent", result.to_send),
            ("Duplicate numbers", result.duplicates),
            ("Invalid numbers", result.invalid_numbers),
            ("Template errors", result.template_errors),
            ("Longest message", f"{result.max_segments} segment(s)"),
            ("Multi-segment messages", result.multi_segment_messages),
            ("UCS-2 messages", result.ucs2_messages),
            ("Estimated credits", result.credits),
        ],
        title="Dry run: nothing was sent",
    )
