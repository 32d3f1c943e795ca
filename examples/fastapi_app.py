"""A FastAPI app that sends SMS through one `AsyncVelstack` shared by every request.

Run it (``pip install fastapi uvicorn``)::

    VELSTACK_API_KEY=... VELSTACK_SENDER=MyShop uvicorn examples.fastapi_app:app
    curl -X POST localhost:8000/notify -H 'content-type: application/json' \\
         -d '{"to": "0205550368", "message": "Your order has shipped"}'

The client is opened once in the app's lifespan (one connection pool for all
requests) and closed at shutdown. Importing this module opens nothing.
`create_app(client_factory=...)` takes any callable returning an
`AsyncVelstack`: tests pass one connected to the fake server.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, HTTPException, Request
from pydantic import BaseModel

from velstack_async import (
    AsyncVelstack,
    InsufficientBalanceError,
    InvalidInputError,
    VelstackError,
)

logger = logging.getLogger(__name__)


class Notification(BaseModel):
    to: str
    message: str


class Sent(BaseModel):
    message_id: str
    credit_left: str


def create_app(
    client_factory: Callable[[], AsyncVelstack] = AsyncVelstack, *, sender: str | None = None
) -> FastAPI:
    """The app; ``client_factory()`` is called once, at startup."""
    sender_id = sender or os.environ.get("VELSTACK_SENDER", "VELSTACK")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with client_factory() as client:
            app.state.velstack = client
            yield

    app = FastAPI(title="Notifications", lifespan=lifespan)

    @app.post("/notify")
    async def notify(notification: Notification, request: Request) -> Sent:
        client: AsyncVelstack = request.app.state.velstack
        try:
            summary = await client.sms.send(
                recipient=notification.to, message=notification.message, sender=sender_id
            )
        except InvalidInputError as exc:  # a bad number or an empty message: no request made
            raise HTTPException(422, str(exc)) from None
        except InsufficientBalanceError:
            raise HTTPException(402, "out of SMS credit") from None
        except VelstackError as exc:
            # Never resend blindly: it may have gone out (exc.may_have_been_sent).
            logger.warning("SMS failed: %s", exc)  # SDK messages mask numbers, omit the text
            raise HTTPException(502, "the SMS service failed") from None
        return Sent(message_id=summary.message_id, credit_left=str(summary.credit_left))

    return app


app = create_app()
