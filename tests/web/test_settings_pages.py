import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from gather.accounts.models import ApiKey
from gather.records.models import DataModel, Field
from tests.factories import make_key, make_model, make_team, make_user


@pytest.fixture
def member(team):
    user = make_user(team, email="lead@example.com")
    client = Client()
    client.force_login(user)
    return client


def test_settings_pages_require_login(db):
    for path in ("/settings/team/models", "/settings/team/developer", "/settings/team/members"):
        resp = Client().get(path)
        assert resp.status_code == 302 and resp["Location"].startswith("/login")


def test_signup_creates_user_and_team_and_signs_in(db):
    client = Client()
    resp = client.post(
        "/signup",
        {"email": "new@example.com", "password": "a long passphrase", "team": "Initech"},
    )
    assert resp.status_code == 302
    page = client.get("/settings/team/models")
    assert page.status_code == 200 and b"Initech" in page.content


def test_models_page_adds_a_model_and_shows_its_model_id(member, team):
    resp = member.post(
        "/settings/team/models", {"name": "Orders", "type": "custom", "id_field": "id"}
    )
    model = DataModel.objects.get(team=team, name="Orders")
    assert resp.status_code == 302 and resp["Location"].endswith(model.public_id)
    page = member.get(resp["Location"])
    assert model.public_id.encode() in page.content
    listing = member.get("/settings/team/models")
    assert b"Orders" in listing.content and model.public_id.encode() in listing.content


def test_models_page_shows_service_errors_next_to_the_field(member):
    resp = member.post(
        "/settings/team/models", {"name": "Orders", "type": "custom", "id_field": "a.b"}
    )
    assert resp.status_code == 200
    assert b"cannot contain" in resp.content


def test_model_page_sets_a_field_type_and_renames(member, team):
    model = make_model(team)
    Field.objects.create(model=model, name="amount", type="string")
    member.post(f"/settings/team/models/{model.public_id}", {"field": "amount", "type": "number"})
    field = Field.objects.get(model=model, name="amount")
    assert (field.type, field.type_locked) == ("number", True)
    member.post(f"/settings/team/models/{model.public_id}", {"rename": "1", "name": "Sales"})
    model.refresh_from_db()
    assert model.name == "Sales"


def test_model_delete_needs_the_typed_name(member, team):
    model = make_model(team)
    url = f"/settings/team/models/{model.public_id}/delete"
    assert member.post(url, {"confirm": "nope"}).status_code == 200
    assert DataModel.objects.filter(pk=model.pk).exists()
    assert member.post(url, {"confirm": model.name}).status_code == 302
    assert not DataModel.objects.filter(pk=model.pk).exists()


def test_standard_model_page_shows_type_and_refuses_delete(member, team):
    account = DataModel.objects.get(team=team, type="account")
    page = member.get(f"/settings/team/models/{account.public_id}").content.decode()
    assert "<dd>Account</dd>" in page and "Delete this model" not in page
    resp = member.post(f"/settings/team/models/{account.public_id}/delete", {"confirm": "Account"})
    assert resp.status_code == 200
    assert "can be renamed, not deleted" in resp.content.decode()
    assert DataModel.objects.filter(pk=account.pk).exists()


def test_model_page_sets_and_removes_links_and_rollups(member, team):
    orders = make_model(team)
    url = f"/settings/team/models/{orders.public_id}"
    account = DataModel.objects.get(team=team, type="account")
    resp = member.post(url, {"link": "1", "field": "account_id", "target": account.public_id})
    assert resp.status_code == 302
    page = member.get(url).content.decode()
    assert "<code>account</code>" in page and ">Account</a>" in page
    acct_url = f"/settings/team/models/{account.public_id}"
    body = {"rollup": "1", "name": "n", "source": f"{orders.public_id}:account", "fn": "count"}
    assert member.post(acct_url, body).status_code == 302
    assert "<code>n</code>" in member.get(acct_url).content.decode()
    bad = {**body, "name": "total", "fn": "sum", "field": ""}
    page = member.post(acct_url, bad, follow=True).content.decode()
    assert "the Orders field to sum" in page
    assert member.post(acct_url, {"unrollup": "1", "name": "n"}).status_code == 302
    assert member.post(url, {"unlink": "1", "field": "account_id"}).status_code == 302
    assert 'table class="links"' not in member.get(url).content.decode()


def test_other_teams_model_is_404(member, other_team):
    model = make_model(other_team, "Secret")
    assert member.get(f"/settings/team/models/{model.public_id}").status_code == 404
    assert (
        member.post(
            f"/settings/team/models/{model.public_id}/delete", {"confirm": "Secret"}
        ).status_code
        == 404
    )
    assert DataModel.objects.filter(pk=model.pk).exists()


