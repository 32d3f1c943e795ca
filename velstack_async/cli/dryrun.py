"""``velstack bulk --dry-run``: what the campaign would cost, row by row, without sending.

Each row goes through the campaign engine's own `Source` (number, duplicate and
template checks: the decisions a real run makes), with a temporary journal.
"""

from __future__ import annotations

import math
from collections import Counter

import anyio
import attrs

from .. import _bulk
from .._bulk import BulkMessage, BulkStatus, CampaignOptions
from .._bulk.estimate import MAX_LISTED
from .._bulk.journal import Journal
from .._bulk.ports import Job
from .._bulk.source import Source
from .._encoding import Ucs2Character, describe, ucs2_characters
from .bulkplan import Plan
from .session import Session

__all__ = ["DryRun", "dry_run", "show_dry_run"]

#: Distinct texts counted for the request estimate (memory stays bounded).
MAX_TEXTS = 100_000


@attrs.define
class DryRun:
    """Counts over every row, and the credits of the messages that would be sent."""

    file: str
    rows: int = 0
    to_send: int = 0
    duplicates: int = 0
    invalid_numbers: int = 0
    template_errors: int = 0
    requests: int = 0
    credits: int = 0
    max_segments: int = 0
    multi_segment_messages: int = 0
    ucs2_messages: int = 0
    smart_encoding: bool = False
    #: Credits smart encoding saves (or, when off, would save) on these messages.
    smart_encoding_saves: int = 0
    #: The characters of the message template that force UCS-2, with their positions.
    ucs2_characters: tuple[Ucs2Character, ...] = ()


def dry_run(plan: Plan, file: str, campaign: CampaignOptions) -> DryRun:
    """Prepare every row as the campaign would and count its segments (nothing is sent).

    A row whose placeholder cell is empty (or missing) is a template error,
    as it would fail the campaign, unless ``allow_blank_fields``.
    """
    result = DryRun(file, smart_encoding=campaign.smart_encoding)
    result.ucs2_characters = ucs2_characters(campaign.message or "", MAX_LISTED)
    texts: Counter[str] = Counter()
    others = 0  # rows past MAX_TEXTS distinct texts: a request each
    # The texts as written: the estimate says what smart encoding saves on them.
    prepared = attrs.evolve(campaign, smart_encoding=False, journal=None)

    async def count() -> None:
        nonlocal others
        with plan.source.rows() as rows:
            messages = (
                BulkMessage(row.fields[plan.phone_column], fields=row.fields) for row in rows
            )
            journal = Journal.temporary()
            source = Source(messages, prepared, journal)
            while items := await source.take():
                for item in items:
                    result.rows += 1
                    if not isinstance(item, Job):
                        if item.status is BulkStatus.FAILED:
                            result.template_errors += 1
                        elif item.error is not None:
                            result.invalid_numbers += 1
                        else:
                            result.duplicates += 1
                        continue
                    _count(
                        result, _bulk.estimate(item.text, smart_encoding=campaign.smart_encoding)
                    )
                    if item.text in texts or len(texts) < MAX_TEXTS:
                        texts[item.text] += 1
                    else:
                        others += 1
            journal.close()

    anyio.run(count)
    result.requests = _requests(texts, others, campaign.batch_size)
    return result


def _requests(texts: Counter[str], others: int, batch_size: int) -> int:
    """The fewest requests the campaign can take: recipients of one text share a request,
    up to ``batch_size`` (the engine may split a group that arrives slowly)."""
    return others + sum(math.ceil(count / batch_size) for count in texts.values())


def _count(result: DryRun, estimate: _bulk.Estimate) -> None:
    result.to_send += 1
    result.credits += estimate.credits
    result.max_segments = max(result.max_segments, estimate.segments)
    result.multi_segment_messages += estimate.segments > 1
    result.ucs2_messages += estimate.encoding == "UCS-2"
    result.smart_encoding_saves += estimate.saved_credits


def show_dry_run(session: Session, result: DryRun) -> None:
    session.show_record(
        {"dry_run": True, **attrs.asdict(result)},
        [
            ("Rows", result.rows),
            ("Would be sent", result.to_send),
            ("Duplicate numbers", result.duplicates),
            ("Invalid numbers", result.invalid_numbers),
            ("Template errors (blank or missing fields)", result.template_errors),
            ("Requests (at least)", result.requests),
            ("Longest message", f"{result.max_segments} segment(s)"),
            ("Multi-segment messages", result.multi_segment_messages),
            ("UCS-2 messages", result.ucs2_messages),
            ("Estimated credits", result.credits),
            ("Template", describe(result.ucs2_characters)),
            ("Smart encoding", _smart_encoding(result)),
        ],
        title="Dry run: nothing was sent",
    )


def _smart_encoding(result: DryRun) -> str:
    saves = result.smart_encoding_saves
    if result.smart_encoding:
        return f"on: saves {saves:,} credits"
    return f"off (--no-smart-encoding): would save {saves:,} credits"
