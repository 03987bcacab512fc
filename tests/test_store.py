"""The shared key-value store behind sessions and caches: in the database, or in Redis.

App processes keep no state of their own, so whatever one process writes to the store
another one must read back; expiry, renewal and namespaces must hold on every backend.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from core.db import make_engine, make_sessionmaker, utcnow
from core.models import StoreEntry
from core.store import DatabaseStore, make_store
from tests.conftest import make_settings

REDIS_URL = os.environ.get("PARTICIPA_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


async def expire_now(engine, store: DatabaseStore, key: str) -> None:
    """Move an entry's expiry into the past, as if its time had run out."""
    async with engine.begin() as connection:
        await connection.execute(
            update(StoreEntry).where(StoreEntry.key == store._key(key)).values(expires_at=utcnow() - timedelta(seconds=1))
        )


async def stored_keys(engine) -> set[str]:
    async with engine.connect() as connection:
        return set((await connection.execute(select(StoreEntry.key))).scalars())


@pytest.fixture
def store(engine) -> DatabaseStore:
    return DatabaseStore(make_sessionmaker(engine)).with_namespace("sessions")


@pytest.fixture
async def redis_store(tmp_path, engine, database_url):
    """A RedisStore as an install with ``redis_url`` gets it, in a namespace of this test alone."""
    settings = make_settings(tmp_path / "data", database_url, redis_url=REDIS_URL)
    root = make_store(settings, make_sessionmaker(engine))
    store = root.with_namespace(uuid.uuid4().hex)
    yield store
    await store.delete_all()
    await root._shutdown()


# ---------------------------------------------------------------- in the database


async def test_database_store_sets_gets_overwrites_and_deletes(store):
    assert await store.get("missing") is None
    await store.set("text", "Hola, Vilademo — àéí")
    await store.set("bytes", b"\x00\xff\x10binary")
    assert await store.get("text") == "Hola, Vilademo — àéí".encode()
    assert await store.get("bytes") == b"\x00\xff\x10binary"
    assert await store.exists("text") and not await store.exists("missing")
    await store.set("text", "second value")
    assert await store.get("text") == b"second value"
    await store.delete("text")
    assert await store.get("text") is None and not await store.exists("text")
    assert await store.get("bytes") == b"\x00\xff\x10binary"
    await store.delete("never-there")  # deleting a missing key is not an error


async def test_database_store_entries_expire(store, engine):
    await store.set("short", "value", expires_in=1)
    await store.set("forever", "value")
    assert await store.get("short") == b"value"
    await expire_now(engine, store, "short")
    assert await store.get("short") is None
    assert not await store.exists("short")
    assert await store.get("forever") == b"value"
    # Reading an expired entry removes it.
    assert await stored_keys(engine) == {"participa:sessions:forever"}


async def test_database_store_expires_in_reports_the_remaining_time(store, engine):
    await store.set("minute", "v", expires_in=60)
    await store.set("day", "v", expires_in=timedelta(days=1))
    await store.set("forever", "v")
    assert 55 <= await store.expires_in("minute") <= 60
    assert 86400 - 5 <= await store.expires_in("day") <= 86400
    assert await store.expires_in("forever") is None
    assert await store.expires_in("missing") is None
    await expire_now(engine, store, "minute")
    assert await store.expires_in("minute") == 0


async def test_database_store_renew_for_extends_the_expiry(store):
    await store.set("session", "data", expires_in=60)
    assert await store.get("session", renew_for=3600) == b"data"
    assert 3590 <= await store.expires_in("session") <= 3600
    assert await store.get("session", renew_for=timedelta(hours=2)) == b"data"
    assert 7190 <= await store.expires_in("session") <= 7200
    # Without renew_for a read leaves the expiry alone.
    await store.set("other", "data", expires_in=60)
    await store.get("other")
    assert await store.expires_in("other") <= 60
    # An entry stored without expiry does not get one by being renewed.
    await store.set("forever", "data")
    assert await store.get("forever", renew_for=60) == b"data"
    assert await store.expires_in("forever") is None


