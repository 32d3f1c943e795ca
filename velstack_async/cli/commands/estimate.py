"""What messages cost, counted locally with no request: ``velstack estimate`` for one
message, ``velstack bulk --dry-run`` for a campaign, each row through the engine's own
`Source` (the checks a real run makes) with a temporary journal."""

from __future__ import annotations

import contextlib
import math
from collections import Counter

import anyio
import attrs
import click

from ... import _bulk
from ..._bulk import BulkStatus
from ..._bulk.estimate import MAX_LISTED
from ..._bulk.journal import Journal
from ..._bulk.ports import Job
from ..._bulk.source import Source
from ..._encoding import Ucs2Character, describe, ucs2_characters
from ..bulkrun import Plan
from ..output import fields_table, table
from ..session import Session, message_option

__all__ = ["dry_run_estimate", "estimate"]

MAX_TEXTS = 100_000  # distinct texts counted for the request estimate (bounded memory)


@click.command()
@message_option
@click.option("--recipients", "-n", type=click.IntRange(min=0), default=1, help="How many numbers.")
@click.option(
    "--smart-encoding/--no-smart-encoding", default=False, help="Count as smart encoding sends it."
)
def estimate(message: str, recipients: int, smart_encoding: bool) -> None:
    """Count the segments and credits of a message, the characters forcing UCS-2 and what
    smart encoding saves (no request, no API key)."""
    result = _bulk.estimate(message, recipients, smart_encoding=smart_encoding)
    after = result.after
    smart = f"{after.encoding}, {after.segments} segment(s), {after.credits:,} credits"
    view = fields_table(
        result,
        "encoding characters segments recipients credits",
        "Estimate",
        ("Forcing UCS-2", describe(result.ucs2_characters)),
        ("With smart encoding", f"{smart} (saves {result.saved_credits:,})"),
    )
    Session.current().show(result, view)


@attrs.define
class DryRun:
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
    smart_encoding_saves: int = 0  # or, when off, would save
    ucs2_characters: tuple[Ucs2Character, ...] = ()

    def add(self, cost: _bulk.Estimate) -> None:
        self.to_send += 1
        self.credits += cost.credits
        self.max_segments = max(self.max_segments, cost.segments)
        self.multi_segment_messages += cost.segments > 1
        self.ucs2_messages += cost.encoding == "UCS-2"
        self.smart_encoding_saves += cost.saved_credits


def dry_run_estimate(session: Session, plan: Plan) -> None:
    campaign, smart = plan.campaign, plan.campaign.smart_encoding
    result = DryRun(plan.source.path, smart_encoding=smart)
    result.ucs2_characters = ucs2_characters(campaign.message or "", MAX_LISTED)
    texts: Counter[str] = Counter()
    # The texts as written: the estimate says what smart encoding saves on them.
    prepared = attrs.evolve(campaign, smart_encoding=False, journal=None)

    async def count() -> None:
        with plan.source.rows() as rows, contextlib.closing(Journal.temporary()) as journal:
            source = Source(map(plan.message, rows), prepared, journal)
            while items := await source.take():
                for item in items:
                    result.rows += 1
                    if isinstance(item, Job):
                        result.add(_bulk.estimate(item.text, smart_encoding=smart))
                        if item.text in texts or len(texts) < MAX_TEXTS:
                            texts[item.text] += 1
                        else:
                            result.requests += 1  # past MAX_TEXTS distinct texts: one each
                    elif item.status is BulkStatus.FAILED:
                        result.template_errors += 1
                    elif item.error is not None:
                        result.invalid_numbers += 1
                    else:
                        result.duplicates += 1

    anyio.run(count)
    # The fewest requests: recipients of one text share one, up to the batch size (the
    # engine may split a group that arrives slowly).
    result.requests += sum(math.ceil(n / campaign.batch_size) for n in texts.values())
    saves = "on: saves" if smart else "off (--no-smart-encoding): would save"
    pairs = [
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
        ("Smart encoding", f"{saves} {result.smart_encoding_saves:,} credits"),
    ]
    view = table(pairs, title="Dry run: nothing was sent")
    session.show({"dry_run": True, **attrs.asdict(result)}, view)
