"""A bulk send's request body is built from reused parts: it must be the JSON of its fields."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from velstack_async._requester import _encode_json
from velstack_async._resources.sms import _QuickSms


class Recorder:
    """Stands in for the `Requester`: keeps what `_QuickSms` asks it to send."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def request(self, method: str, path: str, **options: Any) -> None:
        self.calls.append({"method": method, "path": path, **options})


texts = st.text(max_size=40)


@given(
    sends=st.lists(
        st.tuples(
            st.text(alphabet="0123456789,+", max_size=30),
            st.sampled_from(["Hello", 'Héllo "you" \\ \n😀', "{x}"]) | texts,
            st.sampled_from(["SHOP", "VELSTACK"]) | texts,
            st.none() | texts,
        ),
        min_size=1,
        max_size=6,
    )
)
def test_the_encoded_body_is_the_json_of_the_body(
    sends: list[tuple[str, str, str, str | None]],
) -> None:
    recorder = Recorder()
    send = _QuickSms(recorder)  # type: ignore[arg-type]
    for recipient, message, sender, title in sends:
        send(recipient, message, sender, title)
    for call, (recipient, message, sender, title) in zip(recorder.calls, sends, strict=True):
        body = call["body"]
        expected = {"sender": sender, "recipient": recipient, "message": message}
        if title is not None:
            expected["title"] = title
        assert body == expected
        assert call["encoded"] == _encode_json(body).encode()
        assert json.loads(call["encoded"]) == expected
        assert (call["method"], call["path"], call["once"]) == ("POST", "/api/quick/sms", True)


def test_a_body_with_other_values_takes_the_general_encoder() -> None:
    body = {"a": 1, "b": [True, None], "c": "é"}
    assert _encode_json(body) == json.dumps(body, separators=(",", ":"))
    assert _encode_json({"t": 'x"\n'}) == json.dumps({"t": 'x"\n'}, separators=(",", ":"))
