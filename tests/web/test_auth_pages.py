import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from gather.accounts.models import Team
from tests.factories import make_team, make_user

PASSWORD = "correct horse battery"


@pytest.fixture
def lead(db):
    return make_user(make_team("Acme"), email="lead@example.com")


def test_login_page_renders_with_csrf(db):
    resp = Client().get("/login")
    assert resp.status_code == 200
    assert b"csrfmiddlewaretoken" in resp.content and b'name="username"' in resp.content


def test_login_signs_in_and_lands_on_next(lead):
    client = Client()
    resp = client.post(
        "/login",
        {"username": "lead@example.com", "password": PASSWORD, "next": "/settings/team/members"},
    )
    assert resp.status_code == 302 and resp["Location"] == "/settings/team/members"
    assert client.get("/settings/team/members").status_code == 200


def test_login_refuses_a_wrong_password(lead):
    resp = Client().post("/login", {"username": "lead@example.com", "password": "nope"})
    assert resp.status_code == 200
    assert b"correct" in resp.content  # Django's "Please enter a correct ..." message


def test_logout_is_post_only_and_ends_the_session(lead):
    client = Client()
    client.force_login(lead)
    assert client.get("/logout").status_code == 405
    resp = client.post("/logout")
    assert resp.status_code == 302 and resp["Location"] == "/login"
    assert client.get("/settings/team/models").status_code == 302


def test_logout_needs_csrf(lead):
    client = Client(enforce_csrf_checks=True)
    client.force_login(lead)
    assert client.post("/logout").status_code == 403


def _page(resp) -> bytes:
    """The page without what differs between any two answers: the CSRF token and the
    values the form echoes back."""
    return re.sub(rb' value="[^"]*"', b"", resp.content)


def test_signup_answers_the_same_for_a_taken_email_and_a_taken_team(lead):
    taken_email = Client()
    by_email = taken_email.post(
        "/signup", {"email": "LEAD@example.com", "password": "a long passphrase", "team": "New"}
    )
    taken_team = Client()
    by_team = taken_team.post(
        "/signup", {"email": "new@example.com", "password": "a long passphrase", "team": "Acme"}
    )
    assert by_email.status_code == by_team.status_code == 200
    assert _page(by_email) == _page(by_team)
    assert b"We could not create an account with these details" in by_email.content
    assert b"exists" not in by_email.content
    # Neither signed in (the taken email's account least of all), nothing was created.
    for client in (taken_email, taken_team):
        assert client.get("/settings/team/models").status_code == 302
    assert get_user_model().objects.count() == 1
    assert list(Team.objects.values_list("name", flat=True)) == ["Acme"]


def test_login_answers_the_same_for_an_unknown_email_and_a_wrong_password(lead):
    unknown = Client().post("/login", {"username": "nobody@example.com", "password": "nope"})
    wrong = Client().post("/login", {"username": "lead@example.com", "password": "nope"})
    assert unknown.status_code == wrong.status_code == 200
    assert _page(unknown) == _page(wrong)


def test_invite_sign_up_with_a_taken_email_is_refused_without_signing_in(lead):
    from gather.accounts.services import invite_create

    _, token = invite_create(team=lead.memberships.get().team, email="lead@example.com")
    client = Client()
    resp = client.post(f"/invite/{token}", {"email": "lead@example.com", "password": "x" * 12})
    assert resp.status_code == 200
    assert b"We could not create an account with these details" in resp.content
    assert client.get("/settings/team/models").status_code == 302
    # The invite is still unused.
    assert Client().get(f"/invite/{token}").status_code == 200


def test_signup_needs_csrf(db):
    resp = Client(enforce_csrf_checks=True).post(
        "/signup", {"email": "x@example.com", "password": "a long passphrase", "team": "X"}
    )
    assert resp.status_code == 403
