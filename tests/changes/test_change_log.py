"""Every write path appends exactly its change, in the write's transaction."""

import pytest
from django.db import transaction
from django.test import Client

from gather.accounts.models import ApiKey
from gather.changes.models import Change
from gather.changes.source import acting_as
from gather.records import services
from gather.records.models import Record
from tests.factories import make_model, make_user


def changes(team):
    return list(Change.objects.filter(team=team).order_by("seq"))


def url(model):
    return f"/api/models/{model.public_id}/records"


def prefix(team):
    return ApiKey.objects.get(team=team).prefix


def test_create_update_and_noop_upserts(api, team, orders):
    assert api.post(url(orders), json={"id": "1", "status": "trial", "n": 1}).status_code == 201
    (created,) = changes(team)
    assert created.type == "record.created" and created.key == "1"
    assert created.changed == {
        "id": {"from": None, "to": "1"},
        "status": {"from": None, "to": "trial"},
        "n": {"from": None, "to": 1},
    }
    assert (created.source_kind, created.source_id) == ("api_key", prefix(team))

    first = api.get(f"{url(orders)}/1").json()
    # the same values again (1.0 is not 1, so "n" is sent as stored): nothing happens
    assert api.post(url(orders), json={"id": "1", "status": "trial"}).status_code == 200
    assert len(changes(team)) == 1
    assert api.get(f"{url(orders)}/1").json()["updated_at"] == first["updated_at"]

    # a merge lists only the top-level fields whose value changed
    api.post(url(orders), json={"id": "1", "status": "paid", "n": 1, "new": {"a": [1]}})
    updated = changes(team)[-1]
    assert updated.type == "record.updated"
    assert updated.changed == {
        "status": {"from": "trial", "to": "paid"},
        "new": {"from": None, "to": {"a": [1]}},
    }
    # JSON types count: 1 -> 1.0 and 1 -> true are changes, equal objects are not
    api.post(url(orders), json={"id": "1", "n": True, "new": {"a": [1]}})
    assert changes(team)[-1].changed == {"n": {"from": 1, "to": True}}
    assert [c.seq for c in changes(team)] == [1, 2, 3]


def test_delete_appends_the_last_values(api, team, orders):
    api.post(url(orders), json={"id": "a/b", "amount": 5})
    assert api.delete(f"{url(orders)}/a%2Fb").status_code == 204
    deleted = changes(team)[-1]
    assert deleted.type == "record.deleted" and deleted.key == "a/b"
    assert deleted.changed == {"id": {"from": "a/b", "to": None}, "amount": {"from": 5, "to": None}}
    # deleting a record that is not there appends nothing
    assert api.delete(f"{url(orders)}/a%2Fb").status_code == 404
    assert len(changes(team)) == 2


def test_batch_appends_one_change_per_record_written(api, team, orders):
    api.post(url(orders), json={"id": "keep", "v": 1})
    api.post(url(orders), json={"id": "up", "v": 1})
    body = [
        {"id": "new", "v": 1},
        {"id": "keep", "v": 1},  # no-op
        {"id": "up", "v": 2},
        {"v": 3},  # invalid: no ID
        {"id": "new", "w": 2},  # merged with the first item: one change for "new"
    ]
    resp = api.post(f"{url(orders)}/batch", json=body)
    assert resp.status_code == 200, resp.content
    batch = changes(team)[2:]
    assert [(c.type, c.key) for c in batch] == [
        ("record.created", "new"),
        ("record.updated", "up"),
    ]
    assert batch[0].changed == {
        "id": {"from": None, "to": "new"},
        "v": {"from": None, "to": 1},
        "w": {"from": None, "to": 2},
    }
    assert batch[1].changed == {"v": {"from": 1, "to": 2}}
    assert [c.seq for c in changes(team)] == [1, 2, 3, 4]
    keep = Record.objects.get(model=orders, key="keep")
    assert keep.updated_at == keep.created_at  # the no-op item left it alone


def test_model_delete_appends_one_model_deleted_change(team, orders):
    services.record_upsert(team=team, model=orders, payload={"id": "1"})
    services.record_upsert(team=team, model=orders, payload={"id": "2"})
    ref = orders.public_id
    services.model_delete(team=team, model=orders)
    last = changes(team)[-1]
    assert (last.type, last.model_ref, last.key, last.changed) == ("model.deleted", ref, "", {})
    assert (last.source_kind, last.source_id) == ("system", "system")
    assert len(changes(team)) == 3


def test_ui_model_delete_names_the_signed_in_user(team, orders):
    client = Client()
    client.force_login(make_user(team, email="lead@example.com"))
    resp = client.post(f"/settings/team/models/{orders.public_id}/delete", {"confirm": "Orders"})
    assert resp.status_code == 302
    last = changes(team)[-1]
    assert last.type == "model.deleted"
    assert (last.source_kind, last.source_id) == ("user", "lead@example.com")


def test_integration_source_names_the_task(team, orders):
    with acting_as("integration", "task 7"):
        services.record_upsert(team=team, model=orders, payload={"id": "1"})
    assert (changes(team)[-1].source_kind, changes(team)[-1].source_id) == (
        "integration",
        "task 7",
    )


@pytest.mark.parametrize("path", ["single", "batch", "delete"])
def test_a_rolled_back_write_appends_nothing(team, orders, path):
    services.record_upsert(team=team, model=orders, payload={"id": "1", "v": 1})
    before = changes(team)
    with pytest.raises(RuntimeError), transaction.atomic():
        if path == "single":
            services.record_upsert(team=team, model=orders, payload={"id": "1", "v": 2})
        elif path == "batch":
            services.record_upsert_batch(
                team=team, model=orders, items=[{"id": "1", "v": 3}, {"id": "2"}]
            )
        else:
            services.record_delete(team=team, model=orders, key="1")
        assert len(changes(team)) == len(before) + (2 if path == "batch" else 1)
        raise RuntimeError("the caller's transaction fails after the write")
    assert changes(team) == before
    assert Record.objects.get(model=orders, key="1").data == {"id": "1", "v": 1}
    # the counter rolled back too: the next change takes the next number
    services.record_upsert(team=team, model=orders, payload={"id": "1", "v": 9})
    assert [c.seq for c in changes(team)] == [1, 2]


def test_rollup_source_writes_append_changes_too(api, team, orders):
    account = make_model(team, "Shops", "id")
    api.patch(f"/api/models/{orders.public_id}", json={"links": {"shop": account.public_id}})
    api.post(url(orders), json={"id": "1", "shop": "s1", "amount": 5})
    api.post(url(orders), json={"id": "1", "shop": "s1", "amount": 5})
    api.post(f"{url(orders)}/batch", json=[{"id": "1", "amount": 6}])
    assert [(c.type, c.changed.keys()) for c in changes(team)] == [
        ("record.created", {"id", "shop", "amount"}),
        ("record.updated", {"amount"}),
    ]
