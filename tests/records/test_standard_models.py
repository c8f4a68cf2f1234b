"""Every team's standard models: Account, and User linked to it."""

from gather.accounts.models import Team
from gather.records.models import DataModel, Field, Link, new_model_id
from gather.records.standard import ensure_standard_models


def test_standard_models_exist_for_a_new_team(api):
    models = api.get("/api/models").json()["data"]
    account, user = models[0], models[1]
    assert (account["name"], account["slug"], account["type"]) == ("Account", "account", "account")
    assert (user["name"], user["slug"], user["type"]) == ("User", "user", "user")
    assert account["id_field"] == user["id_field"] == "id"
    assert [f["name"] for f in account["fields"]] == ["id", "name"]
    assert [f["name"] for f in user["fields"]] == [
        "id",
        "first_name",
        "last_name",
        "email",
        "account_id",
    ]


def test_standard_models_take_records_like_any_model(api):
    resp = api.post("/api/models/account/records", data="id=acme&name=Acme+Corp")
    assert resp.status_code == 201
    assert resp.json()["data"] == {"id": "acme", "name": "Acme Corp"}
    assert api.get("/api/models/account/records/acme").status_code == 200
    assert api.delete("/api/models/account/records/acme").status_code == 204
    assert api.get("/api/models/account/records/acme").status_code == 404


def test_standard_models_rename_but_never_delete(api, team):
    for slug in ("account", "user"):
        resp = api.delete(f"/api/models/{slug}")
        assert resp.status_code == 409
        assert resp.json()["error"]["code"] == "conflict"
    resp = api.patch("/api/models/account", {"name": "Companies"})
    assert resp.status_code == 200
    assert (resp.json()["name"], resp.json()["type"]) == ("Companies", "account")
    assert api.delete("/api/models/companies").status_code == 409
    assert DataModel.objects.filter(team=team, type="account").count() == 1


def test_model_create_makes_custom_models_only(api):
    resp = api.post("/api/models", json={"name": "Orders", "type": "Custom"})
    assert resp.status_code == 201
    assert resp.json()["type"] == "custom"
    for kind in ("account", "user"):
        resp = api.post("/api/models", json={"name": "Second", "type": kind})
        assert resp.status_code == 422
        assert resp.json()["error"]["field"] == "type"


def test_standard_models_for_existing_team_fall_back_from_a_taken_slug(db):
    """What migration records.0006 runs for every team that existed before."""
    team = Team.objects.create(name="Old")
    DataModel.objects.filter(team=team).delete()  # as before standard models existed
    DataModel.objects.create(team=team, name="Accounts", slug="account", id_field="key")
    ensure_standard_models(team.pk, DataModel, Field, Link, new_model_id)
    ensure_standard_models(team.pk, DataModel, Field, Link, new_model_id)  # idempotent
    account = DataModel.objects.get(team=team, type="account")
    user = DataModel.objects.get(team=team, type="user")
    assert (account.slug, user.slug) == ("account-2", "user")
    assert DataModel.objects.get(team=team, slug="account").type == "custom"
    link = Link.objects.get(model=user)
    assert (link.field, link.target_id, link.name) == ("account_id", account.pk, "account")
    assert DataModel.objects.filter(team=team).count() == 3


def test_standard_models_are_per_team(api, other_api):
    mine = api.get("/api/models/account").json()["id"]
    theirs = other_api.get("/api/models/account").json()["id"]
    assert mine != theirs
    assert api.get(f"/api/models/{theirs}").status_code == 404
    assert api.delete(f"/api/models/{theirs}").status_code == 404
