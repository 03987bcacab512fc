"""Counting attempts in a fixed time window, in the shared store (so every app process agrees).

Used for logins, registrations, password resets and, later, votes.
"""

from __future__ import annotations

from litestar.stores.base import Store


class RateLimit:
    """At most ``limit`` hits per key within ``window`` seconds of the first one."""

    def __init__(self, store: Store, name: str, limit: int, window: int) -> None:
        self.store = store
        self.name = name
        self.limit = limit
        self.window = window

    def _key(self, key: str) -> str:
        return f"{self.name}:{key}"

    async def count(self, key: str) -> int:
        raw = await self.store.get(self._key(key))
        return int(raw) if raw else 0

    async def exceeded(self, key: str) -> bool:
        return await self.count(key) >= self.limit

    async def hit(self, key: str) -> int:
        """Count one more attempt; the window keeps running from the first one."""
        count = await self.count(key) + 1
        remaining = await self.store.expires_in(self._key(key)) if count > 1 else None
        await self.store.set(self._key(key), str(count), expires_in=remaining or self.window)
        return count

    async def reset(self, key: str) -> None:
        await self.store.delete(self._key(key))
