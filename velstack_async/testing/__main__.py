"""``python -m velstack_async.testing serve``: the fake Velstack over HTTP on loopback."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from decimal import Decimal

from ._fake import FakeVelstack
from ._faults import Faults
from ._handlers import CREDIT_LEFT_STYLES
from ._numbers import ECHO_FORMATS
from ._server import serve_forever


def count(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m velstack_async.testing",
        description="A fake Velstack SMS API for tests, benchmarks and manual poking.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser(
        "serve",
        help="serve the fake over HTTP (needs uvicorn: the 'server' extra)",
        description="Prints VELSTACK_API_KEY=... and VELSTACK_BASE_URL=... then serves until "
        "interrupted. GET /_fake/stats and GET/PUT /_fake/faults inspect and steer it.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="interface (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8080, help="port; 0 picks a free one")
    serve.add_argument("--api-key", help="API key of the account (default: generated)")
    serve.add_argument("--balance", type=Decimal, default=Decimal(1000), help="starting credits")
    serve.add_argument("--seed", type=int, help="seed for faults and ids, to replay a run")
    serve.add_argument("--demo", action="store_true", help="add demo groups, contacts, sender id")
    serve.add_argument(
        "--no-record-messages",
        dest="record_messages",
        action="store_false",
        help="keep counts and duplicate detection only (for very long runs)",
    )
    serve.add_argument(
        "--credit-left",
        choices=CREDIT_LEFT_STYLES,
        default="documented",
        help="how credit_left is written in send responses",
    )
    serve.add_argument(
        "--max-recipients",
        type=count,
        default=1000,
        metavar="N",
        help="most recipients one quick SMS may name; more is a 422 (default: 1000)",
    )
    serve.add_argument(
        "--echo-recipients",
        choices=ECHO_FORMATS,
        default="as_sent",
        help="how a send's answer writes the accepted numbers (default: as_sent)",
    )
    faults = serve.add_argument_group("faults")
    faults.add_argument("--latency", type=float, default=0.0, help="seconds added to responses")
    faults.add_argument("--latency-jitter", type=float, default=0.0, help="plus random 0..N s")
    faults.add_argument("--fail-rate", type=float, default=0.0, help="fraction answered 503")
    faults.add_argument(
        "--drop-rate", type=float, default=0.0, help="fraction processed, then lost"
    )
    faults.add_argument("--drop-mode", choices=("timeout", "disconnect"), default="timeout")
    faults.add_argument("--html-502-rate", type=float, default=0.0, help="fraction of HTML 502s")
    faults.add_argument("--reset-rate", type=float, default=0.0, help="fraction of closed conns")
    faults.add_argument("--rate-limit", type=int, help="requests per second per key, then 429")
    faults.add_argument(
        "--no-retry-after",
        dest="retry_after_header",
        action="store_false",
        help="answer 429s without a Retry-After header (as nginx's limit_req does)",
    )
    serve.add_argument("--log-level", default="info", help="uvicorn log level (default: info)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        faults = Faults(
            latency=args.latency,
            latency_jitter=args.latency_jitter,
            fail_rate=args.fail_rate,
            drop_rate=args.drop_rate,
            drop_mode=args.drop_mode,
            html_502_rate=args.html_502_rate,
            reset_rate=args.reset_rate,
            rate_limit=args.rate_limit,
            retry_after_header=args.retry_after_header,
        )
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    fake = FakeVelstack(
        api_key=args.api_key,
        balance=args.balance,
        seed=args.seed,
        faults=faults,
        record_messages=args.record_messages,
        credit_left=args.credit_left,
        max_recipients=args.max_recipients,
        echo_recipients=args.echo_recipients,
    )
    if args.demo:
        fake.seed_demo()

    try:
        serve_forever(fake, host=args.host, port=args.port, log_level=args.log_level)
    except KeyboardInterrupt:  # uvicorn re-raises Ctrl+C once it has shut down
        return 0
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"error: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
