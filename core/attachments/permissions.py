"""Who may attach: anybody logged in, as far as the route guard is concerned. Whether this person may
attach to this resource now (its author, within the plugin's rules and the component's limits) and
who may remove a file (its author meanwhile, the space's admins always) is decided in ``services``.
A space's own files are managed by its admins (``space.admin``)."""

from __future__ import annotations

from core.permissions import Rule

RULES = {
    "attachments.attach": Rule(lambda actor, _: actor.user is not None),
}
