"""Pages: a small component type that shows pages of text inside a space.

It is the worked example of docs/plugins.md: a manifest, a table with its own
migration branch, public routes, templates, translations and demo content.
"""

from __future__ import annotations

from pathlib import Path

from core.hookspecs import hookimpl
from plugins.pages import models  # noqa: F401  (the plugin's tables on the metadata)
from plugins.pages.manifest import manifest


@hookimpl
def register_component_types():
    return [manifest]


@hookimpl
def register_migrations():
    return Path(__file__).parent / "migrations"
