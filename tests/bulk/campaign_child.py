"""A campaign in its own process, for the SIGKILL test (``python campaign_child.py ...``).

Arguments: base_url api_key journal count concurrency backend [--resend-unknown]
[--only NUMBER,NUMBER,...] [--batch-size N]. Prints the report as one JSON line.
"""

from __future__ import annotations

import argparse
import json

import anyio

from velstack_async import AsyncVelstack, BulkStatus


def numbers(count: int) -> list[str]:
    return [f"020{i:07d}" for i in range(count)]


async def campaign(args: argparse.Namespace) -> None:
    recipients = args.only.split(",") if args.only else numbers(args.count)
    async with AsyncVelstack(api_key=args.api_key, base_url=args.base_url) as client:
        report = await client.sms.send_bulk(
            recipients,
            message="Flash sale today",
            sender="VELSTACK",
            concurrency=args.concurrency,
            journal=args.journal,
            resend_unknown=args.resend_unknown,
            batch_size=args.batch_size,
        )
    unknown = [r.recipient for r in report.unsent if r.status == BulkStatus.UNKNOWN]
    print(json.dumps({"sent": report.sent, "skipped": report.skipped, "unknown": unknown}))


def main() -> None:
    parser = argparse.ArgumentParser()
    for name in ("base_url", "api_key", "journal"):
        parser.add_argument(name)
    parser.add_argument("count", type=int)
    parser.add_argument("concurrency", type=int)
    parser.add_argument("backend", choices=["asyncio", "trio"])
    parser.add_argument("--resend-unknown", action="store_true")
    parser.add_argument("--only", default="")
    parser.add_argument("--batch-size", type=int, default=100)
    args = parser.parse_args()
    anyio.run(campaign, args, backend=args.backend)


if __name__ == "__main__":
    main()
