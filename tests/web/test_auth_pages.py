import pytest
from django.test import Client

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


def test_signup_refuses_an_existing_email_and_team(lead):
    resp = Client().post(
        "/signup", {"email": "LEAD@example.com", "password": "a long passphrase", "team": "Acme"}
    )
    assert resp.status_code == 200
    assert b"sign in instead" in resp.content and b"invite link" in resp.content


def test_signup_needs_csrf(db):
    resp = Client(enforce_csrf_checks=True).post(
        "/signup", {"email": "x@example.com", "password": "a long passphrase", "team": "X"}
    )
    assert resp.status_code == 403
