"""Fixtures shared by the whole suite.

The database comes from DATABASE_URL (scripts/run-tests sets it to a fresh SQLite file
or a fresh PostgreSQL database), so the same tests run on both.
"""

import os

import pytest
from django.db import connection
from django.test import Client

from tests.factories import make_key, make_model, make_team


def pytest_collection_modifyitems(config, items):
    from django.db import connection as conn

    if conn.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="PostgreSQL-only behaviour (this run is on SQLite)")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def vendor() -> str:
    return connection.vendor


class ApiClient:
    """A Django test client that sends an API key and speaks JSON by default."""

    def __init__(self, key: str | None):
        self.client = Client()
        self.key = key

    def _headers(self, extra):
        headers = {}
        if self.key:
            headers["authorization"] = f"Token {self.key}"
        headers.update(extra or {})
        return headers

    def get(self, path, params=None, headers=None):
        return self.client.get(path, params or {}, headers=self._headers(headers))

    def delete(self, path, headers=None):
        return self.client.delete(path, headers=self._headers(headers))

    def post(self, path, json=None, data=None, content_type=None, headers=None):
        if json is not None:
            import orjson

            return self.client.post(
                path,
                orjson.dumps(json),
                content_type="application/json",
                headers=self._headers(headers),
            )
        return self.client.post(
            path,
            data,
            content_type=content_type or "application/x-www-form-urlencoded",
            headers=self._headers(headers),
        )

    def patch(self, path, json, headers=None):
        import orjson

        return self.client.patch(
            path,
            orjson.dumps(json),
            content_type="application/json",
            headers=self._headers(headers),
        )


@pytest.fixture
def team(db):
    return make_team("Acme")


@pytest.fixture
def other_team(db):
    return make_team("Globex")


@pytest.fixture
def api(team):
    return ApiClient(make_key(team))


@pytest.fixture
def other_api(other_team):
    return ApiClient(make_key(other_team))


@pytest.fixture
def orders(team):
    return make_model(team, "Orders", "id")


# -- browser tests: Debian's Chromium driven by Playwright, one per test session ----------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_page(browser):
    context = browser.new_context(viewport={"width": 1360, "height": 820}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()
