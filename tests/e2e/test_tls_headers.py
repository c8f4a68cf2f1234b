"""Behind a TLS-terminating proxy (GATHER_PUBLIC_URL=https://..., X-Forwarded-Proto: https):
secure cookies, HSTS and the other security headers, read from a real `gather serve`."""

import re

import httpx
import pytest
from django.test import Client

from tests.e2e.conftest import start_server, stop_server
from tests.factories import make_user

pytestmark = pytest.mark.slow

PUBLIC = "https://gather.example.test"
HTTPS = {"X-Forwarded-Proto": "https"}
PASSWORD = "correct horse battery"


def csp_directives(header: str) -> dict[str, list[str]]:
    parts = [p.strip().split() for p in header.split(";") if p.strip()]
    return {p[0]: p[1:] for p in parts}


def assert_page_headers(resp: httpx.Response) -> None:
    csp = csp_directives(resp.headers["Content-Security-Policy"])
    assert csp["script-src"] == ["'self'"], csp
    assert "'unsafe-inline'" not in " ".join(csp.get("default-src", []))
    assert csp["object-src"] == ["'none'"] and csp["frame-ancestors"] == ["'none'"]
    assert resp.headers["Referrer-Policy"] == "same-origin"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


def cookie(resp: httpx.Response, name: str) -> str:
    found = [c for c in resp.headers.get_list("set-cookie") if c.startswith(f"{name}=")]
    assert found, resp.headers.get_list("set-cookie")
    return found[0]


@pytest.fixture
def tls_server(transactional_db, tmp_path):
    server = start_server(tmp_path, extra_env={"GATHER_PUBLIC_URL": PUBLIC})
    yield server
    stop_server(server)


def test_behind_tls_cookies_are_secure_and_pages_carry_hsts_and_csp(tls_server):
    make_user(email="lead@example.com", password=PASSWORD)
    with httpx.Client(base_url=tls_server.base, timeout=60) as client:
        page = client.get("/login", headers=HTTPS)
        assert page.status_code == 200
        assert page.headers["Strict-Transport-Security"] == "max-age=31536000"
        assert_page_headers(page)
        csrf = cookie(page, "csrftoken")
        assert "; Secure" in csrf, csrf

        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]
        csrf_value = csrf.split(";", 1)[0]
        # A browser sends Secure cookies only over https: the proxy forwards them.
        signed_in = client.post(
            "/login",
            data={
                "username": "lead@example.com",
                "password": PASSWORD,
                "csrfmiddlewaretoken": token,
            },
            headers={**HTTPS, "Origin": PUBLIC, "Cookie": csrf_value},
        )
        assert signed_in.status_code == 302, signed_in.text
        session = cookie(signed_in, "sessionid")
        assert "; Secure" in session and "; HttpOnly" in session, session

        docs = client.get("/api/docs", headers=HTTPS)
        assert docs.status_code == 200
        assert docs.headers["Strict-Transport-Security"] == "max-age=31536000"
        assert_page_headers(docs)

        # A request that did not come over https (no X-Forwarded-Proto) gets no HSTS.
        plain = client.get("/login")
        assert "Strict-Transport-Security" not in plain.headers
        assert "; Secure" in cookie(plain, "csrftoken")


def test_without_https_public_url_forwarded_proto_is_not_trusted(db):
    """The default (plain http): X-Forwarded-Proto is ignored, cookies are not Secure,
    and pages still carry the CSP and the other headers."""
    resp = Client().get("/login", headers=HTTPS)
    assert "Strict-Transport-Security" not in resp
    assert "; Secure" not in str(resp.cookies["csrftoken"]) + "; "
    assert not resp.cookies["csrftoken"]["secure"]
    csp = csp_directives(resp["Content-Security-Policy"])
    assert csp["script-src"] == ["'self'"]
    assert resp["Referrer-Policy"] == "same-origin"
    assert resp["X-Content-Type-Options"] == "nosniff"
