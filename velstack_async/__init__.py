"""velstack-async: the async-first Python SDK for the Velstack SMS API."""

from ._bulk import BulkMessage, BulkReport, BulkResult, BulkStatus, Estimate, JournalError
from ._client import AsyncVelstack
from ._exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    InsufficientBalanceError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseParseError,
    ServerError,
    ServiceUnavailableError,
    ValidationError,
    VelstackError,
)
from ._models import Contact, Group, SenderId, SmsSummary
from ._retry import set_testing
from ._sync_client import Velstack
from ._version import __version__

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
    "Contact",
    "Estimate",
    "Group",
    "InsufficientBalanceError",
    "InvalidInputError",
    "JournalError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ResponseParseError",
    "SenderId",
    "ServerError",
    "ServiceUnavailableError",
    "SmsSummary",
    "ValidationError",
    "Velstack",
    "VelstackError",
    "__version__",
    "set_testing",
]

# Present public names as velstack_async.X, not velstack_async._module.X.
for _name in __all__:
    _obj = globals()[_name]
    if getattr(_obj, "__module__", "").startswith("velstack_async._"):
        _obj.__module__ = "velstack_async"
del _name, _obj
