"""`FakeVelstack`: the stateful fake service and its one request-handling core."""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from ._faults import FaultEngine, FaultKind, Faults
from ._handlers import Call, CreditLeftStyle, route
from ._records import Contact, Duplicate, Group, SenderId, SentMessage
from ._responses import (
    BAD_GATEWAY_HTML,
    JSON_HEADERS,
    Action,
    ApiError,
    FakeResponse,
    encode,
    envelope_error,
)
from ._state import Store
from ._validation import normalise_phone, parse_body

if TYPE_CHECKING:
    import httpx

    from ._asgi import FakeASGIApp
    from ._transports import AsyncFakeTransport, SyncFakeTransport

__all__ = ["DEFAULT_BASE_URL", "FakeVelstack"]

DEFAULT_BASE_URL = "https://sms.velstack.com"
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_HTML_HEADERS = (("content-type", "text/html; charset=utf-8"),)
_T = TypeVar("_T")


def _decimal(amount: Decimal | int | float | str) -> Decimal:
    return amount if isinstance(amount, Decimal) else Decimal(str(amount))


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        value = next((v for k, v in headers.items() if k.lower() == name), None)
    return value


def _bearer(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def _mask(phone: str) -> str:
    return phone[:4] + "*" * max(0, len(phone) - 8) + phone[-4:]


class FakeVelstack:
    """An in-memory Velstack service: accounts, credits, groups, contacts, faults.

    Every request goes through `handle` (thread-safe); `async_http_client`,
    `http_client` and `serve_in_thread` connect clients to it. ``seed`` fixes
    fault injection and generated ids so a run replays (``fake.seed`` tells the
    one picked when not given). ``record_messages=False`` keeps only counts and
    duplicate detection instead of every `SentMessage`, for very long runs.
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        balance: Decimal | int = 1000,
        seed: int | None = None,
        faults: Faults | None = None,
        record_messages: bool = True,
        credit_left: CreditLeftStyle = "documented",
    ) -> None:
        self.seed: int = seed if seed is not None else random.SystemRandom().randrange(2**32)
        self.faults: Faults = faults if faults is not None else Faults()
        self.credit_left: CreditLeftStyle = credit_left
        self._store = Store(seed=self.seed, record_messages=record_messages)
        self._engine = FaultEngine(self.seed)
        self.api_key: str = self._store.add_account(api_key, _decimal(balance))

    def __repr__(self) -> str:
        return f"<FakeVelstack api_key={self.api_key!r} seed={self.seed}>"

    @classmethod
    def demo(cls, **kwargs: Any) -> FakeVelstack:
        """A fake with `seed_demo` data in its default account."""
        fake = cls(**kwargs)
        fake.seed_demo()
        return fake

    def seed_demo(self, api_key: str | None = None) -> None:
        """Add the documentation's groups, contacts and a pending sender ID to an account."""
        bank = self.add_group("V BANK", api_key=api_key)
        self.add_group("My Group", api_key=api_key)
        for first, last, phone, email in (
            ("Sam", "Fort", "0205550368", "sam@velstack.com"),
            ("michael", "kyeremeh", "0248297302", "example@example.com"),
        ):
            self.add_contact(
                bank.id,
                phone,
                first_name=first,
                last_name=last,
                email_address=email,
                api_key=api_key,
            )
        self.register_sender_id("VELSTACK", "Software Business", api_key=api_key)

    # -- accounts ------------------------------------------------------------------------

    def add_account(self, api_key: str | None = None, balance: Decimal | int = 1000) -> str:
        """Create another account; returns its API key (generated when not given)."""
        return self._store.add_account(api_key, _decimal(balance))

    def balance(self, api_key: str | None = None) -> Decimal:
        return self._direct(self._store.balance, api_key)

    def set_balance(self, balance: Decimal | int | str, api_key: str | None = None) -> None:
        self._direct(self._store.set_balance, api_key, _decimal(balance))

    def _direct(self, method: Callable[..., _T], api_key: str | None, *args: Any) -> _T:
        """Call a store method for an account, turning API errors into `ValueError`."""
        try:
            return method(api_key or self.api_key, *args)
        except ApiError as error:
            raise ValueError(error.payload.get("message", error.payload)) from None

    # -- seeding and inspecting state without HTTP ---------------------------------------

    def add_group(self, name: str, *, api_key: str | None = None) -> Group:
        return self._direct(self._store.create_group, api_key, name)

    def add_contact(
        self,
        group_id: str,
        phone_number: str,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        email_address: str | None = None,
        api_key: str | None = None,
    ) -> Contact:
        e164 = normalise_phone(phone_number)
        if e164 is None:
            raise ValueError(f"not a valid Ghanaian phone number: {phone_number!r}")
        fields = {
            "group_id": group_id,
            "phone_number": phone_number,
            "e164": e164,
            "first_name": first_name,
            "last_name": last_name,
            "email_address": email_address,
        }
        return self._direct(self._store.create_contact, api_key, fields)

    def register_sender_id(
        self, sender_id: str, purpose: str = "Testing", *, api_key: str | None = None
    ) -> SenderId:
        return self._direct(self._store.register_sender_id, api_key, sender_id, purpose)

    def groups(self, api_key: str | None = None) -> list[Group]:
        return self._direct(self._store.groups, api_key)

    def contacts(self, group_id: str | None = None, *, api_key: str | None = None) -> list[Contact]:
        return self._direct(self._store.contacts, api_key, group_id)

    def sender_ids(self, api_key: str | None = None) -> list[SenderId]:
        return self._direct(self._store.sender_ids, api_key)

    # -- the message log -----------------------------------------------------------------

    @property
    def messages(self) -> list[SentMessage]:
        """Every accepted message, one per recipient, oldest first (a snapshot).

        Empty when the fake was made with ``record_messages=False``.
        """
        return self._store.messages()

    def messages_for(self, api_key: str) -> list[SentMessage]:
        return self._store.messages(api_key)

    @property
    def message_count(self) -> int:
        """How many (recipient, message) deliveries were accepted, in both recording modes."""
        return self._store.log.count

    def duplicates(self) -> list[Duplicate]:
        """Each (recipient, text) delivered more than once, with how many times."""
        return self._store.duplicates()

    def assert_no_duplicates(self) -> None:
        """Raise `AssertionError` naming (masked) recipients that got a message twice."""
        duplicates = self.duplicates()
        if duplicates:
            lines = [
                f"  {_mask(d.recipient)} received {d.text[:40]!r} {d.count} times"
                for d in duplicates[:20]
            ]
            more = len(duplicates) - len(lines)
            if more:
                lines.append(f"  ... and {more} more")
            raise AssertionError("duplicate deliveries:\n" + "\n".join(lines))

    def clear_messages(self) -> None:
        """Forget the message log and duplicate history (balances are kept)."""
        self._store.clear_log()

    # -- faults --------------------------------------------------------------------------

    @property
    def fault_counts(self) -> dict[FaultKind, int]:
        """How many faults of each kind were injected so far."""
        return self._engine.snapshot()

    @property
    def request_count(self) -> int:
        """How many requests reached `handle`."""
        return self._engine.requests

    # -- the core ------------------------------------------------------------------------

    def handle(
        self, method: str, path: str, headers: Mapping[str, str] | None = None, body: bytes = b""
    ) -> FakeResponse:
        """Process one HTTP request: faults, routing, auth, validation and state changes.

        Synchronous and thread-safe. ``path`` may carry a query string; header
        names may be in any case.
        """
        headers = headers if headers is not None else {}
        key = _bearer(_header(headers, "authorization"))
        decision = self._engine.decide(self.faults, key or "")
        if decision.kind == "reset":
            return FakeResponse(0, (), b"", 0.0, "reset")
        if decision.kind == "bad_gateway":
            return FakeResponse(502, _HTML_HEADERS, BAD_GATEWAY_HTML, decision.delay)
        method = method.upper()
        payload: Mapping[str, Any]
        try:
            if decision.kind == "throttle":
                raise ApiError(429, {"message": "Too Many Attempts."})
            if decision.kind == "unavailable":
                raise envelope_error(503, "Service unavailable")
            handler, ident = route(method, path)
            if key is None or not self._store.has_account(key):
                raise ApiError(401, {"message": "Unauthenticated."})
            data: Mapping[str, Any] = {}
            if method in _BODY_METHODS:
                data = parse_body(body, _header(headers, "content-type"))
            status, payload = 200, handler(Call(self._store, key, ident, data, self.credit_left))
        except ApiError as error:
            status, payload = error.status, error.payload
        action: Action = "respond"
        if decision.kind == "drop":
            action = "drop_timeout" if self.faults.drop_mode == "timeout" else "drop_disconnect"
        return FakeResponse(
            status, JSON_HEADERS + decision.headers, encode(payload), decision.delay, action
        )

    # -- adapters ------------------------------------------------------------------------

    def async_transport(self) -> AsyncFakeTransport:
        """An `httpx.AsyncBaseTransport` that calls this fake directly (no sockets)."""
        from ._transports import AsyncFakeTransport

        return AsyncFakeTransport(self)

    def transport(self) -> SyncFakeTransport:
        """An `httpx.BaseTransport` that calls this fake directly (no sockets)."""
        from ._transports import SyncFakeTransport

        return SyncFakeTransport(self)

    def async_http_client(self, **kwargs: Any) -> httpx.AsyncClient:
        """An `httpx.AsyncClient` wired to this fake; ``kwargs`` go to the client."""
        import httpx

        kwargs.setdefault("base_url", DEFAULT_BASE_URL)
        return httpx.AsyncClient(transport=self.async_transport(), **kwargs)

    def http_client(self, **kwargs: Any) -> httpx.Client:
        """An `httpx.Client` wired to this fake; ``kwargs`` go to the client."""
        import httpx

        kwargs.setdefault("base_url", DEFAULT_BASE_URL)
        return httpx.Client(transport=self.transport(), **kwargs)

    def asgi_app(self) -> FakeASGIApp:
        """An ASGI application serving this fake (for uvicorn or any ASGI server)."""
        from ._asgi import FakeASGIApp

        return FakeASGIApp(self)

    @contextlib.contextmanager
    def serve_in_thread(self, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
        """Serve over real HTTP on loopback (uvicorn, background thread); yields the base URL.

        ``port=0`` picks a free port. Needs the ``server`` extra (uvicorn).
        """
        from ._server import LoopbackServer

        with LoopbackServer(self, host=host, port=port) as server:
            yield server.base_url
