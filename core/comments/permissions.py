"""Who may comment: anybody logged in. The permission guard checks these before the handler; blocked
people are logged out and people with new terms to accept are sent to them before any form, so the
rule needs nothing more. Object-level rules (only the author edits) are in ``services``."""

from __future__ import annotations

from core.permissions import Rule

RULES = {
    "comments.create": Rule(lambda actor, _: actor.user is not None),
    "comments.edit": Rule(lambda actor, _: actor.user is not None),
    "comments.vote": Rule(lambda actor, _: actor.user is not None),
}
