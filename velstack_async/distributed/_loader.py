"""Loading recipients into a distributed campaign: prepared by ``send_bulk``'s `Source`,
written by `_lua.LOAD` (deduplicated by number), which records how far the input was
loaded: a producer loads the same input again after a crash, nothing twice.
"""

from __future__ import annotations

import json
from typing import Any, cast

from attrs import field, frozen

from .._bulk.journal import Journal, Verdict
from .._bulk.models import BulkResult
from .._bulk.options import CampaignOptions
from .._bulk.ports import Job
from .._bulk.source import Source, iterate
from ._settings import Settings
from ._store import Store
from .errors import CampaignError

__all__ = ["ChunkEntry", "load"]

_GROUP = 64


@frozen
class ChunkEntry:
    """A recipient in a chunk. Stored as the JSON list ``[index, recipient, key, number,
    text, sender]`` (the scripts keep it opaque); ``text`` / ``sender`` None: the campaign's."""

    index: int
    recipient: str
    key: str | None = None
    number: str | None = None
    text: str | None = None
    sender: str | None = None
    #: The stored JSON (a claim script files it as is).
    raw: str = field(default="", eq=False, repr=False)

    @classmethod
    def of(cls, job: Job, options: CampaignOptions, plain: str | None) -> ChunkEntry:
        """A job as stored: the text only when it differs from the campaign's plain message."""
        text = None if job.text == plain else job.text
        sender = None if job.sender == options.sender else job.sender
        return cls(job.index, job.recipient, str(job.key), job.number, text, sender)

    @classmethod
    def from_list(cls, values: list[Any], raw: str = "") -> ChunkEntry:
        """From the stored list (a script may have dropped trailing nulls)."""
        index, recipient, *rest = values
        key, number, text, sender = (rest + [None] * 4)[:4]
        return cls(int(index), str(recipient), key, number, text, sender, raw=raw)

    def as_list(self) -> list[Any]:
        return [self.index, self.recipient, self.key, self.number, self.text, self.sender]

    def result(self, result: BulkResult) -> str:
        """``result`` as stored (`RedisCampaign.report` and the scripts read it back)."""
        return json.dumps({"s": str(result.status), "r": result.reason or "", "e": self.as_list()})


class _AllNew:
    """The `Source`'s journal: every number is new here (Redis deduplicates)."""

    durable = False

    async def aclassify(self, keys: list[int]) -> list[Verdict]:
        return [Verdict.NEW] * len(keys)


async def load(store: Store, settings: Settings, recipients: object) -> int:
    """Load ``recipients``; return how many inputs the campaign holds. Resumable."""
    options, plain = settings.options, settings.plain
    source = Source(iterate(recipients), options, cast(Journal, _AllNew()))
    meta = await store.retry(lambda: store.redis.hmget(store.meta, ["loaded_upto", "loaded"]))
    if meta[1] == "1":
        raise CampaignError(f"campaign {store.campaign_id!r} is already loaded")
    start = int(meta[0] or 0)
    group: list[str] = []
    position = start
    while True:
        items = await source.take()
        for item in items:
            if item.index < start:
                continue  # loaded by an earlier (interrupted) call
            if isinstance(item, Job):
                entry = ChunkEntry.of(item, options, plain).as_list()
                group += ("n", str(item.key), json.dumps(entry))
            else:  # a ready result: skipped or failed
                stored = ChunkEntry(item.index, item.recipient).result(item)
                group += ("s" if item.status == "skipped" else "f", f"i{item.index}", stored)
        if group and (not items or len(group) >= 3 * _GROUP):
            done, upto = await store.run("LOAD", position, settings.chunk_size, *group)
            if done < 0:
                raise CampaignError(
                    f"campaign {store.campaign_id!r}: another producer is loading it "
                    f"(it is at input {upto}, this one at {position})"
                )
            position, group = done, []
        if not items:
            break
    await store.run("FINISH_LOAD")
    return position
