"""The action of the system area, added to the permission service.

Only a system administrator's session (core.system.routes) sets ``Actor.system_admin``; an organization's
administrators, whatever their roles, never have it.
"""

from __future__ import annotations

from core.permissions import Actor, Rule


def _system_admin(actor: Actor, _resource: object) -> bool:
    return actor.system_admin is not None


RULES = {"system.admin": Rule(_system_admin)}
