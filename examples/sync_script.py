"""A plain (non-async) script sending personalised reminders with the sync `Velstack` client.

Run it::

    export VELSTACK_API_KEY=... VELSTACK_SENDER=MyShop
    python examples/sync_script.py examples/recipients.csv

The CSV needs ``phone_number`` and ``first_name`` columns. ``send_reminders``
takes any `Velstack` client, so a test can pass one connected to the fake
server. One ``send_bulk`` call sends each row once (duplicates and invalid
numbers are skipped), many at a time, and reports what happened.
"""

from __future__ import annotations

import csv
import os
import sys
from collections.abc import Iterable, Iterator, Mapping

from velstack_async import BulkMessage, BulkReport, Velstack

MESSAGE = "Hi {first_name}, a reminder: your appointment is tomorrow at 10:00."


def read_rows(path: str) -> Iterator[dict[str, str]]:
    """The CSV file's rows, one at a time."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        yield from csv.DictReader(handle)


def send_reminders(
    client: Velstack, rows: Iterable[Mapping[str, str]], *, sender: str
) -> BulkReport:
    """Send the reminder to every row (``phone_number``, ``first_name``)."""
    messages = (BulkMessage(row["phone_number"], fields=row) for row in rows)
    return client.sms.send_bulk(messages, message=MESSAGE, sender=sender)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python examples/sync_script.py FILE.csv", file=sys.stderr)
        return 2
    with Velstack() as client:  # VELSTACK_API_KEY from the environment
        report = send_reminders(
            client, read_rows(argv[0]), sender=os.environ.get("VELSTACK_SENDER", "VELSTACK")
        )
    print(f"{report.sent} sent, {report.skipped} skipped, {report.failed} failed")
    return 0 if not (report.failed or report.unknown) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
