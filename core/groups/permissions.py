"""The actions of user groups. Anybody logged in creates, joins and runs groups; whether this person is
an admin of this group is the services' question (``services.require_admin``). Verifying a group is for
the organization's admins and user managers, who answer for the people of the organization; giving a group
that lost its admins a new one, for the organization's admins."""

from __future__ import annotations

from core.permissions import Rule

RULES = {
    "groups.create": Rule(lambda actor, _: actor.user is not None),
    "groups.join": Rule(lambda actor, _: actor.user is not None),
    "groups.manage": Rule(lambda actor, _: actor.user is not None),
    "groups.verify": Rule(lambda actor, _: bool(actor.roles.organization & {"admin", "user_manager"})),
    "groups.appoint_admin": Rule(lambda actor, _: "admin" in actor.roles.organization),
}
