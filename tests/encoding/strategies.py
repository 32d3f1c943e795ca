"""Hypothesis strategies for message texts: GSM-7, look-alikes and characters with no GSM-7 form."""

from __future__ import annotations

from hypothesis import strategies as st

from velstack_async._encoding import REPLACEMENTS
from velstack_async._segments import GSM7_BASIC, GSM7_EXTENSION

GSM7_CHARS = sorted(GSM7_BASIC | GSM7_EXTENSION)
LOOKALIKES = sorted(REPLACEMENTS)
#: No GSM-7 form: emoji, Cyrillic, Chinese, accented letters GSM lacks, a combining accent.
FOREIGN = ["🙂", "👋", "\U0001f3fe", "ж", "Я", "中", "á", "ç", "ő", "\u0301", "\U0001f1ec"]

gsm7_text = st.text(alphabet=GSM7_CHARS, min_size=1, max_size=400)
convertible_text = st.text(alphabet=GSM7_CHARS + LOOKALIKES, min_size=1, max_size=400)
any_text = st.text(
    alphabet=st.sampled_from(GSM7_CHARS) | st.sampled_from(LOOKALIKES) | st.sampled_from(FOREIGN),
    min_size=1,
    max_size=400,
)
