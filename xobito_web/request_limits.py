"""Request rates of the HTTP API: per token (or signed-in person) and per client address.

The services' per-person caps (services/rate_limits.py) bound what is *stored*; these bound how
often anyone may *ask*, reads included, so a runaway script or a token-guessing address is
slowed down before it reaches the database. Fixed one-minute windows: a key may make `limit`
requests per window; the refusal says how many seconds are left (Retry-After).

One process: counted in memory. With REDIS_URL: counted in Redis (INCR + EXPIRE), so several
workers share one count per key. Blocking (Redis): call from a worker thread.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time

from xobito_web.config import settings
from xobito_web.services.rate_limits import describe_wait

WINDOW_SECONDS = 60
TOO_MANY_REQUESTS = "Too many requests. Try again in {wait}."


class LocalCounter:
    LIMIT_KEYS = 100_000  # the oldest windows are dropped past this many keys

    def __init__(self) -> None:
        self._counts: dict[str, tuple[int, int]] = {}  # key -> (window, count)
        self._lock = threading.Lock()

    def hit(self, key: str, window: int) -> int:
        with self._lock:
            seen_window, count = self._counts.get(key, (window, 0))
            count = count + 1 if seen_window == window else 1
            self._counts[key] = (window, count)
            if len(self._counts) > self.LIMIT_KEYS:
                self._counts = {k: v for k, v in self._counts.items() if v[0] == window}
            return count


class RedisCounter:
    def __init__(self, url: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url)
        self._prefix = "xobito:rate:" + hashlib.sha256(settings.database_url.encode()).hexdigest()[:16] + ":"

    def hit(self, key: str, window: int) -> int:
        name = f"{self._prefix}{key}:{window}"
        pipe = self._redis.pipeline()
        pipe.incr(name)
        pipe.expire(name, WINDOW_SECONDS * 2)
        count, _ = pipe.execute()
        return int(count)


_counter: LocalCounter | RedisCounter | None = None
_counter_lock = threading.Lock()


def counter() -> LocalCounter | RedisCounter:
    global _counter
    with _counter_lock:
        if _counter is None:
            _counter = RedisCounter(settings.redis_url) if settings.redis_url else LocalCounter()
        return _counter


def wait_seconds(key: str, limit: int, now: float | None = None) -> int:
    """Count one request of `key`; 0 when it is within `limit` per minute, else the seconds
    until the next window (a limit of 0 means no limit)."""
    if limit <= 0:
        return 0
    now = time.time() if now is None else now
    window = int(now // WINDOW_SECONDS)
    if counter().hit(key, window) <= limit:
        return 0
    return max(1, math.ceil((window + 1) * WINDOW_SECONDS - now))


def message(wait: int) -> str:
    return TOO_MANY_REQUESTS.format(wait=describe_wait(wait))
