"""The actions of proposals that routes and services check, added to core's permission service."""

from __future__ import annotations

from core.permissions import Actor, Rule


def _participant(actor: Actor, _resource: object) -> bool:
    # Whether the phase allows it, and whether this person may (their own draft), is for the services.
    return actor.user is not None


def _space_admin(actor: Actor, space: object) -> bool:
    return actor.organization_admin or "admin" in actor.roles.in_space(space.id)  # type: ignore[attr-defined]


def _space_evaluator(actor: Actor, space: object) -> bool:
    # Which proposals a valuator may answer or annotate (those assigned to them) is for the services.
    return _space_admin(actor, space) or "valuator" in actor.roles.in_space(space.id)  # type: ignore[attr-defined]


RULES = {
    "proposals.create": Rule(_participant),
    "proposals.support": Rule(_participant),
    "proposals.endorse": Rule(_participant),
    "proposals.coauthor": Rule(_participant),
    # Whether this person writes the draft is for plugins/proposals/collaborative_drafts.py.
    "proposals.collaborate": Rule(_participant),
    "proposals.amend": Rule(_participant),
    "proposals.answer": Rule(_space_admin, resource="space"),
    "proposals.classify": Rule(_space_admin, resource="space"),
    # Evaluation (plugins/proposals/evaluation.py): admins manage, valuators evaluate what they are given.
    "proposals.manage": Rule(_space_admin, resource="space"),
    "proposals.evaluate": Rule(_space_evaluator, resource="space"),
}