async def test_database_store_renewal_does_not_revive_an_expired_entry(store, engine):
    await store.set("session", "data", expires_in=60)
    await expire_now(engine, store, "session")
    assert await store.get("session", renew_for=3600) is None
    assert await store.get("session") is None


async def test_database_store_delete_all_clears_only_its_own_namespace(engine):
    root = DatabaseStore(make_sessionmaker(engine))
    sessions, cache = root.with_namespace("sessions"), root.with_namespace("cache")
    lookalike = root.with_namespace("sessionsx")  # a namespace starting with the same letters
    wildcard = root.with_namespace("s%")  # LIKE wildcards in a namespace are literal
    for store in (sessions, cache, lookalike, wildcard):
        await store.set("key", "value")
    await sessions.set("other", "value")
    # The same key in two namespaces is two entries.
    assert await sessions.get("key") == await cache.get("key") == b"value"
    await cache.set("key", "cached")
    assert await sessions.get("key") == b"value"

    await wildcard.delete_all()
    assert await wildcard.get("key") is None
    assert await sessions.get("key") == b"value" and await lookalike.get("key") == b"value"

    await sessions.delete_all()
    assert await sessions.get("key") is None and await sessions.get("other") is None
    assert await cache.get("key") == b"cached"
    assert await lookalike.get("key") == b"value"


async def test_delete_expired_removes_only_expired_entries(engine):
    root = DatabaseStore(make_sessionmaker(engine))
    sessions, cache = root.with_namespace("sessions"), root.with_namespace("cache")
    await sessions.set("old", "v", expires_in=60)
    await cache.set("old", "v", expires_in=60)
    await sessions.set("fresh", "v", expires_in=3600)
    await sessions.set("forever", "v")
    await expire_now(engine, sessions, "old")
    await expire_now(engine, cache, "old")
    assert await root.delete_expired() == 2
    assert await stored_keys(engine) == {"participa:sessions:fresh", "participa:sessions:forever"}
    assert await root.delete_expired() == 0


async def test_two_processes_share_entries_through_the_database(engine, database_url):
    """Each app process has its own engine; a session written by one is read by the next."""
    other_engine = make_engine(database_url)
    try:
        first = DatabaseStore(make_sessionmaker(engine)).with_namespace("sessions")
        second = DatabaseStore(make_sessionmaker(other_engine)).with_namespace("sessions")
        await first.set("abc", "logged in", expires_in=600)
        assert await second.get("abc") == b"logged in"
        await second.set("abc", "changed", expires_in=600)
        assert await first.get("abc") == b"changed"
        assert await first.get("abc", renew_for=3600) == b"changed"
        assert await second.expires_in("abc") > 600
        await second.delete("abc")
        assert await first.get("abc") is None
    finally:
        await other_engine.dispose()


async def test_concurrent_writes_of_one_key_from_two_processes_all_succeed(engine, database_url):
    """Two app processes may write the same new key at once (a rate limit counter, a cache
    entry): neither request may fail, and the store ends up holding one of the values."""
    other_engine = make_engine(database_url)
    try:
        first = DatabaseStore(make_sessionmaker(engine)).with_namespace("cache")
        second = DatabaseStore(make_sessionmaker(other_engine)).with_namespace("cache")
        for round_ in range(5):
            key = f"fresh-{round_}"
            writes = [(first if i % 2 else second).set(key, f"value-{i}", expires_in=60) for i in range(10)]
            await asyncio.gather(*writes)
            assert await first.get(key) in {f"value-{i}".encode() for i in range(10)}
            reads = [(first if i % 2 else second).get(key, renew_for=120) for i in range(10)]
            assert None not in await asyncio.gather(*reads)
    finally:
        await other_engine.dispose()


