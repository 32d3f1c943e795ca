"""``velstack campaign``: one campaign in Redis, sent by any number of ``worker`` processes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import anyio.lowlevel
import click

from ... import BulkMessage
from ..._csvfile import CsvFile
from ..bulkrun import PHONE_COLUMNS
from ..output import CliError, ExitCode, fields_table, table
from ..session import RATE, Session, flag, message_options, with_ctrl_c
from .suppressions import open_policy, policy_options

if TYPE_CHECKING:
    from ...distributed import RedisCampaign

__all__ = ["campaign"]

_T = TypeVar("_T")


@click.group()
def campaign() -> None:
    """Distributed campaigns: one campaign in Redis, sent by many worker processes."""


def _command(command: Callable[..., Any]) -> click.Command:
    command = click.option(
        "--redis",
        "redis_url",
        envvar="VELSTACK_REDIS_URL",
        required=True,
        metavar="URL",
        help="Redis holding the campaign [env: VELSTACK_REDIS_URL].",
    )(command)
    return campaign.command()(click.argument("campaign_id", metavar="ID")(command))


def _open(
    url: str,
    campaign_id: str,
    work: Callable[[RedisCampaign], Awaitable[_T]],
    create: dict[str, Any] | None = None,
) -> _T:
    try:
        from ...distributed import RedisCampaign
    except ImportError as exc:  # pragma: no cover - the extra is missing
        need = "distributed campaigns need the extra: pip install 'velstack-async[distributed]'"
        raise CliError(f"{need} ({exc})", ExitCode.USAGE) from None

    async def main() -> _T:
        made = RedisCampaign.create(url, campaign_id, **create) if create is not None else None
        async with await (made or RedisCampaign.open(url, campaign_id)) as opened:
            return await work(opened)

    return anyio.run(main)


@_command
@message_options
@click.option("--rate-limit", type=RATE, help="Messages/s.")
@click.option("--request-rate-limit", type=RATE, help="Requests/s.")
@click.option("--batch-size", type=click.IntRange(min=1), default=100)
@click.option("--chunk-size", type=click.IntRange(min=1), default=500)
@click.option("--lease", type=click.FloatRange(min=1), default=30.0)
@policy_options("the campaign's Redis when --send-window is given, else no policy")
def create(campaign_id: str, redis_url: str, sender: str | None, **settings: Any) -> None:
    """Create campaign ID in Redis (its message and settings). With --policy-store (a
    redis:// URL every worker reaches) or --send-window, every worker applies the policy."""
    session = Session.current()
    settings["sender"] = session.default_sender(sender)
    window = settings.pop("send_window")
    store = settings.pop("policy_store") or (redis_url if window is not None else None)
    settings["policy"] = policy = None if store is None else open_policy(store, send_window=window)
    try:
        _open(redis_url, campaign_id, lambda _: anyio.lowlevel.checkpoint(), create=settings)
    finally:
        if policy is not None:
            policy.close()
    session.notice(f"campaign {campaign_id!r} created; next: velstack campaign load")


@_command
@click.argument("file", type=click.Path(dir_okay=False))
def load(campaign_id: str, redis_url: str, file: str) -> None:
    """Load the recipients of FILE.csv (a rerun skips the rows loaded)."""
    source = CsvFile.open(file)
    phone = source.column(*PHONE_COLUMNS)

    async def work(opened: RedisCampaign) -> int:
        with source.rows() as rows:
            return await opened.load(BulkMessage(r.fields[phone], fields=r.fields) for r in rows)

    count = _open(redis_url, campaign_id, work)
    Session.current().notice(f"{count:,} rows loaded; next: run workers (velstack campaign worker)")


@_command
@click.option("--concurrency", type=click.IntRange(min=1), default=16)
def worker(campaign_id: str, redis_url: str, concurrency: int) -> None:
    """Send chunks of campaign ID until it is finished (run as many as you like)."""
    session = Session.current()

    async def work(opened: RedisCampaign) -> None:
        async with session.client() as client:
            await opened.run_worker(client, concurrency=concurrency)

    _open(redis_url, campaign_id, work)
    session.notice("no chunk left for this worker")


def _status_table(status: dict[str, Any]) -> Any:
    done = sum(status[k] for k in ("sent", "failed", "skipped", "unknown"))
    pairs = [("Loaded", "yes" if status["loaded"] else "loading..."), ("Inputs", status["inputs"])]
    pairs += [("Done", done), ("Sent", status["sent"]), ("Failed", status["failed"])]
    pairs += [
        ("Skipped (duplicates)", f"{status['skipped']:,} ({status['duplicates']:,})"),
        ("Unknown", status["unknown"]),
        ("Queued / in flight", f"{status['queued']:,} / {status['attempting']:,}"),
        ("Chunks left (leased)", f"{status['chunks_left']} ({status['chunks_leased']})"),
        ("Requests (429s)", f"{status['requests']:,} ({status['throttled']:,})"),
        ("Paused", f"{status['paused_ms'] / 1000:.1f} s" if status["paused_ms"] else "no"),
        ("Stopped", status["stopped"] or "no"),
    ]
    return table(pairs, title="Campaign")


@_command
@flag("--once", help="Print once instead of a live view.")
def status(campaign_id: str, redis_url: str, once: bool) -> None:
    """A live view of campaign ID across every worker (Ctrl-C to leave it)."""
    session = Session.current()
    if session.json or once:
        current = _open(redis_url, campaign_id, lambda c: c.status())
        session.show(current, _status_table(current))
        return
    from rich.live import Live

    async def live_view(opened: RedisCampaign) -> None:
        current = await opened.status()
        with Live(_status_table(current), console=session.out, auto_refresh=False) as live:
            while (current["chunks_left"] or not current["loaded"]) and not current["stopped"]:
                await anyio.sleep(0.5)
                current = await opened.status()
                live.update(_status_table(current), refresh=True)

    async def view(opened: RedisCampaign) -> None:
        # Ctrl-C cancels a scope, not the main task once: on 3.10 that one cancellation
        # can be lost in a Redis call, and the view never ends on its own.
        with anyio.CancelScope() as scope:
            await with_ctrl_c(lambda _: scope.cancel(), live_view(opened))
        if scope.cancel_called:
            raise KeyboardInterrupt

    _open(redis_url, campaign_id, view)


@_command
def report(campaign_id: str, redis_url: str) -> None:
    """The report of campaign ID (exact counts over every worker)."""
    session = Session.current()
    result = _open(redis_url, campaign_id, lambda c: c.report())
    names = "total sent failed skipped unknown not_attempted credit_used requests"
    stopped = ("Stopped", result.stopped_reason or "no")
    session.show(result, fields_table(result, names, "Campaign report", stopped))


@_command
@flag("--resend-unknown", help="Requeue the unknowns (once you know they got none).")
def resume(campaign_id: str, redis_url: str, resend_unknown: bool) -> None:
    """Clear a stop (e.g. after a top-up) and, with --resend-unknown, requeue the unknowns."""
    count = _open(redis_url, campaign_id, lambda c: c.resume(resend_unknown=resend_unknown))
    Session.current().notice(f"{count:,} unknown recipients requeued; now run workers")
