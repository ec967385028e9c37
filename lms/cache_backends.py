"""Django's Redis cache, where Redis being down (refused, timed out) is a miss and a write
that could not be made, so that pages are drawn from the database instead of failing.

Everything the platform caches can be recomputed: pages, roles, dashboards and reports
from the database (lms/cache.py), Wagtail's site roots, sessions (`cached_db` reads the
database on a miss). Throttles and rate limits count nothing while Redis is away (they
fail open; the login lockout is counted in the database by django-axes). Logged at most
once a minute. What was cached before an outage and retired during it could be shown
again if the same Redis came back with its data; a Redis that keeps nothing on disk, as
the platform's, comes back empty.
"""

from __future__ import annotations

import logging
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

DOWN = (RedisConnectionError, RedisTimeoutError, OSError)


class ResilientRedisCache(RedisCache):
    _logged_at = 0.0
    round_trips = True  # a read costs a round trip, many keys cost one (lms.cache)

    def _down(self, operation: str, error: Exception) -> None:
        now = time.monotonic()
        if now - ResilientRedisCache._logged_at > 60:
            ResilientRedisCache._logged_at = now
            log.warning("cache unavailable (%s): %s; reading the database", operation, error)

    def get(self, key, default=None, version=None):
        try:
            return super().get(key, default, version)
        except DOWN as error:
            self._down("get", error)
            return default

    def get_many(self, keys, version=None):
        try:
            return super().get_many(keys, version)
        except DOWN as error:
            self._down("get_many", error)
            return {}

    def has_key(self, key, version=None):
        try:
            return super().has_key(key, version)
        except DOWN as error:
            self._down("has_key", error)
            return False

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().add(key, value, timeout, version)
        except DOWN as error:
            self._down("add", error)
            return False

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            super().set(key, value, timeout, version)
        except DOWN as error:
            self._down("set", error)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().set_many(data, timeout, version)
        except DOWN as error:
            self._down("set_many", error)
            return list(data)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().touch(key, timeout, version)
        except DOWN as error:
            self._down("touch", error)
            return False

    def delete(self, key, version=None):
        try:
            return super().delete(key, version)
        except DOWN as error:
            self._down("delete", error)
            return False

    def delete_many(self, keys, version=None):
        try:
            return super().delete_many(keys, version)
        except DOWN as error:
            self._down("delete_many", error)

    def incr(self, key, delta=1, version=None):
        try:
            return super().incr(key, delta, version)
        except DOWN as error:  # the caller sees a missing key (lms/cache.py restarts it)
            self._down("incr", error)
            raise ValueError(f"Key '{key}' not found (cache unavailable)") from error

    def clear(self):
        try:
            return super().clear()
        except DOWN as error:
            self._down("clear", error)
            return False

    # A list in Redis, for writes buffered and applied in bulk (lms.cache.buffer_push).
    def list_push(self, key: str, value: str) -> bool:
        """Append `value`; False when Redis is down (the caller writes at once instead)."""
        key = self.make_and_validate_key(key)
        try:
            self._cache.get_client(key, write=True).rpush(key, value)
        except DOWN as error:
            self._down("rpush", error)
            return False
        return True

    def list_take(self, key: str, limit: int) -> list[str]:
        """Remove and return the first `limit` values, atomically (two takers never get the
        same value); [] when Redis is down."""
        key = self.make_and_validate_key(key)
        try:
            client = self._cache.get_client(key, write=True)
            with client.pipeline(transaction=True) as pipe:
                pipe.lrange(key, 0, limit - 1)
                pipe.ltrim(key, limit, -1)
                values, _trimmed = pipe.execute()
        except DOWN as error:
            self._down("take", error)
            return []
        return [v.decode() if isinstance(v, bytes) else v for v in values]
