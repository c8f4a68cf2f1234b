"""What a process derives from a model (its joins, its catalogue) follows the model's
revision, which every records request reads with the model row: a change made by another
process shows up at that process's next request, with no extra query per request."""

import pytest
from django.db import connection

from gather.query.engine import record_query
from gather.query.joins import JOIN_PROVIDERS, JoinSpec, joins_for_model
from gather.query.spec import Condition, Group, QuerySpec, SortKey
from gather.records import catalogue
from gather.records.models import Field
from gather.records.selectors import model_get
from gather.records.services import field_set_type, model_touch, record_upsert

SWITCH = "revision_test_join_switch"


@pytest.fixture
def switchable_join(orders):
    """A join provider whose answer lives in a table (as the Stripe task's does)."""
    with connection.cursor() as cur:
        cur.execute(f"CREATE TABLE {SWITCH} (model_id integer)")

    def provider(model):
        with connection.cursor() as cur:
            cur.execute(f"SELECT 1 FROM {SWITCH} WHERE model_id = %s", [model.pk])
            if cur.fetchone() is None:
                return None
        return JoinSpec(
            name="extra",
            table=SWITCH,
            scope_column="model_id",
            scope_value=model.pk,
            key_column="model_id",
            data_column="model_id",
            record_field="extra_id",
        )

    JOIN_PROVIDERS.append(provider)
    yield
    JOIN_PROVIDERS.remove(provider)


def bump_elsewhere(model):
    """What model_touch does in another process: the row changes, this process's
    caches are not told."""
    with connection.cursor() as cur:
        cur.execute("UPDATE gather_model SET revision = revision + 1 WHERE id = %s", [model.pk])


def test_joins_follow_the_revision_another_process_bumps(team, orders, switchable_join):
    assert joins_for_model(model_get(team=team, ref=orders.public_id)) == []
    with connection.cursor() as cur:
        cur.execute(f"INSERT INTO {SWITCH} (model_id) VALUES (%s)", [orders.pk])
    # Cached for the revision this process saw...
    assert joins_for_model(model_get(team=team, ref=orders.public_id)) == []
    bump_elsewhere(orders)
    # ...and recomputed as soon as the model row carries a new one.
    specs = joins_for_model(model_get(team=team, ref=orders.public_id))
    assert [s.name for s in specs] == ["extra"]


def test_model_touch_bumps_the_row_and_this_process_forgets(team, orders, switchable_join):
    before = model_get(team=team, ref=orders.public_id).revision
    assert joins_for_model(orders) == []
    with connection.cursor() as cur:
        cur.execute(f"INSERT INTO {SWITCH} (model_id) VALUES (%s)", [orders.pk])
    model_touch(orders)
    assert orders.revision == before + 1
    assert model_get(team=team, ref=orders.public_id).revision == before + 1
    assert [s.name for s in joins_for_model(orders)] == ["extra"]


def test_hand_set_type_bumps_revision_and_other_processes_reload_types(team, orders):
    record_upsert(team=team, model=orders, payload={"id": "1", "code": 7})
    assert Field.objects.get(model=orders, name="code").type == "number"
    before = model_get(team=team, ref=orders.public_id).revision
    field_set_type(team=team, model=orders, name="code", type="string")
    assert model_get(team=team, ref=orders.public_id).revision == before + 1

    # Another process sets the type by hand; this process still has the old catalogue.
    record_upsert(team=team, model=orders, payload={"id": "2", "flag": 1})
    Field.objects.filter(model=orders, name="flag").update(type="string", type_locked=True)
    bump_elsewhere(orders)
    fresh = model_get(team=team, ref=orders.public_id)
    catalogue.observe(fresh, [{"id": "3", "flag": True}])
    # The reloaded catalogue knows the type is hand-set: the value does not change it.
    assert Field.objects.get(model=orders, name="flag").type == "string"
    assert catalogue._known[(fresh.pk, fresh.public_id)].revision == fresh.revision


def test_catalogue_changes_bump_the_revision_only_when_something_changes(team, orders):
    before = model_get(team=team, ref=orders.public_id).revision
    record_upsert(team=team, model=orders, payload={"id": "1", "amount": 5})  # new field
    after_new = model_get(team=team, ref=orders.public_id).revision
    assert after_new == before + 1
    record_upsert(team=team, model=orders, payload={"id": "2", "amount": 7})  # nothing new
    assert model_get(team=team, ref=orders.public_id).revision == after_new
    record_upsert(team=team, model=orders, payload={"id": "3", "amount": "n/a"})  # widens
    assert model_get(team=team, ref=orders.public_id).revision == after_new + 1
    assert Field.objects.get(model=orders, name="amount").type == "string"


def test_queries_see_fields_and_types_another_process_wrote(team, orders):
    record_upsert(team=team, model=orders, payload={"id": "1", "amount": 9})
    seen = model_get(team=team, ref=orders.public_id)
    stale = catalogue.current(seen)  # what this process holds for that revision
    assert stale.types == {"id": "string", "amount": "number"}

    # Another process: a record brings a new field and widens "amount" to text.
    record_upsert(team=team, model=orders, payload={"id": "2", "amount": "75", "tier": "a"})
    record_upsert(team=team, model=orders, payload={"id": "3", "amount": "1x"})
    catalogue._known[(seen.pk, seen.public_id)] = stale  # this process was not told

    fresh = model_get(team=team, ref=orders.public_id)
    spec = QuerySpec(sort=(SortKey("amount"),))
    # Sorted as text now ("1x" < "75" < "9"), and the new field is known to the compiler.
    page = record_query(team=team, model=fresh, spec=spec)
    assert [r["id"] for r in page["data"]] == ["3", "2", "1"]
    tiers = QuerySpec(where=Group("and", (Condition("tier", "eq", "a"),)))
    assert [r["id"] for r in record_query(team=team, model=fresh, spec=tiers)["data"]] == ["2"]
