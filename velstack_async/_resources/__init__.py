"""Resource services: each method describes one request and the model it returns."""

from .contacts import AsyncContacts
from .groups import AsyncGroups
from .sender_ids import AsyncSenderIds
from .sms import AsyncSms
from .suppressions import AsyncSuppressions

__all__ = ["AsyncContacts", "AsyncGroups", "AsyncSenderIds", "AsyncSms", "AsyncSuppressions"]
