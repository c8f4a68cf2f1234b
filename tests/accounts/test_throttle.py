"""Failed sign-ins, API key checks, invite links and sign-ups are throttled per account and
per client address: 10 failures within 15 minutes, and the next attempt is answered 429.

Every test runs with the failures in the database (no REDIS_URL) and in Redis."""

import re
import uuid
from datetime import timedelta

import pytest
from django.db.models import F
from django.test import Client

from gather.accounts.models import ThrottleFailure
from gather.accounts.services import invite_create
from tests.factories import make_key, make_team, make_user

PASSWORD = "correct horse battery"
REDIS = "redis://127.0.0.1:6379/0"


@pytest.fixture(params=["database", "redis"])
def storage(request, settings, db):
    # Sign-ins hash passwords; a fast hasher keeps tens of them quick (no timing assumed).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    if request.param == "redis":
        import redis

        settings.REDIS_URL = REDIS
        settings.THROTTLE_REDIS_PREFIX = f"t{uuid.uuid4().hex}:throttle:"
        yield "redis"
        client = redis.Redis.from_url(REDIS)
        for key in client.scan_iter(f"{settings.THROTTLE_REDIS_PREFIX}*"):
            client.delete(key)
        return
    settings.REDIS_URL = ""
    yield "database"


@pytest.fixture
def lead(storage):
    return make_user(make_team("Acme"), email="lead@example.com")


def login(email: str, password: str, address: str = "10.0.0.1", client: Client | None = None):
    return (client or Client()).post(
        "/login", {"username": email, "password": password}, REMOTE_ADDR=address
    )


def assert_throttled_page(resp) -> None:
    assert resp.status_code == 429
    assert 1 <= int(resp["Retry-After"]) <= 15 * 60
    text = resp.content.decode()
    assert re.search(r"Try again in (\d+ minutes|1 minute|\d+ seconds)\.", text), text


def test_login_is_throttled_per_account_even_with_the_right_password(lead):
    for n in range(10):  # ten wrong passwords, each from another address
        resp = login("lead@example.com", "wrong", address=f"10.0.1.{n}")
        assert resp.status_code == 200 and b"correct" in resp.content
    client = Client()
    resp = login("LEAD@example.com", PASSWORD, address="10.0.2.1", client=client)
    assert_throttled_page(resp)
    assert b"Try again in 15 minutes." in resp.content
    assert client.get("/settings/team/models").status_code == 302  # not signed in
    # Another account from the same addresses is not affected.
    make_user(email="other@example.com")
    assert login("other@example.com", PASSWORD, address="10.0.1.1").status_code == 302


def test_login_is_throttled_per_client_address(lead):
    for n in range(10):
        assert login(f"nobody{n}@example.com", "wrong").status_code == 200
    assert_throttled_page(login("lead@example.com", PASSWORD))
    assert login("lead@example.com", PASSWORD, address="10.9.9.9").status_code == 302


def test_login_throttle_answers_the_same_for_unknown_and_known_accounts(lead):
    for n in range(10):
        login("lead@example.com", "wrong", address=f"10.0.1.{n}")
        login("ghost@example.com", "wrong", address=f"10.0.3.{n}")
    known = login("lead@example.com", "wrong", address="10.0.4.1")
    unknown = login("ghost@example.com", "wrong", address="10.0.4.2")
    assert known.status_code == unknown.status_code == 429
    assert known.content == unknown.content


def test_a_successful_login_clears_the_accounts_failures(lead):
    for n in range(9):
        login("lead@example.com", "wrong", address=f"10.0.1.{n}")
    assert login("lead@example.com", PASSWORD, address="10.0.5.1").status_code == 302
    for n in range(9):
        assert login("lead@example.com", "wrong", address=f"10.0.6.{n}").status_code == 200
    assert login("lead@example.com", PASSWORD, address="10.0.5.2").status_code == 302


def test_login_works_again_once_the_failures_leave_the_window(settings, db):
    """Database storage: the window is moved by rewriting the stored failures' times."""
    settings.REDIS_URL = ""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    make_user(email="lead@example.com")
    for n in range(10):
        login("lead@example.com", "wrong", address=f"10.0.1.{n}")
    assert login("lead@example.com", PASSWORD).status_code == 429
    ThrottleFailure.objects.update(at=F("at") - timedelta(minutes=15))
    assert login("lead@example.com", PASSWORD).status_code == 302


