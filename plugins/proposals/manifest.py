"""The proposals component type."""

from __future__ import annotations

from core.i18n import N_
from core.manifest import Attachable, Commentable, ComponentManifest, Export, Statistic
from plugins.proposals import (
    admin,
    admin_log,
    amendment_routes,
    amendments,
    coauthor_routes,
    collaborative_draft_routes,
    embed,
    endorsement_routes,
    participatory_text_routes,
    routes,
    seeds,
    services,
)
from plugins.proposals import map as proposals_map
from plugins.proposals.events import EVENT_TYPES
from plugins.proposals.schemas import ProposalsPhaseSettings, ProposalsSettings

manifest = ComponentManifest(
    name="proposals",
    title=N_("Proposals"),
    description=N_("Participants put forward proposals, support the ones they like, and the organization "
                   "answers them."),
    settings=ProposalsSettings,
    phase_settings=ProposalsPhaseSettings,
    actions=("create", "support", "answer", "endorse", "amend"),
    public_routes=(*routes.ROUTES, *embed.ROUTES, *admin.ROUTES, *endorsement_routes.ROUTES, *coauthor_routes.ROUTES,
                   *collaborative_draft_routes.ROUTES, *amendment_routes.ROUTES, *proposals_map.ROUTES,
                   *participatory_text_routes.ROUTES),
    event_types=EVENT_TYPES,
    admin_actions=admin_log.ACTIONS,
    exports=(Export(name="proposals", rows=services.export_rows, public=True),),
    statistics=(
        Statistic(name="proposals", title=N_("Proposals"), count=services.count_proposals),
        Statistic(name="supports", title=N_("Supports"), count=services.count_supports),
    ),
    search=services.search_documents,
    seed=seeds.seed,
    participation=services.participation,
    participants=services.participants,
    participants_in_scopes=services.participants_in_scopes,
    commentable=(Commentable(resource_type=services.RESOURCE_TYPE, load=services.commentable_proposal),
                 Commentable(resource_type=amendments.RESOURCE_TYPE, load=amendments.commentable_amendment),),
    attachable=(Attachable(resource_type=services.RESOURCE_TYPE, load=services.commentable_proposal,
                           author_may_attach=services.author_may_attach),),
)
