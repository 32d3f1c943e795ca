"""``velstack bulk FILE.csv --message ...``: a campaign from a CSV file."""

from __future__ import annotations

import click

from .. import dryrun
from ..bulkplan import BulkOptions, make_plan
from ..bulkreport import finish
from ..bulkrun import run_bulk
from ..session import Session
from .options import concurrency_option, sender_option, title_option

__all__ = ["bulk"]


@click.command()
@click.argument("file", metavar="FILE.csv")
@click.option(
    "--message",
    "-m",
    required=True,
    help="Message template: {column} is replaced by the row's value ({{ for a brace).",
)
@sender_option
@title_option
@concurrency_option(32, 1000, "Messages in flight")
@click.option(
    "--rate",
    type=click.FloatRange(min=0, min_open=True),
    metavar="R",
    help="At most R messages started per second [default: no limit].",
)
@click.option(
    "--journal",
    metavar="PATH",
    help="Campaign journal: a rerun with the same journal skips rows already sent "
    "[default: one per file, message and sender under ~/.local/state/velstack/journals, "
    "deleted once every row is done].",
)
@click.option(
    "--resend-unknown",
    is_flag=True,
    help="On a rerun, send again to rows whose outcome was unknown (they may get it twice).",
)
@click.option("--dry-run", is_flag=True, help="Print the credit estimate; send nothing.")
@click.option(
    "--failed-out",
    metavar="PATH",
    help="Write the rows not sent (with status and reason) to this CSV, for a retry run.",
)
def bulk(
    file: str,
    message: str,
    sender: str | None,
    title: str | None,
    concurrency: int,
    rate: float | None,
    journal: str | None,
    resend_unknown: bool,
    dry_run: bool,
    failed_out: str | None,
) -> None:
    """Send a message to every row of a CSV file, with a live progress bar.

    The file needs a phone_number (or recipient) column; its other columns
    fill the template's placeholders ("Hello {first_name}"). Rows are read
    as they are sent, so files of any size work. A number that appears twice
    gets the message once; an invalid number is skipped.

    Every run is journalled: after Ctrl-C, a stop (no credit) or failed rows,
    running the same command again resumes the campaign, skipping the rows
    already sent.
    """
    session = Session.current()
    options = BulkOptions(
        file=file,
        message=message,
        sender=sender,
        title=title,
        concurrency=concurrency,
        rate=rate,
        journal=journal,
        failed_out=failed_out,
        resend_unknown=resend_unknown,
    )
    plan = make_plan(options)
    if dry_run:
        dryrun.show_dry_run(session, dryrun.dry_run(plan, file))
        return
    code = finish(session, run_bulk(session, options, plan))
    if code:
        raise click.exceptions.Exit(int(code))