def test_forwarded_for_is_ignored_unless_a_proxy_is_configured(lead, settings):
    settings.TRUSTED_PROXIES = 0
    for n in range(10):
        resp = Client().post(
            "/login",
            {"username": f"x{n}@example.com", "password": "wrong"},
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}",
        )
        assert resp.status_code == 200
    resp = Client().post(
        "/login",
        {"username": "y@example.com", "password": "wrong"},
        HTTP_X_FORWARDED_FOR="192.0.2.99",
    )
    assert resp.status_code == 429


def test_forwarded_for_names_the_client_behind_a_configured_proxy(lead, settings):
    settings.TRUSTED_PROXIES = 1

    def attempt(n: int, forwarded: str):
        return Client().post(
            "/login",
            {"username": f"x{n}@example.com", "password": "wrong"},
            HTTP_X_FORWARDED_FOR=forwarded,
        )

    # The proxy appends the client's address; what the client sent before it is ignored.
    for n in range(10):
        assert attempt(n, f"198.51.100.{n}, 203.0.113.7").status_code == 200
    assert attempt(10, "198.51.100.99, 203.0.113.7").status_code == 429
    assert attempt(11, "203.0.113.8").status_code == 200  # another client


def test_api_key_checks_are_throttled_per_address_with_the_error_shape(storage):
    team = make_team("Acme")
    key = make_key(team)
    api = Client()
    for n in range(10):
        resp = api.get(
            "/api/models", headers={"authorization": f"Token gth_wrong{n}"}, REMOTE_ADDR="10.1.0.1"
        )
        assert resp.status_code == 401
    resp = api.get("/api/models", headers={"authorization": "Token gth_x"}, REMOTE_ADDR="10.1.0.1")
    assert resp.status_code == 429
    assert 1 <= int(resp["Retry-After"]) <= 15 * 60
    error = resp.json()["error"]
    assert error["code"] == "rate_limited"
    assert re.fullmatch(r"Too many failed attempts\. Try again in 15 minutes\.", error["message"])
    # A valid key is never throttled; another address's bad key is a plain 401.
    ok = api.get("/api/models", headers={"authorization": f"Token {key}"}, REMOTE_ADDR="10.1.0.1")
    assert ok.status_code == 200
    other = api.get("/api/models", headers={"authorization": "Basic x"}, REMOTE_ADDR="10.1.0.2")
    assert other.status_code == 401


def test_invalid_invite_links_are_throttled_per_address(storage):
    team = make_team("Acme")
    _, token = invite_create(team=team, email="friend@example.com")
    for n in range(10):
        assert Client().get(f"/invite/guess{n}", REMOTE_ADDR="10.2.0.1").status_code == 404
    assert_throttled_page(Client().get(f"/invite/{token}", REMOTE_ADDR="10.2.0.1"))
    assert Client().get(f"/invite/{token}", REMOTE_ADDR="10.2.0.2").status_code == 200


def test_refused_sign_ups_are_throttled_per_address(lead):
    for n in range(10):
        resp = Client().post(
            "/signup",
            {"email": f"new{n}@example.com", "password": "a long passphrase", "team": "Acme"},
            REMOTE_ADDR="10.3.0.1",
        )
        assert resp.status_code == 200 and b"could not create" in resp.content
    resp = Client().post(
        "/signup",
        {"email": "fresh@example.com", "password": "a long passphrase", "team": "Fresh"},
        REMOTE_ADDR="10.3.0.1",
    )
    assert_throttled_page(resp)
    resp = Client().post(
        "/signup",
        {"email": "fresh@example.com", "password": "a long passphrase", "team": "Fresh"},
        REMOTE_ADDR="10.3.0.2",
    )
    assert resp.status_code == 302


def test_failures_are_stored_where_the_configuration_says(lead, storage, settings):
    login("lead@example.com", "wrong")
    if storage == "database":
        assert ThrottleFailure.objects.count() == 2  # the account and the address
        assert "lead@example.com" not in str(list(ThrottleFailure.objects.values()))
    else:
        import redis

        assert not ThrottleFailure.objects.exists()
        keys = list(redis.Redis.from_url(REDIS).scan_iter(f"{settings.THROTTLE_REDIS_PREFIX}*"))
        assert len(keys) == 2


def test_openapi_document_lists_the_429_on_every_operation_that_takes_a_key(db):
    doc = Client().get("/api/openapi.json").json()
    operations = [op for ops in doc["paths"].values() for op in ops.values()]
    assert operations
    for op in operations:
        if op.get("security"):
            answer = op["responses"]["429"]
            assert "Retry-After" in answer["headers"], op["operationId"]
            schema = answer["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorOut"}
