"""Pins the public names: a change here is a change to the SDK's contract."""

from __future__ import annotations

import velstack_async

EXPECTED = {
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncVelstack",
    "AuthenticationError",
    "BulkMessage",
    "BulkReport",
    "BulkResult",
    "BulkStatus",
    "CampaignOptions",
    "CampaignStop",
    "Contact",
    "Estimate",
    "FrequencyCap",
    "FrequencyCapError",
    "Group",
    "InsufficientBalanceError",
    "InvalidInputError",
    "JournalError",
    "NotFoundError",
    "OutsideSendWindowError",
    "PermissionDeniedError",
    "PolicyStoreError",
    "RateLimitError",
    "RecipientSuppressedError",
    "ResponseParseError",
    "SendUnknownError",
    "SendWindow",
    "SenderId",
    "SendingPolicy",
    "ServerError",
    "ServiceUnavailableError",
    "SmsSummary",
    "SpendCapError",
    "StaleConnectionError",
    "Suppression",
    "SyncClientInEventLoopWarning",
    "ValidationError",
    "Velstack",
    "VelstackError",
    "__version__",
    "set_testing",
}


def test_exported_names() -> None:
    assert set(velstack_async.__all__) == EXPECTED
    assert len(velstack_async.__all__) == len(EXPECTED)


def test_exported_names_exist_and_present_as_public() -> None:
    for name in velstack_async.__all__:
        obj = getattr(velstack_async, name)
        module = getattr(obj, "__module__", "velstack_async")
        assert not module.startswith("velstack_async._"), name


TESTING_EXPECTED = {
    "DEFAULT_BASE_URL",
    "FAULT_KINDS",
    "AsyncFakeTransport",
    "CreditLeftStyle",
    "DropMode",
    "Duplicate",
    "EchoFormat",
    "FakeASGIApp",
    "FakeContact",
    "FakeGroup",
    "FakeResponse",
    "FakeSenderId",
    "FakeService",
    "FakeVelstack",
    "FaultKind",
    "Faults",
    "LoopbackServer",
    "MessageType",
    "SentMessage",
    "ServerProcess",
    "SyncFakeTransport",
    "serve_in_subprocess",
}


def test_testing_exported_names() -> None:
    import velstack_async.testing as testing

    assert set(testing.__all__) == TESTING_EXPECTED
    assert len(testing.__all__) == len(TESTING_EXPECTED)
    # The fake's records never shadow the SDK's models (FakeContact, not Contact).
    assert TESTING_EXPECTED.isdisjoint(velstack_async.__all__)
