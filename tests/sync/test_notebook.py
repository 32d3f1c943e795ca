"""`Velstack` in Jupyter: a real ipykernel, driven by nbclient, against the fake over loopback.

An ipykernel cell always runs inside an asyncio event loop; the sync client
must work there, without a warning (issue 13).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from velstack_async.testing import FakeVelstack

SETUP = """\
import asyncio, warnings
warnings.simplefilter("error")  # any warning fails the cell
asyncio.get_running_loop()  # a kernel cell runs in an event loop (raises otherwise)
from velstack_async import BulkStatus, Velstack
client = Velstack(api_key={api_key!r}, base_url={base_url!r})
print("ready", client.closed)
"""
SEND = """\
summary = client.sms.send(
    recipient="0205550368", message="hello from a notebook", sender="VELSTACK"
)
print("sent to", summary.total_contacts)
"""
STREAM = """\
numbers = [f"02055503{i:02d}" for i in range(10)]
results = list(client.sms.stream_bulk(numbers, message="hi", sender="VELSTACK"))
print(len(results), sorted({r.status.value for r in results}))
"""
BREAK = """\
taken = []
numbers = [f"0248{i:06d}" for i in range(500)]
stream = client.sms.stream_bulk(
    numbers, message="x", sender="VELSTACK", concurrency=2, batch_size=1
)
for result in stream:
    taken.append(result)
    if len(taken) == 2:
        break
print("took", len(taken), "groups", len(client.groups.list()))
"""
CLOSE = """\
client.close()
print("closed", client.closed)
"""


@pytest.fixture
def served() -> Iterator[tuple[FakeVelstack, str]]:
    fake = FakeVelstack.demo()
    with fake.serve_in_thread() as base_url:
        yield fake, base_url


def test_the_sync_client_in_a_jupyter_kernel(
    served: tuple[FakeVelstack, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, base_url = served
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")  # no migration warning from jupyter_core
    monkeypatch.delenv("VELSTACK_API_KEY", raising=False)
    cells = [
        SETUP.format(api_key=fake.api_key, base_url=base_url),
        SEND,
        STREAM,
        BREAK,
        CLOSE,
    ]
    new_cell = nbformat.v4.new_code_cell
    notebook = nbformat.v4.new_notebook(cells=[new_cell(c) for c in cells])  # type: ignore[no-untyped-call]
    NotebookClient(
        notebook,
        kernel_name="python3",  # ipykernel's own spec: this interpreter
        timeout=60,
        startup_timeout=60,
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()

    outputs = []
    for cell in notebook.cells:
        assert all(o["output_type"] == "stream" and o["name"] == "stdout" for o in cell.outputs)
        outputs.append("".join(o["text"] for o in cell.outputs))
    assert outputs == [
        "ready False\n",
        "sent to 1\n",
        "10 ['sent']\n",
        "took 2 groups 2\n",
        "closed True\n",
    ]
    texts = [m.text for m in fake.messages]
    assert texts[0] == "hello from a notebook"
    assert texts[1:11] == ["hi"] * 10
    assert 2 <= len(texts) - 11 < 500  # the break stopped the campaign
    fake.assert_no_duplicates()
