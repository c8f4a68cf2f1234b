"""The throttle's count is shared by every web process of a real `gather serve` (two
processes here): in the database without REDIS_URL, in Redis with it."""

import uuid

import httpx
import pytest

from tests.e2e.conftest import start_server, stop_server

pytestmark = pytest.mark.slow

REDIS = "redis://127.0.0.1:6379/0"


@pytest.mark.parametrize("storage", ["database", "redis"])
def test_failed_api_key_checks_are_counted_across_processes(transactional_db, tmp_path, storage):
    env = {}
    if storage == "redis":
        env = {"REDIS_URL": REDIS, "GATHER_HUEY_NAME": f"t{uuid.uuid4().hex}"}
    server = start_server(tmp_path, extra_env=env)
    try:
        statuses = []
        for n in range(11):
            # A new connection each time, so the attempts spread over the processes.
            with httpx.Client(base_url=server.base, timeout=30) as client:
                resp = client.get("/api/models", headers={"Authorization": f"Token gth_bad{n}"})
                statuses.append(resp.status_code)
        assert statuses == [401] * 10 + [429], statuses
        assert resp.json()["error"]["code"] == "rate_limited"
        assert int(resp.headers["Retry-After"]) > 0
    finally:
        stop_server(server)
        if storage == "redis":
            import redis

            client = redis.Redis.from_url(REDIS)
            for key in client.scan_iter(f"{env['GATHER_HUEY_NAME']}:*"):
                client.delete(key)
