"""Generated ids: distinct objects never share one in a process; a seed replays them."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

from velstack_async.testing import FakeVelstack

REPO = Path(__file__).resolve().parents[2]


def _every_id(fake: FakeVelstack, api_key: str) -> list[str]:
    """Make groups, contacts and sends in ``api_key``'s account over HTTP; return their ids."""
    headers = {"Authorization": f"Bearer {api_key}"}
    ids: list[str] = []
    with fake.http_client(headers=headers) as api:
        for name in ("A", "B"):
            group = api.post("/api/group", json={"group_name": name}).json()["data"]
            ids.append(group["id"])
            for phone in ("0205550368", "0245550368"):
                body = {"group_id": group["id"], "phone_number": phone}
                ids.append(api.post("/api/contact", json=body).json()["data"]["id"])
        for _ in range(3):
            body = {"sender": "V", "recipient": "0205550368", "message": "hi"}
            summary = api.post("/api/quick/sms", json=body).json()["data"]["summary"]
            ids.append(summary["message_id"])
        body = {"sender": "V", "group_id": ids[0], "message": "hi"}
        ids.append(api.post("/api/group/sms", json=body).json()["data"]["summary"]["message_id"])
    return ids


def test_distinct_objects_never_share_an_id_across_keys_and_fakes() -> None:
    # The CLI sandbox makes FakeVelstack.demo(seed=2023) for every command it runs in a
    # process; fakes made with one seed, with no seed, and several accounts each.
    fakes = [FakeVelstack.demo(seed=2023) for _ in range(3)]
    fakes += [FakeVelstack(seed=1), FakeVelstack(seed=1), FakeVelstack()]
    # Same demo data, same names: but each fake's groups are its own objects.
    assert len({g.id for f in fakes[:3] for g in f.groups()}) == 6
    ids: list[str] = []
    keys: list[str] = []
    for fake in fakes:
        ids += [g.id for g in fake.groups()] + [c.id for c in fake.contacts()]  # demo data
        accounts = [fake.api_key, fake.add_account(), fake.add_account()]
        keys += accounts
        for key in accounts:
            ids += _every_id(fake, key)
    assert len(ids) == len(set(ids))
    assert all(uuid.UUID(i).version == 4 for i in ids)
    assert len(keys) == len(set(keys))


CHILD = """
import json, sys
from velstack_async.testing import FakeVelstack
fake = FakeVelstack.demo(seed=7)
print(json.dumps([fake.api_key, *[g.id for g in fake.groups()], *[c.id for c in fake.contacts()]]))
"""


def _ids_in_a_new_process() -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD], cwd=REPO, capture_output=True, text=True, check=True
    )
    ids: list[str] = json.loads(done.stdout)
    return ids


def test_a_seed_replays_ids_in_a_new_process() -> None:
    first = _ids_in_a_new_process()
    assert len(first) == 5  # the key, 2 groups, 2 contacts
    assert _ids_in_a_new_process() == first
    assert FakeVelstack(seed=8).api_key not in first
