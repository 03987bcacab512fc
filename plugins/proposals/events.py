"""What proposals tell people: the event types they declare and the resource a proposal is."""

from __future__ import annotations

from typing import Any

from core.events import Resource
from core.i18n import N_
from core.manifest import EventType
from core.models import Component
from core.spaces import component_url
from plugins.proposals.models import Proposal

EVENT_TYPES = (
    EventType(name="proposals.proposal_published", title=N_("New proposals in the spaces you follow"),
              message=N_("%(actor)s published a new proposal: %(resource)s"), public=True,
              author_followers=True),
    EventType(name="proposals.proposal_answered", title=N_("Answers to proposals you follow"),
              message=N_("The proposal %(resource)s has an answer"), public=True),
    EventType(name="proposals.threshold_reached", title=N_("Proposals that reach their threshold"),
              message=N_("The proposal %(resource)s has reached the supports it needed"),
              public=True),
    # Names a co-authorship (plugins/proposals/coauthors.py), which nobody follows: only the invited hear.
    EventType(name="proposals.coauthor_invited", title=N_("Invitations to co-author a proposal"),
              message=N_("%(actor)s invited you to co-author the proposal %(resource)s")),
    # Name a collaborative draft (plugins/proposals/collaborative_drafts.py), which nobody follows either.
    EventType(name="proposals.draft_access_requested", title=N_("Requests to write your collaborative drafts"),
              message=N_("%(actor)s asks to write the collaborative draft %(resource)s with you")),
    EventType(name="proposals.draft_access_accepted", title=N_("Answers to your requests to write a draft"),
              message=N_("You can now write the collaborative draft %(resource)s")),
    EventType(name="proposals.draft_access_rejected", title=N_("Answers to your requests to write a draft"),
              message=N_("Your request to write the collaborative draft %(resource)s was rejected")),
    # Name an amendment (plugins/proposals/amendments.py), which nobody follows: only the recipients hear.
    EventType(name="proposals.amendment_received", title=N_("Amendments to your proposals"),
              message=N_("%(actor)s proposed an amendment to your proposal %(resource)s")),
    EventType(name="proposals.amendment_accepted", title=N_("Your amendments accepted"),
              message=N_("%(actor)s accepted your amendment to the proposal %(resource)s")),
    EventType(name="proposals.amendment_rejected", title=N_("Your amendments rejected"),
              message=N_("%(actor)s rejected your amendment to the proposal %(resource)s")),
)


def resource_of(registry: Any, component: Component, proposal: Proposal) -> Resource:
    """The proposal as events name it; followers of its space hear about it too."""
    return Resource(type="proposals.proposal", id=proposal.id, title=proposal.title,
                    path=f"{component_url(registry, component)}/{proposal.id}",
                    parents=(("space", component.space_id),))
