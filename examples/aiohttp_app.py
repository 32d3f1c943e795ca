"""An aiohttp web app that sends SMS through one `AsyncVelstack` shared by every request.

Run it (``pip install aiohttp``)::

    VELSTACK_API_KEY=... VELSTACK_SENDER=MyShop python examples/aiohttp_app.py --port 8081
    curl -X POST localhost:8081/notify -H 'content-type: application/json' \\
         -d '{"to": "0205550368", "message": "Your order has shipped"}'

It listens on port 8081 by default: 8080 is the fake server's
(``python -m velstack_async.testing serve``), 8000 the FastAPI example's.

The client lives in a ``cleanup_ctx``: opened at startup, closed at cleanup.
Importing this module opens nothing; `create_app(client_factory=...)` lets a
test hand in a client connected to the fake server.
"""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import AsyncIterator, Callable, Sequence

from aiohttp import web

from velstack_async import (
    AsyncVelstack,
    InsufficientBalanceError,
    InvalidInputError,
    VelstackError,
)

logger = logging.getLogger(__name__)

VELSTACK = web.AppKey("velstack", AsyncVelstack)
SENDER = web.AppKey("sender", str)
#: Not 8080 (the fake server's default port) nor 8000 (the FastAPI example's).
DEFAULT_PORT = 8081


def create_app(
    client_factory: Callable[[], AsyncVelstack] = AsyncVelstack, *, sender: str | None = None
) -> web.Application:
    """The app; ``client_factory()`` is called once, at startup."""
    app = web.Application()
    app[SENDER] = sender or os.environ.get("VELSTACK_SENDER", "VELSTACK")

    async def velstack_client(app: web.Application) -> AsyncIterator[None]:
        async with client_factory() as client:
            app[VELSTACK] = client
            yield

    app.cleanup_ctx.append(velstack_client)
    app.router.add_post("/notify", notify)
    return app


async def notify(request: web.Request) -> web.Response:
    body = await request.json()
    if not isinstance(body, dict) or not isinstance(body.get("to"), str):
        raise web.HTTPUnprocessableEntity(text="expected {'to': ..., 'message': ...}")
    client = request.app[VELSTACK]
    try:
        summary = await client.sms.send(
            recipient=body["to"], message=body.get("message", ""), sender=request.app[SENDER]
        )
    except InvalidInputError as exc:  # a bad number or an empty message: no request made
        raise web.HTTPUnprocessableEntity(text=str(exc)) from None
    except InsufficientBalanceError:
        raise web.HTTPPaymentRequired(text="out of SMS credit") from None
    except VelstackError as exc:
        # Never resend blindly: it may have gone out (exc.may_have_been_sent).
        logger.warning("SMS failed: %s", exc)  # SDK messages mask numbers, omit the text
        raise web.HTTPBadGateway(text="the SMS service failed") from None
    return web.json_response(
        {"message_id": summary.message_id, "credit_left": str(summary.credit_left)}
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="POST /notify sends an SMS through Velstack.")
    parser.add_argument("--host", default="127.0.0.1", help="interface (default: 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default: {DEFAULT_PORT})"
    )
    args = parser.parse_args(argv)
    web.run_app(create_app(), host=args.host, port=args.port)


if __name__ == "__main__":
    main()