def test_developer_page_shows_a_new_key_once_then_only_its_prefix(member, team):
    resp = member.post("/settings/team/developer", {"name": "backend"}, follow=True)
    secret = re.search(rb'id="new-key">(gth_[^<]+)<', resp.content).group(1).decode()
    assert ApiKey.objects.get(team=team).prefix == secret[:10]
    again = member.get("/settings/team/developer")
    assert secret.encode() not in again.content
    assert secret[:10].encode() in again.content
    api = Client()
    assert api.get("/api/models", headers={"authorization": f"Token {secret}"}).status_code == 200


def test_revoking_a_key_makes_it_401_at_once(member, team):
    secret = make_key(team)
    key = ApiKey.objects.get(team=team)
    assert member.post(f"/settings/team/developer/keys/{key.pk}/revoke").status_code == 302
    resp = Client().get("/api/models", headers={"authorization": f"Token {secret}"})
    assert resp.status_code == 401


def test_other_teams_key_cannot_be_revoked(member, other_team):
    make_key(other_team)
    key = ApiKey.objects.get(team=other_team)
    assert member.post(f"/settings/team/developer/keys/{key.pk}/revoke").status_code == 404
    key.refresh_from_db()
    assert key.revoked_at is None


def test_invite_link_joins_a_new_user_once(member, team):
    resp = member.post("/settings/team/members", {"email": "friend@example.com"}, follow=True)
    link = re.search(rb'id="invite-link">([^<]+)<', resp.content).group(1).decode()
    path = link.split("testserver", 1)[1]
    newcomer = Client()
    joined = newcomer.post(path, {"email": "friend@example.com", "password": "another long one"})
    assert joined.status_code == 302
    page = newcomer.get("/settings/team/members")
    assert b"friend@example.com" in page.content and team.name.encode() in page.content
    assert Client().get(path).status_code == 404  # used


def test_posts_need_csrf(team):
    user = make_user(team)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post("/settings/team/developer", {"name": "x"}).status_code == 403


def test_switch_team_only_to_own_teams(member, other_team):
    assert member.post("/settings/team/switch", {"team": other_team.pk}).status_code == 404
    mine = make_team("Second")
    from django.contrib.auth import get_user_model

    from gather.accounts.models import Membership

    Membership.objects.create(
        team=mine, user=get_user_model().objects.get(email="lead@example.com")
    )
    assert member.post("/settings/team/switch", {"team": mine.pk}).status_code == 302
    assert b"Second" in member.get("/settings/team/members").content


def test_top_bar_switches_team_from_any_page_and_stays_in_the_section(member, team):
    from django.contrib.auth import get_user_model

    from gather.accounts.models import Membership
    from gather.views.services import view_create

    # One team: its name, no switcher.
    page = member.get("/views").content.decode()
    assert 'action="/settings/team/switch"' not in page and team.name in page

    second = make_team("Second")
    Membership.objects.create(
        team=second, user=get_user_model().objects.get(email="lead@example.com")
    )
    mine = make_model(team, name="Orders")
    view_create(team=team, model=mine, name="Big orders")
    page = member.get("/views").content.decode()
    switcher = re.search(r"<form[^>]*team-switch.*?</form>", page, re.S).group(0)
    assert f'<option value="{team.pk}" selected>' in switcher
    assert f'<option value="{second.pk}" >Second</option>' in switcher
    assert 'name="next" value="/views"' in switcher
    assert 'class="strong">Big orders<' in page

    resp = member.post("/settings/team/switch", {"team": second.pk, "next": "/views"})
    assert resp.status_code == 302 and resp["Location"] == "/views"
    page = member.get("/views").content.decode()
    assert 'class="strong">Big orders<' not in page  # the second team's views
    assert f'<option value="{second.pk}" selected>' in page

    # Anything else as "next" lands on the models page, never elsewhere.
    resp = member.post("/settings/team/switch", {"team": team.pk, "next": "https://evil.test/"})
    assert resp["Location"] == "/settings/team/models"
    settings_page = member.get("/settings/team/members").content.decode()
    assert 'name="next" value="/settings/team/models"' in settings_page


def _stored_sessions() -> str:
    from django.contrib.sessions.models import Session

    return " ".join(str(s.get_decoded()) + s.session_data for s in Session.objects.all())


def test_new_api_key_is_shown_in_the_creating_response_and_never_stored_in_the_session(
    member, team
):
    resp = member.post("/settings/team/developer", {"name": "backend"})
    assert resp.status_code == 200
    assert "no-store" in resp["Cache-Control"]
    secret = re.search(rb'id="new-key">(gth_[^<]+)<', resp.content).group(1).decode()
    assert secret not in _stored_sessions()
    assert all(secret not in c.value for c in member.cookies.values())
    assert secret.encode() not in member.get("/settings/team/developer").content


