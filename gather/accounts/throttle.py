"""Throttling of failed attempts: sign-in, API keys, invite links and sign-ups.

A failure is recorded under a few keys (the account tried, the client's address); while
one of them has ``THROTTLE_FAILURES`` failures within ``THROTTLE_WINDOW`` seconds, the
attempt is refused with ``Throttled`` (429) before it is checked. Failures are shared by
every web process: rows of ``ThrottleFailure`` in the database, or sorted sets in Redis
when ``REDIS_URL`` is set (docs/decisions/015-throttling.md).
"""

import functools
import math
import secrets
import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from gather.core.errors import RateLimited

from .models import ThrottleFailure
from .services import sha256_hex


class Throttled(RateLimited):
    def __init__(self, retry_after: int):
        self.retry_after = retry_after
        super().__init__(
            f"Too many failed attempts. Try again in {wait_in_words(retry_after)}.",
        )


def wait_in_words(seconds: int) -> str:
    if seconds < 60:
        return "1 second" if seconds == 1 else f"{seconds} seconds"
    minutes = math.ceil(seconds / 60)
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def _hashes(scope: str, keys: list[str]) -> list[str]:
    # Keys hold emails and addresses: only their digests are stored.
    return [sha256_hex(f"{scope}:{key}") for key in keys if key]


def throttle_check(*, scope: str, keys: list[str]) -> None:
    """Raise Throttled if any of the keys is over the limit in this scope."""
    wait = max((_backend().retry_after(h) for h in _hashes(scope, keys)), default=0)
    if wait > 0:
        raise Throttled(wait)


def throttle_fail(*, scope: str, keys: list[str]) -> None:
    """Record one failed attempt under each key."""
    for h in _hashes(scope, keys):
        _backend().add(h)


def throttle_clear(*, scope: str, keys: list[str]) -> None:
    """Forget the failures of these keys (an account after a successful sign-in)."""
    for h in _hashes(scope, keys):
        _backend().clear(h)


def _backend():
    if settings.REDIS_URL:
        return _RedisFailures(settings.REDIS_URL, settings.THROTTLE_REDIS_PREFIX)
    return _DatabaseFailures()


def _window() -> float:
    return float(settings.THROTTLE_WINDOW)


def _limit() -> int:
    return int(settings.THROTTLE_FAILURES)


class _DatabaseFailures:
    """One row per failure; rows older than the window are deleted as new ones come."""

    def retry_after(self, key_hash: str) -> int:
        now = timezone.now()
        window = timedelta(seconds=_window())
        recent = list(
            ThrottleFailure.objects.filter(key_hash=key_hash, at__gt=now - window)
            .order_by("-at")
            .values_list("at", flat=True)[: _limit()]
        )
        if len(recent) < _limit():
            return 0
        # Allowed again once the oldest of the last `limit` failures leaves the window.
        return max(1, math.ceil((recent[-1] + window - now).total_seconds()))

    def add(self, key_hash: str) -> None:
        now = timezone.now()
        with transaction.atomic():
            ThrottleFailure.objects.filter(at__lte=now - timedelta(seconds=_window())).delete()
            ThrottleFailure.objects.create(key_hash=key_hash, at=now)

    def clear(self, key_hash: str) -> None:
        ThrottleFailure.objects.filter(key_hash=key_hash).delete()


@functools.cache
def _redis(url: str):
    import redis

    return redis.Redis.from_url(url)


class _RedisFailures:
    """One sorted set per key, scored by the failure's time; it expires with the window."""

    def __init__(self, url: str, prefix: str):
        self.client = _redis(url)
        self.prefix = prefix

    def retry_after(self, key_hash: str) -> int:
        now = time.time()
        key = self.prefix + key_hash
        pipe = self.client.pipeline()
        pipe.zremrangebyscore(key, "-inf", now - _window())
        pipe.zrevrange(key, 0, _limit() - 1, withscores=True)
        recent = pipe.execute()[1]
        if len(recent) < _limit():
            return 0
        return max(1, math.ceil(recent[-1][1] + _window() - now))

    def add(self, key_hash: str) -> None:
        now = time.time()
        key = self.prefix + key_hash
        pipe = self.client.pipeline()
        pipe.zadd(key, {f"{now:.6f}:{secrets.token_hex(4)}": now})
        pipe.zremrangebyscore(key, "-inf", now - _window())
        pipe.expire(key, math.ceil(_window()))
        pipe.execute()

    def clear(self, key_hash: str) -> None:
        self.client.delete(self.prefix + key_hash)
