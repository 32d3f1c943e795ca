"""``velstack campaign``: distributed campaigns in Redis (create, load, worker, status, ...).

Needs the ``distributed`` extra. Every command takes the campaign id and
``--redis URL`` (or ``VELSTACK_REDIS_URL``); any number of ``worker`` processes
on any machines share one campaign.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
import click

from ... import BulkMessage
from ..._csvfile import CsvFile
from ..._policy.limits import Category
from ..._policy.window import SendWindow
from ..bulkrun import PHONE_COLUMNS
from ..output import CliError, ExitCode, key_value_table
from ..session import Session
from .options import (
    id_argument,
    message_option,
    open_policy,
    policy_options,
    sender_option,
    title_option,
)

if TYPE_CHECKING:
    from ...distributed import RedisCampaign

__all__ = ["campaign"]

_T = TypeVar("_T")

redis_option = click.option(
    "--redis",
    "redis_url",
    envvar="VELSTACK_REDIS_URL",
    required=True,
    metavar="URL",
    help="Redis holding the campaign, e.g. redis://127.0.0.1:6379/0 [env: VELSTACK_REDIS_URL].",
)
_ID = id_argument("campaign_id")


def _open(url: str, campaign_id: str, work: Callable[[RedisCampaign], Awaitable[_T]]) -> _T:
    try:
        from ...distributed import RedisCampaign
    except ImportError as exc:  # pragma: no cover - the extra is missing
        raise CliError(
            f"distributed campaigns need the extra: pip install 'velstack-async[distributed]' "
            f"({exc})",
            ExitCode.USAGE,
        ) from None

    async def main() -> _T:
        async with await RedisCampaign.open(url, campaign_id) as campaign:
            return await work(campaign)

    return anyio.run(main)


@click.group()
def campaign() -> None:
    """Distributed campaigns: one campaign in Redis, sent by many worker processes."""


@campaign.command()
@_ID
@redis_option
@message_option
@sender_option
@title_option
@click.option("--rate-limit", type=click.FloatRange(min=0, min_open=True), help="Messages/s.")
@click.option(
    "--request-rate-limit", type=click.FloatRange(min=0, min_open=True), help="Requests/s."
)
@click.option("--batch-size", type=click.IntRange(min=1), default=100, show_default=True)
@click.option("--chunk-size", type=click.IntRange(min=1), default=500, show_default=True)
@click.option("--lease", type=click.FloatRange(min=1), default=30.0, show_default=True)
@policy_options("the campaign's Redis when --send-window is given, else no policy")
def create(
    campaign_id: str,
    redis_url: str,
    message: str,
    sender: str | None,
    title: str | None,
    rate_limit: float | None,
    request_rate_limit: float | None,
    batch_size: int,
    chunk_size: int,
    lease: float,
    max_credits: int | None,
    send_window: SendWindow | None,
    wait_for_window: bool,
    category: Category,  # click.Choice checked it
    policy_store: str | None,
) -> None:
    """Create campaign ID in Redis (its message and settings).

    With --policy-store (a redis:// URL every worker reaches) or --send-window, every
    worker applies the sending policy: the store's suppression list and caps, the window.
    """
    from ...distributed import RedisCampaign

    session = Session.current()
    chosen = session.default_sender(sender)
    store = policy_store or (redis_url if send_window is not None else None)
    policy = None if store is None else open_policy(store, send_window=send_window)

    async def main() -> None:
        created = await RedisCampaign.create(
            redis_url,
            campaign_id,
            message=message,
            sender=chosen,
            title=title,
            rate_limit=rate_limit,
            request_rate_limit=request_rate_limit,
            batch_size=batch_size,
            chunk_size=chunk_size,
            lease=lease,
            policy=policy,
            category=category,
            max_credits=max_credits,
            wait_for_window=wait_for_window,
        )
        await created.aclose()

    try:
        anyio.run(main)
    finally:
        if policy is not None:
            policy.close()
    session.notice(f"campaign {campaign_id!r} created; next: velstack campaign load")


@campaign.command()
@_ID
@click.argument("file", type=click.Path(dir_okay=False))
@redis_option
def load(campaign_id: str, file: str, redis_url: str) -> None:
    """Load the recipients of FILE.csv (a phone_number column; other columns fill the
    message's {placeholders}). Run it again after an interruption: loaded rows are skipped."""
    session = Session.current()
    source = CsvFile.open(file)
    phone = source.column(*PHONE_COLUMNS)

    async def work(opened: RedisCampaign) -> int:
        with source.rows() as rows:
            return await opened.load(BulkMessage(r.fields[phone], fields=r.fields) for r in rows)

    count = _open(redis_url, campaign_id, work)
    session.notice(f"{count:,} rows loaded; next: start workers (velstack campaign worker)")


@campaign.command()
@_ID
@redis_option
@click.option("--concurrency", type=click.IntRange(min=1), default=16, show_default=True)
def worker(campaign_id: str, redis_url: str, concurrency: int) -> None:
    """Send chunks of campaign ID until it is finished (run as many as you like)."""
    session = Session.current()

    async def work(opened: RedisCampaign) -> None:
        async with session.client() as client:
            await opened.run_worker(client, concurrency=concurrency)

    _open(redis_url, campaign_id, work)
    session.notice("no chunk left for this worker")


def _status_table(status: dict[str, Any]) -> Any:
    done = status["sent"] + status["failed"] + status["skipped"] + status["unknown"]
    pairs = [
        ("Loaded", "yes" if status["loaded"] else "loading..."),
        ("Inputs", f"{status['inputs']:,}"),
        ("Done", f"{done:,}"),
        ("Sent", f"{status['sent']:,}"),
        ("Failed", f"{status['failed']:,}"),
        ("Skipped (duplicates)", f"{status['skipped']:,} ({status['duplicates']:,})"),
        ("Unknown", f"{status['unknown']:,}"),
        ("Queued / in flight", f"{status['queued']:,} / {status['attempting']:,}"),
        ("Chunks left (leased)", f"{status['chunks_left']} ({status['chunks_leased']})"),
        ("Requests (429s)", f"{status['requests']:,} ({status['throttled']:,})"),
        ("Paused", f"{status['paused_ms'] / 1000:.1f} s" if status["paused_ms"] else "no"),
        ("Stopped", status["stopped"] or "no"),
    ]
    return key_value_table(pairs, title="Campaign")


@campaign.command()
@_ID
@redis_option
@click.option("--once", is_flag=True, help="Print once instead of a live view.")
def status(campaign_id: str, redis_url: str, once: bool) -> None:
    """A live view of campaign ID across every worker (Ctrl-C to leave it)."""
    session = Session.current()
    if session.json or once:
        current = _open(redis_url, campaign_id, lambda c: c.status())
        if session.json:
            session.emit_json(current)
        else:
            session.out.print(_status_table(current))
        return
    from rich.live import Live

    async def view(opened: RedisCampaign) -> None:
        current = await opened.status()
        with Live(_status_table(current), console=session.out, auto_refresh=False) as live:
            while current["chunks_left"] or not current["loaded"]:
                if current["stopped"]:
                    break
                await anyio.sleep(0.5)
                current = await opened.status()
                live.update(_status_table(current), refresh=True)

    async def work(opened: RedisCampaign) -> None:
        # Ctrl-C cancels a scope (cancelled until the view has left it), not the main task
        # once: on 3.10 that one cancellation can be lost in a Redis call and the view,
        # which never ends on its own, went on after Ctrl-C.
        interrupted = False
        async with anyio.create_task_group() as tg:

            async def ctrl_c() -> None:
                nonlocal interrupted
                try:
                    with anyio.open_signal_receiver(signal.SIGINT) as signals:
                        async for _ in signals:
                            interrupted = True
                            tg.cancel_scope.cancel()
                except (NotImplementedError, ValueError):
                    return  # no signal handling here (Windows, not the main thread)

            tg.start_soon(ctrl_c)
            await view(opened)
            tg.cancel_scope.cancel()
        if interrupted:
            raise KeyboardInterrupt

    _open(redis_url, campaign_id, work)


@campaign.command()
@_ID
@redis_option
def report(campaign_id: str, redis_url: str) -> None:
    """The report of campaign ID (exact counts over every worker)."""
    session = Session.current()
    result = _open(redis_url, campaign_id, lambda c: c.report())
    pairs = [
        ("Total", result.total),
        ("Sent", result.sent),
        ("Failed", result.failed),
        ("Skipped", result.skipped),
        ("Unknown", result.unknown),
        ("Not attempted", result.not_attempted),
        ("Credit used", result.credit_used),
        ("Requests", result.requests),
        ("Stopped", result.stopped_reason or "no"),
    ]
    session.show_record(result, pairs, title="Campaign report")


@campaign.command()
@_ID
@redis_option
@click.option(
    "--resend-unknown",
    is_flag=True,
    help="Send the unknown recipients again (only after checking they were not delivered).",
)
def resume(campaign_id: str, redis_url: str, resend_unknown: bool) -> None:
    """Clear a stop (e.g. after a top-up) and, with --resend-unknown, requeue the unknowns."""
    session = Session.current()
    started = time.monotonic()
    count = _open(redis_url, campaign_id, lambda c: c.resume(resend_unknown=resend_unknown))
    took = time.monotonic() - started
    session.notice(f"{count:,} unknown recipients requeued ({took:.1f} s); now run workers")
