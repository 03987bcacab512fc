"""Counting attempts in a fixed time window, shared by every app process.

Counters are incremented atomically (Redis INCR, or one INSERT ... ON CONFLICT DO UPDATE
... RETURNING in the database), so parallel attempts can never slip past a limit. Used
for logins, registrations, password resets and, later, votes.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from redis import asyncio as aioredis
from sqlalchemy import String, case, delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, utcnow
from core.settings import Settings


class RateCounter(Base):
    """One counting window of a rate limit, when no Redis is configured."""

    __tablename__ = "core_rate_counters"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int]
    window_ends_at: Mapped[datetime] = mapped_column(index=True)


class Counters(Protocol):
    async def hit(self, key: str, window: int) -> int: ...
    async def count(self, key: str) -> int: ...
    async def reset(self, key: str) -> None: ...


class DatabaseCounters:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker

    async def hit(self, key: str, window: int) -> int:
        """One more in the current window (a new window when the last one is over); the new count."""
        now = utcnow()
        async with self.sessionmaker.begin() as session:
            insert = postgresql_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
            statement = insert(RateCounter).values(key=key, count=1, window_ends_at=now + timedelta(seconds=window))
            over = RateCounter.window_ends_at <= now
            statement = statement.on_conflict_do_update(
                index_elements=[RateCounter.key],
                set_={
                    "count": case((over, 1), else_=RateCounter.count + 1),
                    "window_ends_at": case((over, statement.excluded.window_ends_at), else_=RateCounter.window_ends_at),
                },
            ).returning(RateCounter.count)
            return (await session.execute(statement)).scalar_one()

    async def count(self, key: str) -> int:
        async with self.sessionmaker() as session:
            value = await session.scalar(
                select(RateCounter.count).where(RateCounter.key == key, RateCounter.window_ends_at > utcnow())
            )
        return value or 0

    async def reset(self, key: str) -> None:
        async with self.sessionmaker.begin() as session:
            await session.execute(delete(RateCounter).where(RateCounter.key == key))

    async def delete_expired(self) -> int:
        async with self.sessionmaker.begin() as session:
            result = await session.execute(delete(RateCounter).where(RateCounter.window_ends_at <= utcnow()))
        return result.rowcount or 0


class RedisCounters:
    def __init__(self, url: str, prefix: str = "participa:rate:") -> None:
        self.redis = aioredis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        self.prefix = prefix

    async def hit(self, key: str, window: int) -> int:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(self.prefix + key)
            pipe.expire(self.prefix + key, window, nx=True)
            count, _ = await pipe.execute()
        return int(count)

    async def count(self, key: str) -> int:
        value = await self.redis.get(self.prefix + key)
        return int(value) if value else 0

    async def reset(self, key: str) -> None:
        await self.redis.delete(self.prefix + key)


def make_counters(settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> Counters:
    return RedisCounters(settings.redis_url) if settings.redis_url else DatabaseCounters(sessionmaker)


class RateLimit:
    """At most ``limit`` hits per key within ``window`` seconds of the first one."""

    def __init__(self, counters: Counters, name: str, limit: int, window: int) -> None:
        self.counters = counters
        self.name = name
        self.limit = limit
        self.window = window

    def _key(self, key: str) -> str:
        return f"{self.name}:{key}"

    async def exceeded(self, key: str) -> bool:
        return await self.counters.count(self._key(key)) >= self.limit

    async def hit(self, key: str) -> int:
        return await self.counters.hit(self._key(key), self.window)

    async def reset(self, key: str) -> None:
        await self.counters.reset(self._key(key))