def test_new_invite_link_is_shown_in_the_creating_response_and_never_stored_in_the_session(
    member, team
):
    resp = member.post("/settings/team/members", {"email": "friend@example.com"})
    assert resp.status_code == 200
    assert "no-store" in resp["Cache-Control"]
    link = re.search(rb'id="invite-link">([^<]+)<', resp.content).group(1).decode()
    token = link.rsplit("/", 1)[1]
    assert token not in _stored_sessions()
    assert token.encode() not in member.get("/settings/team/members").content


def _invite_path(member, email: str = "friend@example.com") -> str:
    resp = member.post("/settings/team/members", {"email": email})
    link = re.search(rb'id="invite-link">([^<]+)<', resp.content).group(1).decode()
    return link.split("testserver", 1)[1]


def test_invite_link_expires_after_seven_days(member, team):
    from datetime import timedelta

    from django.utils import timezone

    from gather.accounts.models import Invite

    path = _invite_path(member)
    assert b"pending until" in member.get("/settings/team/members").content
    Invite.objects.update(created_at=timezone.now() - timedelta(days=7, minutes=1))
    newcomer = Client()
    assert newcomer.get(path).status_code == 404
    resp = newcomer.post(path, {"email": "friend@example.com", "password": "another long one"})
    assert resp.status_code == 404 and b"expired" in resp.content
    assert not get_user_model().objects.filter(username="friend@example.com").exists()
    # A signed-in user cannot accept it either.
    other = make_user(email="someone@example.com")
    signed_in = Client()
    signed_in.force_login(other)
    assert signed_in.post(path).status_code == 404
    assert not other.memberships.exists()
    assert b"expired" in member.get("/settings/team/members").content


def test_invite_link_revoked_from_members_stops_working(member, team):
    from gather.accounts.models import Invite

    path = _invite_path(member)
    invite = Invite.objects.get(team=team)
    page = member.get("/settings/team/members").content.decode()
    assert f'action="/settings/team/members/invites/{invite.pk}/revoke"' in page
    resp = member.post(f"/settings/team/members/invites/{invite.pk}/revoke")
    assert resp.status_code == 302
    newcomer = Client()
    assert newcomer.get(path).status_code == 404
    resp = newcomer.post(path, {"email": "friend@example.com", "password": "another long one"})
    assert resp.status_code == 404
    assert not get_user_model().objects.filter(username="friend@example.com").exists()
    page = member.get("/settings/team/members").content.decode()
    assert "revoked" in page and "/revoke" not in page


def test_other_teams_invite_cannot_be_revoked(member, other_team):
    from gather.accounts.models import Invite
    from gather.accounts.services import invite_create

    invite, token = invite_create(team=other_team, email="x@example.com")
    resp = member.post(f"/settings/team/members/invites/{invite.pk}/revoke")
    assert resp.status_code == 404
    invite.refresh_from_db()
    assert invite.revoked_at is None
    assert Client().get(f"/invite/{token}").status_code == 200
    assert member.get(f"/settings/team/members/invites/{invite.pk}/revoke").status_code == 405
    assert Invite.objects.get(pk=invite.pk).revoked_at is None


def test_model_delete_confirmation_names_the_tasks_and_views_that_go_with_it(
    member, team, other_team
):
    from gather.integrations.models import Integration, IntegrationTask
    from gather.views.models import SavedView

    orders = make_model(team, "Orders", "id")
    stripe = Integration.objects.create(
        team=team, type="stripe", secret_encrypted="x", key_hint="sk_test_…abcd"
    )
    task = IntegrationTask.objects.create(
        integration=stripe,
        type="sync_stripe_charges",
        model=orders,
        options={"model": orders.public_id, "charge_id_field": "stripe_charge_id"},
    )
    SavedView.objects.create(team=team, name="Big orders", model=orders)
    # Neither another model's view nor another team's anything is listed.
    SavedView.objects.create(team=team, name="All leads", model=make_model(team, "Leads"))
    theirs = make_model(other_team, "Orders", "id")
    SavedView.objects.create(team=other_team, name="Their orders", model=theirs)

    page = member.get(f"/settings/team/models/{orders.public_id}/delete").content.decode()
    assert "Sync Stripe Charges" in page
    assert "sk_test_…abcd" in page
    assert f"/settings/team/integrations/{stripe.public_id}/tasks" in page
    assert "Big orders" in page
    assert "All leads" not in page and "Their orders" not in page
    assert (
        member.post(
            f"/settings/team/models/{orders.public_id}/delete", {"confirm": "Orders"}
        ).status_code
        == 302
    )
    assert not IntegrationTask.objects.filter(pk=task.pk).exists()
