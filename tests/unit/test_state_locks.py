"""The scale path's tab-state locks: the worker hears lock releases from its start."""

from __future__ import annotations

import asyncio
import os
from types import SimpleNamespace

import pytest
import redis
import redis.asyncio
from reflex.istate.manager.redis import StateManagerRedis

from tests.conftest import IN_CI
from xobito_web.state_locks import subscribe_to_lock_releases

REDIS_URL = os.environ.get("XOBITO_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def redis_url() -> str:
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as error:
        if IN_CI:
            pytest.fail(f"Redis is required under CI but unreachable at {REDIS_URL}: {error}")
        pytest.skip(f"no Redis server at {REDIS_URL}")
    return REDIS_URL


def test_a_starting_worker_subscribes_to_lock_releases_before_any_event_waits(redis_url):
    manager = StateManagerRedis(redis=redis.asyncio.Redis.from_url(redis_url))  # type: ignore[abstract]  # Reflex: its overloads read as abstract

    async def start() -> tuple[bool, bool]:
        before = manager._lock_updates_subscribed.is_set()
        await subscribe_to_lock_releases(SimpleNamespace(state_manager=manager))
        after = manager._lock_updates_subscribed.is_set()
        await manager.close()
        return before, after

    # Reflex alone would subscribe only when a first event has to wait for a lock.
    assert asyncio.run(start()) == (False, True)
