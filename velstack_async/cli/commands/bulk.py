"""``velstack bulk`` (a campaign from a CSV file) and what messages cost, counted with no
request: ``velstack estimate`` for one message, ``bulk --dry-run`` for a campaign (each row
through the engine's own `Source`, the checks a real run makes, with a temporary journal)."""

from __future__ import annotations

import contextlib
import math
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import anyio
import attrs
import click

from ... import _bulk
from ..._bulk import DEFAULT_BATCH_SIZE, BulkStatus, CampaignOptions
from ..._bulk.estimate import MAX_LISTED
from ..._bulk.journal import Journal
from ..._bulk.ports import Job
from ..._bulk.source import Source
from ..._encoding import Ucs2Character, describe, ucs2_characters
from ..._exceptions import AuthenticationError
from ..._policy.window import SendWindow
from ..bulkrun import Outcome, Plan, finish, make_plan, run_bulk
from ..output import CliError, fields_table, table
from ..session import (
    RATE,
    SANDBOX_SENDER,
    Session,
    concurrency_option,
    flag,
    message_option,
    sender_option,
    title_option,
)
from . import journals
from .suppressions import campaign_policy, policy_options

__all__ = ["DEMO_FILE", "bulk", "estimate"]

#: The demo's 300 made-up recipients (package data), so it runs only in the sandbox.
DEMO_FILE = Path(__file__).parents[1] / "demo" / "recipients.csv"
DEMO_MESSAGE = "Hello {first_name}, your code is {code}"


@click.command()
@click.argument("file", metavar="FILE.csv", required=False)
@click.option(
    "--message", "-m", help="Template: {column} is the row's value; required unless --demo."
)
@flag("--demo", help="Run the packaged demo campaign (with --sandbox or --dry-run only).")
@sender_option
@title_option
@concurrency_option(32, 1000, "Requests in flight")
@click.option(
    "--batch-size",
    type=click.IntRange(1, 1000),
    default=DEFAULT_BATCH_SIZE,
    metavar="N",
    help="Recipients of the same text in one request.",
)
@click.option("--rate", "rate_limit", type=RATE, metavar="R", help="At most R messages a second.")
@click.option("--request-rate-limit", type=RATE, metavar="R", help="At most R requests a second.")
@click.option(
    "--journal",
    metavar="PATH",
    help="The journal to resume from [default: one in $VELSTACK_JOURNAL_DIR].",
)
@flag("--new-campaign", help="Send to every row again, as a new campaign.")
@flag("--resend-unknown", help="Send again to rows whose outcome was unknown (maybe twice).")
@flag("--allow-blank-fields", help="Send a row whose placeholder cell is empty.")
@click.option(
    "--smart-encoding/--no-smart-encoding",
    default=True,
    help="Send look-alikes (curly quotes...) as GSM-7.",
)
@policy_options()
@flag("--dry-run", help="Print the credit estimate; send nothing.")
@click.option("--failed-out", metavar="PATH", help="Write the rows not sent to this CSV.")
def bulk(
    file: str | None,
    message: str | None,
    demo: bool,
    sender: str | None,
    journal: str | None,
    new_campaign: bool,
    send_window: SendWindow | None,
    policy_store: str | None,
    dry_run: bool,
    failed_out: str | None,
    **settings: Any,
) -> None:
    """Send a message to every row of a CSV file (a phone_number or recipient column; the
    others fill the template's placeholders).

    Running the same command again resumes the campaign from its journal: rows already
    sent are skipped, and a completed campaign is not sent again.
    """
    session = Session.current()
    if demo and file is not None:
        raise click.UsageError("give FILE.csv or --demo, not both")
    if demo and not (session.sandbox or dry_run):
        raise click.UsageError("--demo sends to made-up numbers: add --sandbox (or --dry-run)")
    file, message = (str(DEMO_FILE), message or DEMO_MESSAGE) if demo else (file, message)
    if file is None:
        raise click.UsageError("Missing argument 'FILE.csv' (or --demo for the demo campaign).")
    if message is None:
        raise click.UsageError("Missing option '--message' / '-m'.")
    campaign = CampaignOptions(
        message=message, sender=sender or SANDBOX_SENDER, keep_unsent=0, **settings
    )
    plan = make_plan(file, campaign)
    if dry_run:
        dry_run_estimate(session, plan)
        return
    sender = session.default_sender(sender)
    path = journal or journals.default_journal(file, message, sender, session.target_url)
    campaign = attrs.evolve(campaign, sender=sender, journal=path)
    plan = attrs.evolve(plan, campaign=campaign, journal_given=bool(journal), failed_out=failed_out)
    info = _earlier_run(session, plan, new_campaign)
    if info is not None and info.completed is not None:
        return  # already completed: said so, nothing sent
    session.policy = campaign_policy(policy_store, send_window)  # suppressions, caps
    try:
        outcome = run_bulk(session, plan)
    finally:
        if session.policy is not None:
            session.policy.close()
    _refuse_rejected_key(outcome, journal_was_new=info is None)
    code = finish(session, outcome)
    if code:
        raise click.exceptions.Exit(int(code))


