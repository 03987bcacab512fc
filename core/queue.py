"""Background work on huey: SQLite-backed on a laptop, Redis-backed in production.

Tasks are ``async def run(ctx, **kwargs)`` functions registered through the
``register_tasks`` hook. Each run gets its own engine and event loop, because a
worker thread shares nothing with the web process that enqueued it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import anyio
import redis
from huey import RedisHuey, SqliteHuey
from huey.api import Huey
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import make_engine
from core.events import event_sessionmaker
from core.manifest import Task
from core.settings import Settings


class TaskContext:
    """What a running task may use: settings, the plugin registry and a database sessionmaker."""

    def __init__(self, settings: Settings, registry: Any, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.settings = settings
        self.registry = registry
        self.sessionmaker = sessionmaker
        self.queue: Queue | None = None


def make_huey(settings: Settings, name: str = "participa") -> Huey:
    """``name`` keeps the keys of several queues on one Redis apart (tests use their own)."""
    if settings.queue_url:
        # Timeouts, so an unreachable Redis fails a readiness probe instead of hanging it.
        pool = redis.ConnectionPool.from_url(settings.queue_url, socket_connect_timeout=2, socket_timeout=10)
        return RedisHuey(name, connection_pool=pool, immediate=settings.queue_immediate)
    settings.data_path.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(
        name, filename=str(settings.data_path / "queue.sqlite3"), immediate=settings.queue_immediate
    )


class Queue:
    """The install's task queue, with every registered task bound to it by name."""

    def __init__(self, settings: Settings, registry: Any, name: str = "participa") -> None:
        self.settings = settings
        self.registry = registry
        self.huey = make_huey(settings, name)
        self.tasks: dict[str, Callable[..., Any]] = {}
        for task in registry.tasks.values():
            runner = self._runner(task)
            if task.schedule is not None:
                self.tasks[task.name] = self.huey.periodic_task(
                    task.schedule, retries=task.retries, retry_delay=task.retry_delay, name=task.name
                )(runner)
            else:
                self.tasks[task.name] = self.huey.task(
                    retries=task.retries, retry_delay=task.retry_delay, name=task.name
                )(runner)

    def _runner(self, task: Task) -> Callable[..., Any]:
        def run(**kwargs: Any) -> Any:
            return asyncio.run(self.run_now(task.name, **kwargs))

        run.__name__ = task.name.replace(".", "_")
        return run

    async def run_now(self, name: str, **kwargs: Any) -> Any:
        """Run a task in the current event loop with a fresh engine (the worker's path, and the CLI's)."""
        engine = make_engine(self.settings.effective_database_url)
        ctx = TaskContext(self.settings, self.registry, event_sessionmaker(engine, self.registry, self))
        ctx.queue = self
        try:
            return await self.registry.tasks[name].run(ctx, **kwargs)
        finally:
            await engine.dispose()

    async def enqueue(self, name: str, **kwargs: Any) -> Any:
        """Queue a task; call it after the transaction that it depends on has committed.

        Enqueueing touches SQLite or Redis synchronously, so it happens in a thread; in
        immediate mode the task itself then runs there, with its own event loop.
        """
        if name not in self.tasks:
            raise KeyError(f"unknown task {name!r}")
        return await anyio.to_thread.run_sync(lambda: self.tasks[name](**kwargs))

    def reachable(self) -> bool:
        try:
            self.huey.pending_count()
        except Exception:
            return False
        return True
