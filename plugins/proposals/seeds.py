"""Demo content: proposals a neighbourhood would make for a participatory budget."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.accounts.models import User
from core.activity.services import recorded_earlier
from core.categories.services import categories_of
from core.db import utcnow
from core.events import REGISTRY, Resource
from core.models import Component, Phase, Space
from core.scopes.services import scopes_of
from plugins.proposals.models import AnswerState, Participant, Proposal, Support
from plugins.proposals.services import text_to_html, words_of

DEMO_PROPOSALS = [
    ("ca", "Més arbres i ombra a la plaça Major", ("La plaça és un forn a l'estiu. Proposem plantar arbres de "
     "fulla caduca i posar bancs a l'ombra perquè la gent gran hi pugui seure."), "accepted"),
    ("ca", "Carril bici segregat fins a l'institut", ("Molts alumnes hi van en bicicleta pel mig de la carretera. "
     "Un carril separat del trànsit faria el camí segur."), "evaluating"),
    ("ca", "Fonts d'aigua potable als parcs", ("Als parcs del barri no hi ha cap font. Cal posar-ne almenys una a "
     "cada parc, també per als gossos."), None),
    ("es", "Cubrir la pista del polideportivo", ("Cuando llueve no se puede usar la pista. Una cubierta permitiría "
     "hacer deporte todo el año."), "rejected"),
    ("ca", "Biblioteca oberta els diumenges al matí", ("Moltes famílies només poden anar a la biblioteca el cap de "
     "setmana. Obrir el diumenge al matí ajudaria a estudiar i llegir."), None),
    ("ca", "Horts urbans al solar del carrer Nou", ("El solar fa anys que és buit. Hi podríem fer horts comunitaris "
     "amb l'escola i el casal d'avis."), None),
]

CLASSIFIED = [
    # For each demo proposal, in order: the English names of the categories it fits, the first found in the
    # space wins (core/categories/demo.py); and the code of its scope (core/scopes/demo.py).
    (("Urban greenery",), "D2-01"),
    (("Cycling", "Mobility"), "D1"),
    (("Public space", "Walking"), "D1-01"),
    (("Facilities",), "D3"),
    (("Facilities",), None),
    (("Urban greenery",), "D3-01"),
]

PLACES = [
    # For each demo proposal, in order: its address and coordinates on the map view, or None (the list's
    # "without an address" filter and the map's absence of a marker then have something to show).
    ("Plaça Major, 1", 41.9304, 2.2546),
    ("Carretera de l'Institut, 12", 41.9368, 2.2431),
    ("Parc de la Font", 41.9262, 2.2608),
    ("Poliesportiu municipal, carrer de l'Esport, 3", 41.9221, 2.2489),
    None,
    ("Carrer Nou, 27", 41.9329, 2.2585),
]

ANSWERS = {
    "accepted": {"ca": "<p>Ho farem a la tardor: hi haurà dotze arbres nous i sis bancs.</p>",
                 "es": "<p>Lo haremos en otoño: habrá doce árboles nuevos y seis bancos.</p>",
                 "en": "<p>We will do it in autumn: twelve new trees and six benches.</p>"},
    "evaluating": {"ca": "<p>Els serveis tècnics n'estudien el traçat.</p>"},
    "rejected": {"ca": "<p>La pista és d'un conveni amb la Generalitat i no la podem cobrir aquest any.</p>"},
}


async def seed(session: AsyncSession, component: Component, locales: list[str]) -> None:
    """Proposals by the demo's participants, some answered and supported; phases set up for a budget."""
    component.name = {"ca": "Propostes", "es": "Propuestas", "en": "Proposals"}
    space = await session.get(Space, component.space_id)
    phases = (await session.scalars(select(Phase).where(Phase.space_id == space.id).order_by(Phase.weight))).all()
    # Proposals and supports in the first phase, supports only in the second, then frozen.
    plan = [
        {"creation_enabled": True, "supports_enabled": True, "endorsements_enabled": True},
        {"supports_enabled": True},
        {"supports_enabled": True, "supports_blocked": True},
    ]
    component.phase_settings = {str(phase.id): plan[min(index, len(plan) - 1)] for index, phase in enumerate(phases)}
    component.settings = {**component.settings, "supports_per_participant": 5, "geolocation_enabled": True}
    # A state of the component's own, beside evaluating, accepted and rejected (evaluation.py).
    names = {"ca": "Acceptada amb canvis", "es": "Aceptada con cambios", "en": "Accepted with changes"}
    session.add(AnswerState(component_id=component.id, token="accepted_with_changes", kind="accepted",
                            name={locale: name for locale, name in names.items() if locale in locales}))
    people = (await session.scalars(select(User).where(User.organization_id == space.organization_id)
                                    .order_by(User.id))).all()
    if not people:
        return
    now = utcnow()
    proposals = []
    for index, (language, title, body, state) in enumerate(DEMO_PROPOSALS):
        proposal = Proposal(
            component_id=component.id, author_id=people[index % len(people)].id, title=title,
            body=text_to_html(body), language=language, state="published",
            published_at=now - timedelta(days=20 - index), answer_state=state,
            answer=ANSWERS.get(state, {}) if state else {}, answered_at=now if state else None,
            answer_published_at=now if state else None,
        )
        proposal.words = words_of(f"{title} {proposal.body}")
        if PLACES[index] is not None:
            proposal.address, proposal.latitude, proposal.longitude = PLACES[index]
        session.add(proposal)
        proposals.append(proposal)
    await session.flush()
    for person in people:
        chosen = proposals[: 3 if person is people[0] else 2]
        for proposal in chosen:
            session.add(Support(proposal_id=proposal.id, user_id=person.id, component_id=component.id))
            proposal.supports_total += 1
            proposal.supports_count += 1
        session.add(Participant(component_id=component.id, user_id=person.id, supports_given=len(chosen),
                                counting=True))
    await session.flush()
    await _classify(session, space, proposals)
    await _activity(session, component, space, proposals)


async def _activity(session: AsyncSession, component: Component, space: Space, proposals: list[Proposal]) -> None:
    """What public activity shows of the demo: each proposal published on its day, then the answers."""
    registry = session.info.get(REGISTRY)
    if registry is None:  # seeded without the registry that names the addresses: no activity to show
        return
    base = f"/{registry.space_types[space.space_type].url_prefix}/{space.slug}/{component.component_type}/{component.id}"
    for proposal in proposals:
        resource = Resource(type="proposals.proposal", id=proposal.id, title=proposal.title,
                            path=f"{base}/{proposal.id}", parents=(("space", space.id),))
        await recorded_earlier(session, "proposals.proposal_published", organization_id=space.organization_id,
                               resource=resource, actor_id=proposal.author_id, created_at=proposal.published_at)
        if proposal.answer_published_at is not None:
            await recorded_earlier(session, "proposals.proposal_answered", organization_id=space.organization_id,
                                   resource=resource, actor_id=None, created_at=proposal.answer_published_at)
    await session.flush()


async def _classify(session: AsyncSession, space: Space, proposals: list[Proposal]) -> None:
    """File the demo proposals under the space's demo categories and the organization's demo scopes."""
    categories = {category.name.get("en"): category.id for category in await categories_of(session, space)}
    scopes = {scope.code: scope.id for scope in await scopes_of(session, space.organization_id)}
    for proposal, (names, code) in zip(proposals, CLASSIFIED):
        proposal.category_id = next((categories[name] for name in names if name in categories), None)
        proposal.scope_id = scopes.get(code) if code else None
    await session.flush()
