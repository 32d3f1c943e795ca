"""The sending policy: send-once keys, suppressions, send windows, spend and frequency caps.

`SendingPolicy` holds the settings and a store (`sqlite_store`, `redis_store`);
`sending.send_sms` applies it to a single send; `SuppressionList` edits the opt-outs.
"""

from .limits import CATEGORIES, Category, FrequencyCap
from .opening import open_store
from .policy import SendingPolicy
from .records import Suppression
from .sending import send_sms
from .store import PolicyStore, private_directory
from .suppressions import SuppressionList
from .window import SendWindow

__all__ = [
    "CATEGORIES",
    "Category",
    "FrequencyCap",
    "PolicyStore",
    "SendWindow",
    "SendingPolicy",
    "Suppression",
    "SuppressionList",
    "open_store",
    "private_directory",
    "send_sms",
]
