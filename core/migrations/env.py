"""Alembic environment shared by core and every plugin (see core/migrations/__init__.py)."""

from __future__ import annotations

from alembic import context
from sqlalchemy.types import TypeDecorator

import core.models  # noqa: F401  (core's tables on the metadata)
from core.db import Base
from core.migrations import unmodelled

config = context.config
plugin = config.attributes.get("plugin")


def include_object(obj, name, type_, reflected, compare_to):
    """When one plugin autogenerates, it sees only its own tables (named with its prefix); nobody sees
    the full-text objects that only migrations make."""
    if unmodelled(name):
        return False
    if plugin is None or type_ != "table":
        return True
    return name.startswith(f"{plugin}_") or name == "alembic_version"


def render_item(type_, obj, autogen_context):
    """Migrations name plain SQLAlchemy types, so they never import application code."""
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl!r}"
    return False


def run_migrations() -> None:
    connection = config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        include_object=include_object,
        render_item=render_item,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported: run `participa db upgrade` against a database")
run_migrations()
