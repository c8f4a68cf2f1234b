"""History retention: team setting (Settings page, CLI) and the bounded periodic sweep."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from gather.changes import services
from gather.changes.models import Change
from gather.changes.selectors import retention_days
from gather.changes.tasks import changes_retention
from gather.records import services as records
from tests.factories import make_model, make_team, make_user
from tests.test_cli import gather


def age(team, days):
    Change.objects.filter(team=team).update(at=timezone.now() - timedelta(days=days))


def test_default_is_90_days_and_the_sweep_deletes_only_older_changes(team, orders, monkeypatch):
    monkeypatch.setattr(services, "PIECE", 3)  # several pieces
    for n in range(7):
        records.record_upsert(team=team, model=orders, payload={"id": str(n)})
    age(team, 91)
    records.record_upsert(team=team, model=orders, payload={"id": "fresh"})
    assert retention_days(team=team) == 90
    assert services.retention_sweep() == 7
    assert list(Change.objects.filter(team=team).values_list("key", flat=True)) == ["fresh"]


def test_a_run_is_bounded_and_the_next_goes_on(team, orders, monkeypatch):
    monkeypatch.setattr(services, "PIECE", 2)
    monkeypatch.setattr(services, "PIECES_PER_RUN", 2)
    records.record_upsert_batch(team=team, model=orders, items=[{"id": str(n)} for n in range(7)])
    age(team, 100)
    assert services.retention_sweep() == 4
    assert services.retention_sweep() == 3
    assert services.retention_sweep() == 0


def test_zero_keeps_forever_and_other_teams_keep_theirs(team, orders):
    other = make_team("Other")
    other_model = make_model(other, "Orders", "id")
    records.record_upsert(team=team, model=orders, payload={"id": "1"})
    records.record_upsert(team=other, model=other_model, payload={"id": "1"})
    age(team, 1000)
    age(other, 10)
    services.retention_set(team=team, days=0)
    services.retention_set(team=other, days=30)
    changes_retention.call_local()  # the periodic job itself
    assert Change.objects.filter(team=team).count() == 1
    assert Change.objects.filter(team=other).count() == 1
    services.retention_set(team=other, days=5)
    changes_retention.call_local()
    assert Change.objects.filter(team=other).count() == 0


@pytest.mark.parametrize("bad", [-1, 36_501, "x", 1.5, True])
def test_retention_refuses_bad_values(team, bad):
    with pytest.raises(Exception) as exc:
        services.retention_set(team=team, days=bad)
    assert exc.value.field == "retention_days"


def test_settings_page_sets_retention(team):
    client = Client()
    client.force_login(make_user(team))
    page = client.get("/settings/team/history").content.decode()
    assert 'value="90"' in page
    resp = client.post("/settings/team/history", {"retention_days": "30"})
    assert resp.status_code == 302
    assert retention_days(team=team) == 30
    resp = client.post("/settings/team/history", {"retention_days": "-3"})
    assert resp.status_code == 200 and retention_days(team=team) == 30


@pytest.mark.django_db(transaction=True)
def test_cli_shows_and_sets_retention():
    team = make_team("Acme")
    shown = gather("changes", "retention", "--team", "Acme")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip() == "90 days"
    assert gather("changes", "retention", "--team", "Acme", "--days", "0").stdout.strip() == (
        "forever"
    )
    assert retention_days(team=team) == 0
    bad = gather("changes", "retention", "--team", "Acme", "--days", "-1")
    assert bad.returncode == 2 and "whole number" in bad.stderr
    assert gather("changes", "retention", "--team", "Nope").returncode == 2
