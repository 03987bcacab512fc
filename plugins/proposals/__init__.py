"""Proposals: participants put forward ideas, support them within limits, and the organization answers.

The flagship component type, built only on the public plugin contract of core.
"""

from __future__ import annotations

from pathlib import Path

from core.hookspecs import hookimpl
from plugins.proposals import models  # noqa: F401  (the plugin's tables on the metadata)
from plugins.proposals import services
from plugins.proposals.manifest import manifest
from plugins.proposals.permissions import RULES


@hookimpl
def register_component_types():
    return [manifest]


@hookimpl
def register_permissions():
    return RULES


@hookimpl
def register_migrations():
    return Path(__file__).parent / "migrations"


@hookimpl
async def personal_data(session, user):
    """For a person's download of their data: the proposals they wrote (drafts too) and their supports."""
    return await services.personal_data(session, user)
