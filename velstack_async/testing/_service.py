"""`FakeService`: the fake's state and its one request-handling core, `FakeService.handle`.

The bottom of the testing package: it imports no adapter. The transports, the
ASGI app and the loopback server take a `FakeService`; `FakeVelstack` (in
``_fake``) is a `FakeService` with methods that build those adapters.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any, TypeVar

import attrs

from ._faults import FaultEngine, FaultKind, Faults
from ._handlers import CREDIT_LEFT_STYLES, Call, CreditLeftStyle, SendRules, route
from ._numbers import ECHO_FORMATS, EchoFormat, ghana_e164
from ._records import Duplicate, FakeContact, FakeGroup, FakeSenderId, SentMessage
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
from ._validation import parse_body

__all__ = ["FakeService"]

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_HTML_HEADERS = (("content-type", "text/html; charset=utf-8"),)
_T = TypeVar("_T")
_S = TypeVar("_S", bound="FakeService")


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


class FakeService:
    """An in-memory Velstack service: accounts, credits, groups, contacts, faults.

    Every request goes through `handle` (thread-safe). ``seed`` fixes fault
    injection and generated ids so a run replays (``fake.seed`` tells the one
    picked when not given); ids replay for the first fake made with a seed in
    a process, and every later one draws its own, so no two objects in one
    process share an id. ``record_messages=False`` keeps only counts and
    duplicate detection instead of every `SentMessage`, for very long runs.

    Send behaviour (attributes, changeable at any time): ``credit_left`` (how the
    balance is written), ``max_recipients`` (most numbers one quick SMS may
    name), ``echo_recipients`` (how accepted numbers are written back) and
    ``drop_from_answer`` (numbers the service skips silently).
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
        max_recipients: int = 1000,
        echo_recipients: EchoFormat = "as_sent",
    ) -> None:
        self.seed: int = seed if seed is not None else random.SystemRandom().randrange(2**32)
        self.faults: Faults = faults if faults is not None else Faults()
        self._rules = SendRules()
        self.credit_left = credit_left
        self.max_recipients = max_recipients
        self.echo_recipients = echo_recipients
        self._store = Store(seed=self.seed, record_messages=record_messages)
        self._engine = FaultEngine(self.seed)
        self.api_key: str = self._store.add_account(api_key, _decimal(balance))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} api_key={self.api_key!r} seed={self.seed}>"

    @classmethod
    def demo(cls: type[_S], **kwargs: Any) -> _S:
        """A fake with `seed_demo` data in its default account."""
        fake = cls(**kwargs)
        fake.seed_demo()
        return fake

    # -- send behaviour ------------------------------------------------------------------

    @property
    def credit_left(self) -> CreditLeftStyle:
        """How ``credit_left`` is written: "documented", "string" or "number"."""
        return self._rules.credit_left

    @credit_left.setter
    def credit_left(self, style: CreditLeftStyle) -> None:
        if style not in CREDIT_LEFT_STYLES:
            raise ValueError(f"credit_left must be one of {CREDIT_LEFT_STYLES}, got {style!r}")
        self._rules = attrs.evolve(self._rules, credit_left=style)

    @property
    def max_recipients(self) -> int:
        """Most recipients one quick SMS may name; more is refused whole with a 422."""
        return self._rules.max_recipients

    @max_recipients.setter
    def max_recipients(self, limit: int) -> None:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"max_recipients must be an integer of at least 1, got {limit!r}")
        self._rules = attrs.evolve(self._rules, max_recipients=limit)

    @property
    def echo_recipients(self) -> EchoFormat:
        """How a send's ``recipients`` writes the numbers: "as_sent" (as documented),
        "national" (``0205550368``), "international" (``233205550368``) or "e164"."""
        return self._rules.echo_recipients

    @echo_recipients.setter
    def echo_recipients(self, style: EchoFormat) -> None:
        if style not in ECHO_FORMATS:
            raise ValueError(f"echo_recipients must be one of {ECHO_FORMATS}, got {style!r}")
        self._rules = attrs.evolve(self._rules, echo_recipients=style)

    @property
    def drop_from_answer(self) -> frozenset[str]:
        """Numbers (any format; kept in E.164) that sends skip silently, for tests.

        A send naming one still succeeds for the others; the skipped number is
        not charged, not logged, and missing from ``recipients`` and
        ``total_contacts``, the way a service that did not accept it would answer.
        """
        return self._rules.drop_from_answer

    @drop_from_answer.setter
    def drop_from_answer(self, numbers: Iterable[str]) -> None:
        if isinstance(numbers, str):
            raise TypeError("drop_from_answer takes a collection of numbers, not one string")
        normalised = set()
        for number in numbers:
            e164 = ghana_e164(number.strip())
            if e164 is None:
                raise ValueError(f"not a valid Ghanaian phone number: {number!r}")
            normalised.add(e164)
        self._rules = attrs.evolve(self._rules, drop_from_answer=frozenset(normalised))

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

    def add_group(self, name: str, *, api_key: str | None = None) -> FakeGroup:
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
    ) -> FakeContact:
        e164 = ghana_e164(phone_number.strip())
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
    ) -> FakeSenderId:
        return self._direct(self._store.register_sender_id, api_key, sender_id, purpose)

    def groups(self, api_key: str | None = None) -> list[FakeGroup]:
        return self._direct(self._store.groups, api_key)

    def contacts(
        self, group_id: str | None = None, *, api_key: str | None = None
    ) -> list[FakeContact]:
        return self._direct(self._store.contacts, api_key, group_id)

    def sender_ids(self, api_key: str | None = None) -> list[FakeSenderId]:
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
            status, payload = 200, handler(Call(self._store, key, ident, data, self._rules))
        except ApiError as error:
            status, payload = error.status, error.payload
        action: Action = "respond"
        if decision.kind == "drop":
            action = "drop_timeout" if self.faults.drop_mode == "timeout" else "drop_disconnect"
        return FakeResponse(
            status, JSON_HEADERS + decision.headers, encode(payload), decision.delay, action
        )
