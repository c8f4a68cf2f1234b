"""A client following the feed while 8 writers commit sees every change once, in order.

Eight clients write the same field of the same records through a real `gather serve`
(several processes, separate database connections), single upserts and batches mixed,
while a ninth follows /api/changes with a small page size. Every write changes the field
(each writer's values are its own), so each acknowledged write has exactly one change;
per record, each change's "from" is the previous change's "to": the feed's order is the
order the writes committed in.
"""

import random
import threading

import httpx
import pytest

from gather.records.models import Record
from tests.e2e.conftest import start_server, stop_server
from tests.factories import make_key, make_model, make_team

WRITERS = 8
RECORDS = 20
ROUNDS = 3


@pytest.fixture
def live(transactional_db, tmp_path):
    team = make_team("Feed")
    model = make_model(team, "Orders", "id")
    key = make_key(team)
    server = start_server(tmp_path)
    yield server, model, key
    stop_server(server)


def writer(base, key, model_id, n, barrier, acknowledged, failures):
    headers = {"Authorization": f"Token {key}"}
    url = f"/api/models/{model_id}/records"
    rng = random.Random(n)
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        barrier.wait()
        for r in range(ROUNDS):
            keys = list(range(RECORDS))
            rng.shuffle(keys)
            if n % 2 == 0:
                for k in keys:
                    resp = client.post(url, json={"id": str(k), "v": f"{n}-{r}"})
                    if resp.status_code not in (200, 201):
                        failures.append((n, k, resp.status_code, resp.text))
                    acknowledged.append(1)
            else:
                for start in range(0, RECORDS, 10):
                    items = [{"id": str(k), "v": f"{n}-{r}"} for k in keys[start : start + 10]]
                    resp = client.post(url + "/batch", json=items)
                    if resp.status_code != 200 or resp.json()["failed"]:
                        failures.append((n, start, resp.status_code, resp.text))
                    acknowledged.append(len(items))


def follow(base, key, stop, seen, failures):
    after = None
    with httpx.Client(base_url=base, headers={"Authorization": f"Token {key}"}) as client:
        for _ in range(100_000):  # bounded
            params = {"limit": "7", **({"after": after} if after else {})}
            writers_done = stop.is_set()  # before asking: the answer covers every write
            resp = client.get("/api/changes", params=params)
            if resp.status_code != 200:
                failures.append(resp.text)
                return
            page = resp.json()
            seen.extend(page["data"])
            after = page["next_after"]
            if not page["data"] and writers_done:
                return  # the writers were done before this empty page was asked for


def test_feed_follower_sees_every_change_once_in_commit_order(live):
    server, model, key = live
    barrier = threading.Barrier(WRITERS)
    stop = threading.Event()
    failures: list = []
    acknowledged: list = []
    seen: list = []
    follower = threading.Thread(target=follow, args=(server.base, key, stop, seen, failures))
    follower.start()
    threads = [
        threading.Thread(
            target=writer,
            args=(server.base, key, model.public_id, n, barrier, acknowledged, failures),
        )
        for n in range(WRITERS)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    stop.set()
    follower.join(timeout=300)
    assert not failures, failures[:5]

    ids = [c["id"] for c in seen]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)  # once each, in order
    assert len(seen) == sum(acknowledged)  # one change per acknowledged write
    last: dict[str, object] = {}
    for change in seen:
        record = change["record"]
        assert change["changed"]["v"]["from"] == last.get(record), change
        assert change["type"] == ("record.created" if record not in last else "record.updated")
        last[record] = change["changed"]["v"]["to"]
    stored = {r.key: r.data["v"] for r in Record.objects.filter(model=model)}
    assert stored == last
