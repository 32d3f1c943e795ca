"""A fake Velstack server process that logs every accepted recipient to a file.

    python fake_child.py PORT API_KEY LOG_PATH [FAULTS_JSON]

Serves on 127.0.0.1:PORT (0 picks one), prints ``VELSTACK_BASE_URL=...`` once
it listens, then serves until killed. Each recipient of each accepted quick
SMS is appended to LOG_PATH (one per line, written with ``os.write`` so that
a SIGKILL loses nothing already logged): the log outlives the process, so a
test can kill this server mid-campaign, start another on the same port, and
still see every message either life delivered. ``FAULTS_JSON`` sets `Faults`
fields; ``GET /_fake/stats`` and ``PUT /_fake/faults`` work as usual.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Mapping

from velstack_async.testing import FakeResponse, FakeVelstack, LoopbackServer


def main(port: int, api_key: str, log_path: str, faults: Mapping[str, object]) -> None:
    fake = FakeVelstack(api_key=api_key, balance=10**9, seed=port, record_messages=False)
    for name, value in faults.items():
        setattr(fake.faults, name, value)
    fd = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    handle = fake.handle

    def logged(
        method: str, path: str, headers: Mapping[str, str] | None = None, body: bytes = b""
    ) -> FakeResponse:
        response = handle(method, path, headers, body)
        if path.startswith("/api/quick/sms") and response.status == 200:  # accepted (maybe dropped)
            recipients = json.loads(response.body)["data"]["summary"]["recipients"]
            os.write(fd, "".join(f"{r}\n" for r in recipients).encode())
        return response

    fake.handle = logged  # type: ignore[method-assign]
    with LoopbackServer(fake, port=port) as server:
        print(f"VELSTACK_BASE_URL={server.base_url}", flush=True)
        threading.Event().wait()  # until killed


if __name__ == "__main__":
    faults = json.loads(sys.argv[4]) if len(sys.argv) > 4 else {}
    main(int(sys.argv[1]), sys.argv[2], sys.argv[3], faults)
