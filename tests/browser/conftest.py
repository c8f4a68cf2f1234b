"""Browser helpers shared by the browser tests.

The Chromium itself (``browser``, ``browser_page``) lives in ``tests/conftest.py`` so that
browser tests elsewhere in the suite reuse the one instance; pytest-django's
``live_server`` serves the app on 127.0.0.1 on a free port against the test database.
"""

import itertools

import pytest

_seq = itertools.count(1)
PASSWORD = "a long passphrase"


class Signer:
    """Signs a user up or in through the real forms of a live server."""

    def __init__(self, base: str):
        self.base = base

    def sign_up(self, page, email: str | None = None, team: str | None = None) -> str:
        n = next(_seq)
        email = email or f"user{n}@acme.test"
        page.goto(f"{self.base}/signup")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", PASSWORD)
        page.fill("input[name=team]", team or f"Team {n}")
        page.click("button:has-text('Create account')")
        page.wait_for_url("**/settings/team/models")
        return email

    def log_in(self, page, email: str, password: str = PASSWORD) -> None:
        page.goto(f"{self.base}/login")
        page.fill("input[name=username]", email)
        page.fill("input[name=password]", password)
        page.click("button:has-text('Sign in')")
        page.wait_for_url(lambda url: "/login" not in url)

    def log_out(self, page) -> None:
        page.click("button:has-text('Sign out')")
        page.wait_for_url("**/login")


@pytest.fixture
def signer(live_server) -> Signer:
    return Signer(live_server.url)