def _earlier_run(session: Session, plan: Plan, new_campaign: bool) -> journals.JournalInfo | None:
    """The journal of an earlier run (None: a new campaign); ``completed`` if it is done."""
    path = plan.journal
    info = journals.read_info(path)
    if info is None:
        return None
    if info.campaign != plan.campaign.identity:
        raise CliError(
            f"journal {path} belongs to another campaign (its message template or sender "
            "differ): use a new journal path for a new campaign"
        )
    if new_campaign:
        if plan.journal_given:
            raise click.UsageError(
                f"--new-campaign: the journal {path} holds an earlier run; "
                "give a new --journal path for the new campaign"
            )
        when = info.completed.at if info.completed else info.modified
        moved = journals.archive_journal(path, when)
        session.notice(f"Starting a new campaign; the earlier one's journal is now {moved}")
        return None
    if info.completed is not None:
        if info.completed.summary.get("file_stamp") == journals.file_stamp(plan.source.path):
            _show_completed(session, plan, info.completed)
            return info
        journals.remove_journal(path, (journals.COMPLETED,))
        session.notice(
            f"{plan.source.path} changed since this campaign completed: resuming it from its "
            f"journal ({path}), rows already sent are skipped (add --new-campaign to send "
            "to every row again)"
        )
        return attrs.evolve(info, completed=None)
    session.notice(
        f"Resuming this campaign from the journal of an earlier run ({path}): rows "
        "already sent are skipped (add --new-campaign to start afresh)"
    )
    return info


def _show_completed(session: Session, plan: Plan, done: journals.Completion) -> None:
    when = done.at.strftime("%Y-%m-%d %H:%M:%S %Z").strip()
    document = {"file": plan.source.path, "already_completed": True}
    document |= {"completed_at": done.at.isoformat(), "completed": done.summary, "sent": 0}
    document |= {"journal": plan.journal, "exit_code": 0}
    then = {"rows": "Rows", "sent": "Sent then", "skipped": "Skipped then"}
    then |= {"credit_used": "Credits used", "credit_left": "Credit left then"}
    values = {key: done.summary.get(key) for key in then}
    pairs = [(then[k], None if v is None else Decimal(str(v))) for k, v in values.items()]
    view = table([("Completed", when), *pairs, ("Sent now", 0)], title="Campaign already completed")
    session.show(document, view)
    how = "use a new --journal path" if plan.journal_given else "add --new-campaign"
    session.notice(
        f"This campaign completed on {when} and was not sent again. "
        f"To send it again as a new campaign, {how} (journal: {plan.journal}).",
        style="",
    )


def _refuse_rejected_key(outcome: Outcome, *, journal_was_new: bool) -> None:
    """A key rejected before anything was sent: one error line, no journal left behind."""
    fatal = outcome.fatal
    if not isinstance(fatal, AuthenticationError) or outcome.report.sent or outcome.interrupted:
        return
    if journal_was_new:
        journals.remove_journal(outcome.plan.journal)
    if outcome.plan.failed_out:
        Path(outcome.plan.failed_out).unlink(missing_ok=True)
    raise fatal


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
