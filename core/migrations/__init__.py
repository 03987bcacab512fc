"""One Alembic environment in which core and every plugin own a branch labelled with their name.

Every installed plugin's folder is on the version path, so history resolves even for a
disabled plugin (its tables stay as they were); ``upgrade`` moves only core and the
enabled plugins to their heads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

HERE = Path(__file__).resolve().parent
# Full-text search objects that only migrations create (the metadata cannot describe them): the FTS5
# table with its shadow tables on SQLite, the stored tsvector and its GIN index on PostgreSQL.
# Autogenerate and the models-versus-migrations test leave them alone.
UNMODELLED = ("core_search_fts", "ix_core_search_documents_terms", "terms_vector")


def unmodelled(name: str | None) -> bool:
    """Whether a table or index is one of the migrations-only objects above."""
    return bool(name) and name.startswith(UNMODELLED)  # type: ignore[union-attr]


def alembic_config(registry: Any, connection: Connection | None = None, plugin: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    locations = registry.migration_locations()
    cfg.set_main_option("version_locations", " ".join(str(path) for path in locations.values()))
    cfg.set_main_option("path_separator", "space")
    cfg.attributes["registry"] = registry
    cfg.attributes["connection"] = connection
    cfg.attributes["plugin"] = plugin
    return cfg


def branches(registry: Any) -> list[str]:
    """Core first, then every enabled plugin that has at least one migration."""
    enabled = {info.name for info in registry.enabled()}
    script = ScriptDirectory.from_config(alembic_config(registry))
    labelled = {label for revision in script.walk_revisions() for label in revision.branch_labels or ()}
    names = [name for name in registry.migration_locations() if name in enabled and name in labelled]
    return sorted(names, key=lambda name: name != "core")


def expected_heads(registry: Any) -> set[str]:
    script = ScriptDirectory.from_config(alembic_config(registry))
    return {script.get_revision(f"{name}@head").revision for name in branches(registry)}  # type: ignore[union-attr]


def pending(registry: Any, applied: set[str]) -> set[str]:
    """Heads of core and enabled plugins not yet reached by the applied revisions.

    A plugin revision that depends on core stands alone in ``alembic_version``, so what is
    applied is everything reachable from the recorded heads, not just the heads themselves.
    """
    script = ScriptDirectory.from_config(alembic_config(registry))
    reached = {revision.revision for revision in script.iterate_revisions(tuple(applied), "base")} if applied else set()
    return expected_heads(registry) - reached


def current_heads(connection: Connection) -> set[str]:
    return set(MigrationContext.configure(connection).get_current_heads())


def _upgrade(connection: Connection, registry: Any, targets: list[str]) -> None:
    cfg = alembic_config(registry, connection)
    for target in targets:
        command.upgrade(cfg, target)


async def upgrade(engine: AsyncEngine, registry: Any, targets: list[str] | None = None) -> None:
    """Bring core and every enabled plugin to head (or to the given targets)."""
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade, registry, targets or [f"{name}@head" for name in branches(registry)])


def _downgrade(connection: Connection, registry: Any, target: str) -> None:
    command.downgrade(alembic_config(registry, connection), target)


async def downgrade(engine: AsyncEngine, registry: Any, target: str) -> None:
    """Downgrade to a revision or a label such as ``pages@base`` or ``base``."""
    async with engine.begin() as connection:
        await connection.run_sync(_downgrade, registry, target)


async def current(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        return await connection.run_sync(current_heads)


def revision(registry: Any, plugin: str, message: str, engine_url: str) -> Any:
    """Autogenerate a revision in ``plugin``'s branch, comparing only that plugin's tables."""
    import asyncio

    from core.db import make_engine

    async def run() -> Any:
        engine = make_engine(engine_url)
        try:
            async with engine.begin() as connection:
                return await connection.run_sync(_revision, registry, plugin, message)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _revision(connection: Connection, registry: Any, plugin: str, message: str) -> Any:
    cfg = alembic_config(registry, connection, plugin=plugin)
    script = ScriptDirectory.from_config(cfg)
    has_branch = any(plugin in (rev.branch_labels or ()) for rev in script.walk_revisions())
    location = str(registry.migration_locations()[plugin])
    if has_branch:
        return command.revision(cfg, message, autogenerate=True, head=f"{plugin}@head", version_path=location)
    # A plugin's first revision depends on core's newest, whose tables it references.
    depends_on = None if plugin == "core" else script.get_revision("core@head").revision  # type: ignore[union-attr]
    return command.revision(
        cfg, message, autogenerate=True, head="base", branch_label=plugin, version_path=location,
        depends_on=depends_on,
    )
