"""A campaign's settings, checked once before anything is sent."""

from __future__ import annotations

import math
import os

import phonenumbers
from attrs import frozen

from .. import _validation as check
from .._exceptions import InvalidInputError
from .journal import campaign_id
from .template import Template, TemplateError

__all__ = ["Campaign", "make_campaign"]

#: At most this many non-sent results are kept in a report by default.
DEFAULT_KEEP_UNSENT = 100_000
#: More requests in flight than any account or connection pool sustains: surely a mistake.
MAX_CONCURRENCY = 10_000


@frozen
class Campaign:
    template: Template | None
    sender: str
    title: str | None
    concurrency: int
    rate_limit: float | None
    journal: str | None
    resend_unknown: bool
    max_failures: int | None
    region: str
    keep_unsent: int | None
    #: Identifies the campaign in its journal (hash of template and sender).
    identity: str


def make_campaign(
    *,
    message: str | None,
    sender: str,
    title: str | None,
    concurrency: int,
    rate_limit: float | None,
    journal: str | os.PathLike[str] | None,
    resend_unknown: bool,
    max_failures: int | None,
    region: str,
    keep_unsent: int | None,
) -> Campaign:
    """Check the arguments of ``send_bulk`` / ``stream_bulk``; `InvalidInputError` if bad."""
    template = None
    if message is not None:
        try:
            template = Template(check.text("message", message))
        except TemplateError as exc:
            raise InvalidInputError(str(exc)) from None
    if not isinstance(region, str) or region.upper() not in phonenumbers.SUPPORTED_REGIONS:
        raise InvalidInputError(f"region must be a two-letter region code such as 'GH': {region!r}")
    if rate_limit is not None and (
        isinstance(rate_limit, bool)
        or not isinstance(rate_limit, (int, float))
        or not math.isfinite(rate_limit)
        or rate_limit <= 0
    ):
        raise InvalidInputError("rate_limit must be a positive number of messages per second")
    path = os.fspath(journal) if isinstance(journal, (str, os.PathLike)) else journal
    if path is not None and (not isinstance(path, str) or not path or "\0" in path):
        raise InvalidInputError("journal must be a file path (str or os.PathLike)")
    sender = check.sender(sender)
    concurrency = _count("concurrency", concurrency, minimum=1)
    if concurrency > MAX_CONCURRENCY:
        raise InvalidInputError(f"concurrency must be at most {MAX_CONCURRENCY:,}")
    return Campaign(
        template=template,
        sender=sender,
        title=check.optional_text("title", title),
        concurrency=concurrency,
        rate_limit=None if rate_limit is None else float(rate_limit),
        journal=path,
        resend_unknown=bool(resend_unknown),
        max_failures=None if max_failures is None else _count("max_failures", max_failures, 1),
        region=region.upper(),
        keep_unsent=None if keep_unsent is None else _count("keep_unsent", keep_unsent, 0),
        identity=campaign_id(message, sender),
    )


def _count(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidInputError(f"{name} must be an int >= {minimum}, got {value!r}")
    return value
