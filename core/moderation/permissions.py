"""Who may report: anybody logged in. Reviewing reports is ``space.moderate`` (core's rule: the space's
moderators and admins, and organization admins); blocking an author is ``organization.admin``."""

from __future__ import annotations

from core.permissions import Rule

RULES = {
    "moderation.report": Rule(lambda actor, _: actor.user is not None),
}