async def test_concurrent_reads_of_an_expired_or_deleted_entry_all_succeed(engine, database_url):
    """Several requests carrying the same expired session cookie, or a read racing a logout:
    every read answers (None or the value), none of them fails."""
    other_engine = make_engine(database_url)
    try:
        first = DatabaseStore(make_sessionmaker(engine)).with_namespace("sessions")
        second = DatabaseStore(make_sessionmaker(other_engine)).with_namespace("sessions")
        for round_ in range(5):
            key = f"expired-{round_}"
            await first.set(key, "old session", expires_in=60)
            await expire_now(engine, first, key)
            reads = [(first if i % 2 else second).get(key, renew_for=3600) for i in range(10)]
            assert await asyncio.gather(*reads) == [None] * 10
            key = f"logout-{round_}"
            await first.set(key, "session", expires_in=60)
            racing = [(first if i % 2 else second).get(key, renew_for=3600) for i in range(10)]
            results = await asyncio.gather(second.delete(key), *racing)
            assert set(results[1:]) <= {None, b"session"}
            assert await first.get(key) is None
    finally:
        await other_engine.dispose()


# ---------------------------------------------------------------- in Redis


async def test_redis_store_is_used_when_redis_url_is_set(tmp_path, engine, database_url):
    from litestar.stores.redis import RedisStore

    settings = make_settings(tmp_path / "data", database_url, redis_url=REDIS_URL)
    root = make_store(settings, make_sessionmaker(engine))
    try:
        assert isinstance(root, RedisStore)
        assert root.namespace == "participa"
    finally:
        await root._shutdown()
    without = make_store(make_settings(tmp_path / "data", database_url), make_sessionmaker(engine))
    assert isinstance(without, DatabaseStore)


async def test_redis_store_sets_gets_overwrites_and_deletes(redis_store, engine):
    assert await redis_store.get("missing") is None
    await redis_store.set("text", "Hola, Vilademo — àéí")
    await redis_store.set("bytes", b"\x00\xff\x10binary")
    assert await redis_store.get("text") == "Hola, Vilademo — àéí".encode()
    assert await redis_store.get("bytes") == b"\x00\xff\x10binary"
    assert await redis_store.exists("text") and not await redis_store.exists("missing")
    await redis_store.set("text", "second value")
    assert await redis_store.get("text") == b"second value"
    await redis_store.delete("text")
    assert await redis_store.get("text") is None and not await redis_store.exists("text")
    await redis_store.delete("never-there")
    # Nothing went to the database.
    assert await stored_keys(engine) == set()


async def test_redis_store_entries_expire_and_renew(redis_store):
    await redis_store.set("short", "value", expires_in=1)
    await redis_store.set("session", "data", expires_in=60)
    assert 55 <= await redis_store.expires_in("session") <= 60
    assert await redis_store.get("session", renew_for=3600) == b"data"
    assert 3590 <= await redis_store.expires_in("session") <= 3600
    assert await redis_store.get("short") == b"value"
    for _ in range(50):  # Redis expires keys itself; wait (at most 5 s) for it
        if await redis_store.get("short") is None:
            break
        await asyncio.sleep(0.1)
    assert await redis_store.get("short") is None
    assert not await redis_store.exists("short")
    assert await redis_store.get("session") == b"data"


async def test_redis_store_delete_all_clears_only_its_own_namespace(redis_store):
    sessions, cache = redis_store.with_namespace("sessions"), redis_store.with_namespace("cache")
    await sessions.set("key", "value")
    await cache.set("key", "cached")
    await sessions.delete_all()
    assert await sessions.get("key") is None
    assert await cache.get("key") == b"cached"


async def test_two_processes_share_entries_through_redis(tmp_path, engine, database_url):
    namespace = uuid.uuid4().hex
    settings = make_settings(tmp_path / "data", database_url, redis_url=REDIS_URL)
    roots = [make_store(settings, make_sessionmaker(engine)) for _ in range(2)]
    first, second = (root.with_namespace(namespace) for root in roots)
    try:
        await first.set("abc", "logged in", expires_in=600)
        assert await second.get("abc") == b"logged in"
        await second.delete("abc")
        assert await first.get("abc") is None
    finally:
        await first.delete_all()
        for root in roots:
            await root._shutdown()
