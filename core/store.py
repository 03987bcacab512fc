"""Shared key-value stores for sessions, rate limits and caches.

App processes keep no state of their own. With ``redis_url`` set, stores live in
Redis; without it they live in the database (table ``core_store_entries``), so
several processes on one SQLite or PostgreSQL install still agree.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar.stores.base import NamespacedStore, Store
from litestar.stores.redis import RedisStore
from redis.asyncio import Redis
from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import utcnow
from core.models import StoreEntry
from core.settings import Settings


def _seconds(expires_in: int | timedelta | None) -> int | None:
    if isinstance(expires_in, timedelta):
        return int(expires_in.total_seconds())
    return expires_in


class DatabaseStore(NamespacedStore):
    """A litestar Store on the ``core_store_entries`` table."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], namespace: str = "participa") -> None:
        super().__init__()
        self.sessionmaker = sessionmaker
        self.namespace = namespace

    def with_namespace(self, namespace: str) -> DatabaseStore:
        return DatabaseStore(self.sessionmaker, f"{self.namespace}:{namespace}")

    def _key(self, key: str) -> str:
        return f"{self.namespace}:{key}"

    async def set(self, key: str, value: str | bytes, expires_in: int | timedelta | None = None) -> None:
        data = value.encode() if isinstance(value, str) else value
        seconds = _seconds(expires_in)
        expires_at = utcnow() + timedelta(seconds=seconds) if seconds is not None else None
        async with self.sessionmaker.begin() as session:
            # One upsert, not read-then-insert: two processes may write the same new key at once.
            insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
            statement = insert(StoreEntry).values(key=self._key(key), value=data, expires_at=expires_at)
            await session.execute(statement.on_conflict_do_update(
                index_elements=[StoreEntry.key],
                set_={"value": statement.excluded.value, "expires_at": statement.excluded.expires_at},
            ))

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        # Plain statements, not ORM objects: another process may delete or renew the same
        # entry meanwhile, and an UPDATE or DELETE that matches no row is then no error.
        name, now = self._key(key), utcnow()
        async with self.sessionmaker.begin() as session:
            row = (await session.execute(
                select(StoreEntry.value, StoreEntry.expires_at).where(StoreEntry.key == name)
            )).first()
            if row is None:
                return None
            value, expires_at = row
            if expires_at is not None and expires_at <= now:
                await session.execute(delete(StoreEntry).where(StoreEntry.key == name, StoreEntry.expires_at <= now))
                return None
            seconds = _seconds(renew_for)
            # Renewed at most once a minute: a write per page view would cost more than the minute.
            if seconds is not None and expires_at is not None and expires_at < now + timedelta(seconds=seconds - 60):
                await session.execute(
                    update(StoreEntry).where(StoreEntry.key == name, StoreEntry.expires_at.is_not(None))
                    .values(expires_at=now + timedelta(seconds=seconds))
                )
            return value

    async def delete(self, key: str) -> None:
        async with self.sessionmaker.begin() as session:
            await session.execute(delete(StoreEntry).where(StoreEntry.key == self._key(key)))

    async def delete_all(self) -> None:
        async with self.sessionmaker.begin() as session:
            prefix = self._key("")
            await session.execute(delete(StoreEntry).where(StoreEntry.key.startswith(prefix, autoescape=True)))

    async def exists(self, key: str) -> bool:
        return await self.get(key) is not None

    async def expires_in(self, key: str) -> int | None:
        async with self.sessionmaker() as session:
            expires_at = await session.scalar(select(StoreEntry.expires_at).where(StoreEntry.key == self._key(key)))
        if expires_at is None:
            return None
        return max(0, int((expires_at - utcnow()).total_seconds()))

    async def delete_expired(self) -> int:
        """Remove entries past their expiry; run periodically by the worker."""
        async with self.sessionmaker.begin() as session:
            result = await session.execute(delete(StoreEntry).where(StoreEntry.expires_at <= utcnow()))
        return result.rowcount or 0


def make_store(settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> NamespacedStore:
    """The root store of an install; each use takes its own namespace from it."""
    if settings.redis_url:
        # Timeouts, so that a Redis that is down or hung fails a request (503) instead of hanging it.
        client = Redis.from_url(settings.redis_url, socket_connect_timeout=2, socket_timeout=5)
        return RedisStore(client, namespace="participa", handle_client_shutdown=True)
    return DatabaseStore(sessionmaker)


async def reachable(store: Store) -> bool:
    """Whether the store answers (for the readiness probe)."""
    try:
        await store.exists("readyz")
    except Exception:  # a readiness probe reports failures, it does not raise them
        return False
    return True


def store_factory(root: NamespacedStore) -> Any:
    """For litestar's StoreRegistry: ``app.stores.get("sessions")`` gets a namespaced child."""

    def factory(name: str) -> Store:
        return root.with_namespace(name)

    return factory
