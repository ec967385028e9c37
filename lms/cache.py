"""Cached reads with exact invalidation: a namespace of keys under one version number.

Each namespace (pages, roles, ...) keeps a version in the shared cache; every key of the
namespace embeds it, so `invalidate()` retires every entry at once, without knowing them.
A write that changes what the namespace caches calls `invalidate()`: once at once and once
more after its transaction commits, so a reader who read the old rows between the two can
only have cached them under a version that is already gone.

The version is read once per request (then remembered until the request ends) and on
every call outside a request (Celery tasks, management commands). An evicted version
starts again from the clock, never from a number used before, so eviction costs a miss,
never a stale answer.

The cache must be shared by every process that serves pages (Redis in production): with
a per-process cache (the demo's local memory, one web process) an invalidation made in
another process (a worker) is seen there only when its entries expire.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import transaction

ENTRY_SECONDS = 24 * 3600  # entries of a version nobody reads any more go away by themselves
_MISSING = object()

_request = threading.local()


def _request_started(**kwargs) -> None:
    _request.versions = {}


def _request_finished(**kwargs) -> None:
    _request.versions = None


request_started.connect(_request_started, dispatch_uid="lms.cache.request_started")
request_finished.connect(_request_finished, dispatch_uid="lms.cache.request_finished")


# Entries kept in this process too (`local=True`): a versioned key's value never changes,
# so a process may keep it as long as it likes and still read the version from the shared
# cache once per request. Only for values nobody mutates (strings, tuples, frozen
# dataclasses): every reader of the process gets the same object.
LOCAL_ENTRIES = 2000
_local: OrderedDict[str, Any] = OrderedDict()
_local_lock = threading.Lock()


def _local_get(key: str) -> Any:
    with _local_lock:
        value = _local.get(key, _MISSING)
        if value is not _MISSING:
            _local.move_to_end(key)
        return value


def _local_set(key: str, value: Any) -> None:
    with _local_lock:
        _local[key] = value
        while len(_local) > LOCAL_ENTRIES:
            _local.popitem(last=False)


def forget_local() -> None:
    with _local_lock:
        _local.clear()


# The namespaces whose versions a request reads together, by name: the fixed ones a module
# declares. A namespace made per place or per object (a report's scope) is read alone: there
# may be thousands, and a process that had served many would otherwise read every one of
# their versions on each later request (and keep one more object per request it served).
_namespaces: dict[str, Namespace] = {}
_EVERY = "\x00every"  # marks a request that has read every namespace's version


class Namespace:
    def __init__(self, name: str, *, read_together: bool = True):
        """`read_together`: a fixed namespace of a module, whose version every request's
        first version read fetches with the others; False for a namespace made on the
        fly (one per scope, per object), read alone when used."""
        self.name = name
        self.version_key = f"{name}:version"
        if read_together:
            _namespaces[name] = self

    def version(self) -> int:
        remembered = getattr(_request, "versions", None)
        if remembered is not None:
            if self.name in remembered:
                return remembered[self.name]
            if _EVERY not in remembered and getattr(cache, "round_trips", False):
                # the first version a request reads: every namespace's, in one round trip
                # to Redis (a page reads several: pages, roles, a cohort's courses...)
                remembered[_EVERY] = True
                together = list(_namespaces.values())
                found = cache.get_many([ns.version_key for ns in together])
                for ns in together:
                    if found.get(ns.version_key) is not None:
                        remembered[ns.name] = found[ns.version_key]
                if self.name in remembered:
                    return remembered[self.name]
        version = cache.get(self.version_key)
        if version is None:
            cache.add(self.version_key, time.time_ns(), None)
            version = cache.get(self.version_key) or time.time_ns()
        if remembered is not None:
            remembered[self.name] = version
        return version

    def key(self, *parts: Any) -> str:
        return ":".join([self.name, str(self.version()), *(str(p) for p in parts)])

    def get_or_set(
        self,
        parts: tuple,
        compute: Callable[[], Any],
        timeout: int = ENTRY_SECONDS,
        *,
        local: bool = False,
    ):
        """The entry, computed and stored on a miss. `local`: kept in this process too (an
        immutable value only; see LOCAL_ENTRIES)."""
        key = self.key(*parts)
        value = _local_get(key) if local else _MISSING
        if value is _MISSING:
            value = cache.get(key, _MISSING)
            if value is _MISSING:
                value = compute()
                cache.set(key, value, timeout)
            if local:
                _local_set(key, value)
        return value

    def get(self, parts: tuple, *, local: bool = False):
        """The entry or None (then `set` it)."""
        key = self.key(*parts)
        value = _local_get(key) if local else _MISSING
        if value is _MISSING:
            value = cache.get(key)
            if local and value is not None:
                _local_set(key, value)
        return value

    def set(self, parts: tuple, value: Any, timeout: int = ENTRY_SECONDS, *, local: bool = False):
        key = self.key(*parts)
        cache.set(key, value, timeout)
        if local:
            _local_set(key, value)

    def in_process(self, parts: tuple, compute: Callable[[], Any]):
        """The entry, kept in this process only (never in the shared cache), computed on a
        miss: for values that are cheap to keep but not to share (a model instance). The
        caller must not change it: copy it first."""
        key = self.key(*parts)
        value = _local_get(key)
        if value is _MISSING:
            value = compute()
            _local_set(key, value)
        return value

    def invalidate(self) -> None:
        """Retire every entry of the namespace, now and once more after the transaction
        (if any) commits."""
        self._bump()
        transaction.on_commit(self._bump, robust=True)

    def _bump(self) -> None:
        try:
            cache.incr(self.version_key)
        except ValueError:  # evicted or never set: restart from the clock
            cache.set(self.version_key, time.time_ns(), None)
        remembered = getattr(_request, "versions", None)
        if remembered is not None:
            remembered.pop(self.name, None)


class PerId:
    """A version per id (a cohort, ...): entries about one id are keyed by its version, and
    a change to what they show draws a new one (`renew`), now and again once the writer's
    transaction commits, as `Namespace.invalidate` does. A version is a random number that
    expires a day after it was drawn (then drawn again, which only costs a miss), so
    nothing is kept for ids nobody reads."""

    def __init__(self, name: str):
        self.name = name

    def _key(self, pk) -> str:
        return f"{self.name}:{pk}:version"

    def version(self, pk) -> int:
        key = self._key(pk)
        version = cache.get(key)
        if version is None:
            version = secrets.randbits(62)
            if not cache.add(key, version, ENTRY_SECONDS):
                version = cache.get(key, version)  # drawn by another reader meanwhile
        return version

    def renew(self, *ids) -> None:
        ids = sorted(set(ids))
        if not ids:
            return
        self._draw(ids)
        if transaction.get_connection().in_atomic_block:
            transaction.on_commit(lambda: self._draw(ids), robust=True)

    def _draw(self, ids) -> None:
        cache.set_many({self._key(pk): secrets.randbits(62) for pk in ids}, ENTRY_SECONDS)


# ---------------------------------------------------------------------------------------
# Write buffers: a write made on every page view (a lesson visit) appended to a list in the
# shared cache, and applied in bulk by a periodic task, instead of a transaction per view.
# Only with Redis (lms.cache_backends.ResilientRedisCache): with any other cache, or
# Redis down, `buffer_push` says no and the caller writes at once.
# ---------------------------------------------------------------------------------------


def buffer_push(name: str, item: str) -> bool:
    """Append `item` to the buffer `name`; False when there is no shared buffer."""
    push = getattr(cache, "list_push", None)
    return bool(push and push(f"buffer:{name}", item))


def buffer_take(name: str, limit: int) -> list[str]:
    """Take (remove and return) the oldest `limit` items of the buffer `name`."""
    take = getattr(cache, "list_take", None)
    return take(f"buffer:{name}", limit) if take else []
