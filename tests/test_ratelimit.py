"""Rate limits count every attempt exactly once, however many arrive at the same moment."""

from __future__ import annotations

import asyncio
import os
import uuid

import pytest
from sqlalchemy import update

from core.db import make_sessionmaker, utcnow
from core.ratelimit import DatabaseCounters, RateCounter, RateLimit, RedisCounters

REDIS_URL = os.environ.get("PARTICIPA_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture(params=["database", "redis"])
async def counters(request, engine):
    if request.param == "database":
        yield DatabaseCounters(make_sessionmaker(engine))
    else:
        redis_counters = RedisCounters(REDIS_URL, prefix=f"test-{uuid.uuid4().hex}:")
        yield redis_counters
        await redis_counters.redis.aclose()


async def test_parallel_hits_are_each_counted_once(counters):
    results = await asyncio.gather(*(counters.hit("login:marc", 60) for _ in range(25)))
    assert sorted(results) == list(range(1, 26))
    assert await counters.count("login:marc") == 25
    assert await counters.count("login:someone-else") == 0


async def test_a_limit_is_reached_and_can_be_reset(counters):
    limit = RateLimit(counters, "reset-account", limit=3, window=60)
    for _ in range(3):
        assert not await limit.exceeded("7")
        await limit.hit("7")
    assert await limit.exceeded("7")
    assert not await limit.exceeded("8")
    await limit.reset("7")
    assert not await limit.exceeded("7")


async def test_a_finished_window_starts_counting_again(engine):
    counters = DatabaseCounters(make_sessionmaker(engine))
    for _ in range(4):
        await counters.hit("k", 60)
    async with make_sessionmaker(engine).begin() as session:
        await session.execute(update(RateCounter).values(window_ends_at=utcnow()))
    assert await counters.count("k") == 0
    assert await counters.hit("k", 60) == 1
    assert await counters.delete_expired() == 0  # the new window is running


async def test_redis_windows_expire_on_their_own():
    counters = RedisCounters(REDIS_URL, prefix=f"test-{uuid.uuid4().hex}:")
    try:
        await counters.hit("k", 60)
        await counters.hit("k", 60)
        ttl = await counters.redis.ttl(counters.prefix + "k")
        assert 0 < ttl <= 60  # the second hit did not restart the window
    finally:
        await counters.redis.delete(counters.prefix + "k")
        await counters.redis.aclose()
