"""Who a request comes from, and how often it may do something: counters in the cache.

`client_ip` is the one answer to "which address is this?" for the login lockout
(django-axes' AXES_CLIENT_IP_CALLABLE), the password-reset limits and, by the same rule,
DRF's throttles (NUM_PROXIES): the connection's address, or with TRUSTED_PROXY_COUNT
proxies in front, the address the outermost trusted proxy saw. What a client writes into
X-Forwarded-For itself is never believed.

`hit` counts in fixed windows ("3/hour": at most 3 in each clock hour), in the default
cache. With one cache for all web processes (CACHE_URL) the limit is the installation's;
with the per-process default, each process counts on its own.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def client_ip(request: HttpRequest) -> str:
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if not proxies or not forwarded:
        return remote
    addresses = [a.strip() for a in forwarded.split(",") if a.strip()]
    # Each trusted proxy appended the address it saw; the first of theirs is the client.
    return addresses[-min(proxies, len(addresses))] if addresses else remote


def parse_rate(rate: str) -> tuple[int, int]:
    """'3/hour' -> (3, 3600), as DRF reads its throttle rates."""
    count, period = rate.split("/")
    return int(count), PERIODS[period.strip()[0]]


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int  # seconds until the window ends (0 when allowed)


def hit(scope: str, key: str, rate: str | None) -> Verdict:
    """Count one attempt of `key` (an address, an e-mail) in `scope`; refuse beyond `rate`.
    A rate of None counts nothing and allows everything."""
    if not rate:
        return Verdict(True, 0)
    limit, period, now, cache_key = _window(scope, key, rate)
    cache.add(cache_key, 0, timeout=period + 1)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=period + 1)
        count = 1
    return _verdict(count, limit, period, now)


def peek(scope: str, key: str, rate: str | None) -> Verdict:
    """Whether `key` is already beyond `rate` in `scope`, counting nothing: for limits on
    failures only (wrong login codes), asked before the attempt and `hit` after a failure."""
    if not rate:
        return Verdict(True, 0)
    limit, period, now, cache_key = _window(scope, key, rate)
    return _verdict(cache.get(cache_key, 0) + 1, limit, period, now)


def _window(scope: str, key: str, rate: str) -> tuple[int, int, float, str]:
    limit, period = parse_rate(rate)
    now = time.time()
    window = int(now // period)
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]  # no address in the cache
    return limit, period, now, f"ratelimit:{scope}:{digest}:{period}:{window}"


def _verdict(count: int, limit: int, period: int, now: float) -> Verdict:
    if count <= limit:
        return Verdict(True, 0)
    return Verdict(False, max(int((int(now // period) + 1) * period - now), 1))
