"""velstack-async: the async-first Python SDK for the Velstack SMS API."""

import logging as _logging
from typing import TYPE_CHECKING

from ._bulk import (
    BulkMessage,
    BulkReport,
    BulkResult,
    BulkStatus,
    CampaignOptions,
    CampaignStop,
    Estimate,
    JournalError,
)
from ._client import AsyncVelstack
from ._exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    FrequencyCapError,
    InsufficientBalanceError,
    InvalidInputError,
    NotFoundError,
    OutsideSendWindowError,
    PermissionDeniedError,
    PolicyStoreError,
    RateLimitError,
    RecipientSuppressedError,
    ResponseParseError,
    SendUnknownError,
    ServerError,
    ServiceUnavailableError,
    SpendCapError,
    StaleConnectionError,
    ValidationError,
    VelstackError,
)
from ._models import Contact, Group, SenderId, SmsSummary
from ._retry import set_testing
from ._version import __version__

# The sync client and its event loop thread (the portal) load at first use.
# So does the sending policy (a client without one never needs it).
if TYPE_CHECKING:
    from ._policy.limits import FrequencyCap
    from ._policy.policy import SendingPolicy
    from ._policy.records import Suppression
    from ._policy.window import SendWindow
    from ._portal import SyncClientInEventLoopWarning
    from ._sync_client import Velstack
else:
    from ._lazy import exports as _exports

    __getattr__, __dir__ = _exports(
        __name__,
        {
            "FrequencyCap": "._policy.limits",
            "SendWindow": "._policy.window",
            "SendingPolicy": "._policy.policy",
            "Suppression": "._policy.records",
            "SyncClientInEventLoopWarning": "._portal",
            "Velstack": "._sync_client",
        },
        public_module=__name__,
    )

__all__ = [
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
]

# A library never prints through Python's last-resort handler: the application decides.
_logging.getLogger("velstack_async").addHandler(_logging.NullHandler())

# Present public names as velstack_async.X, not velstack_async._module.X (the lazy ones
# when they load).
for _name in __all__:
    _obj = globals().get(_name)
    if getattr(_obj, "__module__", "").startswith("velstack_async._"):
        _obj.__module__ = "velstack_async"
del _name, _obj
