"""Proposals: participants put forward ideas, support them within limits, and the organization answers.

The flagship component type, built only on the public plugin contract of core.
"""

from __future__ import annotations

from pathlib import Path

from core.hookspecs import hookimpl
from plugins.proposals import (
    amendment_models,  # noqa: F401  (the tables of amendments and versions)
    amendments,
    collaborative_draft_models,  # noqa: F401  (the tables of collaborative drafts)
    collaborative_drafts,
    models,  # noqa: F401  (the plugin's tables on the metadata)
    services,
    transfer,
)
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
    """For a person's download of their data: the proposals they wrote (drafts too), their supports, the
    collaborative drafts they write and their amendments."""
    return {**await services.personal_data(session, user), **await collaborative_drafts.personal_data(session, user),
            **await amendments.personal_data(session, user)}


@hookimpl
async def transfer_participation(session, registry, organization, from_user_id, to_user_id):
    """The supports and endorsements of a deleted account become the same person's new account's."""
    await transfer.transfer_participation(session, registry, organization, from_user_id, to_user_id)
