"""The production request path: the WSGI application's two handlers and the
PostgreSQL backend's health check."""

import io
import sys
import time

import orjson
import pytest
from django.db import connection, connections

from gather.wsgi import application
from tests.factories import make_key, make_model, make_team


def call(method, path, *, body=b"", headers=None):
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "HTTP_HOST": "127.0.0.1:8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
    }
    for name, value in (headers or {}).items():
        key = name.upper().replace("-", "_")
        environ[key if key == "CONTENT_TYPE" else f"HTTP_{key}"] = value
    started = {}

    def start_response(status, response_headers, exc_info=None):
        started["status"] = int(status.split()[0])
        started["headers"] = dict(response_headers)

    content = b"".join(application(environ, start_response))
    return started["status"], started["headers"], content


@pytest.mark.django_db(transaction=True)
def test_api_requests_take_the_short_chain_and_pages_the_full_one():
    # The real handlers open and close connections per request, as in production, so
    # this test runs outside a test transaction.
    team = make_team("Acme")
    api_key = make_key(team)
    orders = make_model(team, "Orders", "id")
    status, headers, content = call(
        "POST",
        f"/api/models/{orders.public_id}/records",
        body=b"id=1234&amount=75&stripe_charge_id=ch_4567",
        headers={
            "Authorization": f"Token {api_key}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    assert status == 201, content
    assert orjson.loads(content)["data"] == {
        "id": "1234",
        "amount": "75",
        "stripe_charge_id": "ch_4567",
    }
    assert int(headers["Content-Length"]) == len(content)
    # The API sets no cookie and skips the page-only headers, but keeps the security ones.
    assert "Set-Cookie" not in headers
    assert "X-Frame-Options" not in headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    # A bad key is still refused in the contract's shape.
    status, _, content = call(
        "GET", f"/api/models/{orders.public_id}/records", headers={"Authorization": "Token nope"}
    )
    assert status == 401
    assert "error" in orjson.loads(content)

    # Pages keep sessions, CSRF and framing protection.
    status, headers, content = call("GET", "/login")
    assert status == 200
    assert "csrftoken" in headers.get("Set-Cookie", "")
    assert headers["X-Frame-Options"] == "DENY"


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_health_check_needs_no_round_trip_and_sees_a_terminated_connection():
    other = connections.create_connection("default")
    try:
        other.ensure_connection()
        assert other.is_usable()
        with other.connection.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")
            pid = cur.fetchone()[0]

        def statements_run() -> int:
            with connection.cursor() as cur:
                cur.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid])
                return cur.fetchone()[0]

        last = statements_run()
        assert other.is_usable()
        assert statements_run() == last  # the healthy check sent nothing to the server

        with connection.cursor() as cur:
            cur.execute("SELECT pg_terminate_backend(%s)", [pid])
        deadline = time.monotonic() + 5
        while other.is_usable() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not other.is_usable()
        # Django replaces a connection that fails its check at the start of a request.
        other.health_check_done = False
        other.close_if_health_check_failed()
        other.ensure_connection()
        with other.cursor() as cur:
            cur.execute("SELECT 1")
            assert cur.fetchone() == (1,)
    finally:
        other.close()
