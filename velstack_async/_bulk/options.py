"""`CampaignOptions`: every setting of a bulk campaign in one frozen, checked object (a new
setting is a field here and a keyword of ``send_bulk``; a test checks they agree).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

import attrs
from attrs import field, frozen

from .. import _validation as check
from .._exceptions import InvalidInputError
from .._policy.limits import Category, category, credits_cap
from .journal import JournalOpener, campaign_id
from .template import Template

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_KEEP_UNSENT",
    "DEFAULT_STALL_TIMEOUT",
    "MAX_BATCH_SIZE",
    "MAX_CONCURRENCY",
    "CampaignOptions",
]

#: At most this many non-sent results are kept in a report by default.
DEFAULT_KEEP_UNSENT = 100_000
#: More requests in flight than any account or connection pool sustains: surely a mistake.
MAX_CONCURRENCY = 10_000
#: Recipients of the same text in one request, by default.
DEFAULT_BATCH_SIZE = 100
#: The largest batch: far above what any server accepts in one request.
MAX_BATCH_SIZE = 10_000
#: Seconds without an accepted send (only 429, 503, no connection) before a campaign gives up.
DEFAULT_STALL_TIMEOUT = 600.0
_T = TypeVar("_T")


def _journal(value: object) -> str | JournalOpener | None:
    if isinstance(value, JournalOpener):
        return value  # a journal object (RedisJournal...), kept as it is
    path = os.fspath(value) if isinstance(value, (str, os.PathLike)) else value
    if path is not None and (not isinstance(path, str) or not path or "\0" in path):
        raise InvalidInputError(
            "journal must be a file path (str or os.PathLike) or a journal object "
            "with open_journal (such as RedisJournal)"
        )
    return path


def _opt(o: CampaignOptions, name: str, checker: Callable[..., _T], *args: Any) -> _T | None:
    """The optional field ``name`` of ``o``: None, or checked by ``checker``."""
    value = getattr(o, name)
    return None if value is None else checker(name, value, *args)


def _checked(o: CampaignOptions) -> dict[str, Any]:
    """Every field of ``o`` checked and normalised; `InvalidInputError` for the first bad one."""
    return {
        "template": None if o.message is None else Template.parse(o.message),
        "sender": check.sender(o.sender),
        "title": check.optional_text("title", o.title),
        "concurrency": check.count("concurrency", o.concurrency, 1, MAX_CONCURRENCY),
        "batch_size": check.count("batch_size", o.batch_size, 1, MAX_BATCH_SIZE),
        "rate_limit": _opt(o, "rate_limit", check.positive, "messages per second"),
        "request_rate_limit": _opt(o, "request_rate_limit", check.positive, "requests per second"),
        "journal": _journal(o.journal),
        "resend_unknown": check.flag("resend_unknown", o.resend_unknown),
        "max_failures": _opt(o, "max_failures", check.count, 1),
        "region": None if o.region is None else check.region(o.region, "region"),
        "keep_unsent": _opt(o, "keep_unsent", check.count, 0),
        "allow_blank_fields": check.flag("allow_blank_fields", o.allow_blank_fields),
        "stall_timeout": check.positive("stall_timeout", o.stall_timeout, "seconds"),
        "smart_encoding": check.flag("smart_encoding", o.smart_encoding),
        "category": category(o.category),
        "max_credits": credits_cap("max_credits", o.max_credits),
        "wait_for_window": check.flag("wait_for_window", o.wait_for_window),
    }


@frozen(kw_only=True)
class CampaignOptions:
    """The settings of one campaign, checked when built (`InvalidInputError`): the keywords of
    ``send_bulk`` (``region`` None: the client's default). Pass one to ``client.sms.
    send_campaign(recipients, options)`` (or ``stream_campaign``); `attrs.evolve` checks too."""

    message: str | None = None
    sender: str
    title: str | None = None
    concurrency: int = 32
    batch_size: int = DEFAULT_BATCH_SIZE
    rate_limit: float | None = None
    request_rate_limit: float | None = None
    #: A path (stored as a str), or a journal object such as ``RedisJournal`` (kept as is).
    journal: str | os.PathLike[str] | JournalOpener | None = None
    resend_unknown: bool = False
    max_failures: int | None = None
    region: str | None = None
    keep_unsent: int | None = DEFAULT_KEEP_UNSENT
    allow_blank_fields: bool = False
    stall_timeout: float = DEFAULT_STALL_TIMEOUT
    #: Replace Unicode look-alikes (curly quotes, dashes...) with GSM-7 characters.
    smart_encoding: bool = False
    #: ``"marketing"`` (send windows and frequency caps of the client's policy apply) or
    #: ``"transactional"``.
    category: Category = "marketing"
    #: Credits this campaign may spend (reserved before each request); None: no cap.
    max_credits: int | None = None
    #: A recipient outside its send window waits for it (False: ``not_attempted``).
    wait_for_window: bool = True
    #: The parsed ``message`` (None without one).
    template: Template | None = field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        for name, value in _checked(self).items():
            object.__setattr__(self, name, value)

    @property
    def journal_path(self) -> str | None:
        """``journal`` as a str; None without one or for a journal object."""
        return self.journal if isinstance(self.journal, str) else None

    @property
    def identity(self) -> str:
        """What identifies the campaign in its journal: a hash of its template and sender."""
        return campaign_id(self.message, self.sender)

    @classmethod
    def from_keywords(cls, values: dict[str, Any]) -> CampaignOptions:
        """Build from a call's ``locals()``: the keywords named like fields, others ignored."""
        names = [a.name for a in attrs.fields(cls) if a.init]
        return cls(**{name: values[name] for name in names if name in values})
