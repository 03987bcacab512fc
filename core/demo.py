"""Demo content: one organization with processes and an assembly, every enabled component seeded.

Used by ``participa demo`` and by the browser tests; safe to run twice (it keeps what exists).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.accounts.models import User
from core.accounts.passwords import hash_password
from core.areas.demo import area_space, seed_areas
from core.categories.demo import seed_categories
from core.db import utcnow
from core.events import REGISTRY
from core.groups.demo import seed_groups
from core.models import Component, Organization, OrganizationHost, Phase, Space, SpaceMember
from core.organizations import publish_terms
from core.process_groups.demo import seed_process_groups
from core.roles import grant_organization_role
from core.scopes.demo import scope_space, seed_scopes
from core.search import services as search
from core.static_pages.models import StaticPage

DEMO_SLUG = "demo"
DEMO_HOSTS = ("localhost", "127.0.0.1")
DEMO_PASSWORD = "demo-participa-2027"
DEMO_ACCOUNTS = (
    # (e-mail, nickname, name, organization role)
    ("admin@demo.participa.test", "admin", "Montse Riera", "admin"),
    ("laia@demo.participa.test", "laia", "Laia Puig", None),
)

TERMS = {
    "ca": "<p>En participar acceptes tractar amb respecte les altres persones i no publicar dades personals d'altri.</p>",
    "es": "<p>Al participar aceptas tratar con respeto a las demás personas y no publicar datos personales ajenos.</p>",
    "en": "<p>By taking part you agree to treat others with respect and not to publish other people's personal data.</p>",
}

SPACES = [
    (
        "process", "pressupostos-2027", True,
        {"ca": "Pressupostos participatius 2027", "es": "Presupuestos participativos 2027",
         "en": "Participatory budget 2027"},
        {"ca": "Decideix com s'inverteixen 2 milions d'euros", "es": "Decide cómo se invierten 2 millones de euros",
         "en": "Decide how 2 million euros are spent"},
    ),
    (
        "process", "pla-de-mobilitat", False,
        {"ca": "Pla de mobilitat urbana", "es": "Plan de movilidad urbana", "en": "Urban mobility plan"},
        {"ca": "Carrers més segurs per anar a peu i en bicicleta",
         "es": "Calles más seguras para ir a pie y en bicicleta", "en": "Safer streets for walking and cycling"},
    ),
    (
        "assembly", "consell-de-joves", False,
        {"ca": "Consell de joves", "es": "Consejo de jóvenes", "en": "Youth council"},
        {"ca": "Joves de 14 a 29 anys que assessoren l'Ajuntament",
         "es": "Jóvenes de 14 a 29 años que asesoran al Ayuntamiento",
         "en": "Young people aged 14 to 29 who advise the city council"},
    ),
]


PHASES = {
    # slug: [(title, start, end)], the first one active
    "pressupostos-2027": [
        ({"ca": "Propostes", "es": "Propuestas", "en": "Proposals"}, date(2026, 11, 2), date(2026, 12, 20)),
        ({"ca": "Suports", "es": "Apoyos", "en": "Supports"}, date(2027, 1, 11), date(2027, 2, 14)),
        ({"ca": "Valoració tècnica", "es": "Valoración técnica", "en": "Technical assessment"},
         date(2027, 2, 15), date(2027, 4, 30)),
        ({"ca": "Resultats", "es": "Resultados", "en": "Results"}, date(2027, 5, 3), None),
    ],
    "pla-de-mobilitat": [
        ({"ca": "Diagnosi", "es": "Diagnóstico", "en": "Diagnosis"}, date(2026, 10, 1), date(2027, 1, 31)),
        ({"ca": "Debat de propostes", "es": "Debate de propuestas", "en": "Debate of proposals"},
         date(2027, 2, 1), date(2027, 3, 31)),
        ({"ca": "Retorn", "es": "Retorno", "en": "Feedback"}, date(2027, 4, 1), date(2027, 4, 30)),
    ],
}

DESCRIPTIONS = {
    "pressupostos-2027": {
        "ca": "<p>Proposa inversions per al teu barri, dona suport a les que t'agradin i vota el projecte final. "
              "L'Ajuntament executarà les més votades dins del pressupost.</p>",
        "es": "<p>Propón inversiones para tu barrio, apoya las que te gusten y vota el proyecto final. "
              "El Ayuntamiento ejecutará las más votadas dentro del presupuesto.</p>",
        "en": "<p>Propose investments for your neighbourhood, support the ones you like and vote on the final "
              "project. The council will carry out the most voted ones within the budget.</p>",
    },
}


ASSEMBLY_DETAILS = {
    "consell-de-joves": {
        "assembly_type": "consultative",
        "purpose": {"ca": "<p>Assessora l'Ajuntament en tot el que afecta el jovent: oci, habitatge, feina i "
                          "mobilitat.</p>",
                    "es": "<p>Asesora al Ayuntamiento en todo lo que afecta a la juventud: ocio, vivienda, trabajo "
                          "y movilidad.</p>",
                    "en": "<p>Advises the council on everything that affects young people: leisure, housing, work "
                          "and transport.</p>"},
        "composition": {"ca": "<p>Quinze joves triats per sorteig entre els qui s'hi presenten, i dos regidors "
                              "sense vot.</p>",
                        "es": "<p>Quince jóvenes elegidos por sorteo entre quienes se presentan, y dos concejales "
                              "sin voto.</p>",
                        "en": "<p>Fifteen young people drawn by lot among those who apply, and two councillors "
                              "without a vote.</p>"},
        "meets": {"ca": "El primer dimarts de cada mes, a les 19 h", "es": "El primer martes de cada mes, a las 19 h",
                  "en": "The first Tuesday of every month, at 7 pm"},
    },
}
STATIC_PAGES = [
    # (slug, title, body); both linked in the footer
    (
        "about",
        {"ca": "Sobre aquest espai", "es": "Sobre este espacio", "en": "About this site"},
        {"ca": "<p>Vilademo Participa és l'espai on l'Ajuntament i el veïnat decideixen junts: pressupostos, "
               "plans i consells.</p>",
         "es": "<p>Vilademo Participa es el espacio donde el Ayuntamiento y el vecindario deciden juntos: "
               "presupuestos, planes y consejos.</p>",
         "en": "<p>Vilademo Participa is where the council and its residents decide together: budgets, plans and "
               "councils.</p>"},
    ),
    (
        "help",
        {"ca": "Ajuda", "es": "Ayuda", "en": "Help"},
        {"ca": "<h2>Com participo?</h2><p>Crea un compte, confirma el correu i tria un procés obert. Pots fer "
               "propostes, donar-hi suport i comentar.</p>",
         "es": "<h2>¿Cómo participo?</h2><p>Crea una cuenta, confirma el correo y elige un proceso abierto. Puedes "
               "hacer propuestas, apoyarlas y comentar.</p>",
         "en": "<h2>How do I take part?</h2><p>Create an account, confirm your e-mail and choose an open process. "
               "You can make proposals, support them and comment.</p>"},
    ),
]


ASSEMBLY_MEMBERS = {"consell-de-joves": [("Marta Vidal", "president"), ("laia", "member")]}


async def _members(session: AsyncSession, space: Space) -> None:
    for weight, (who, position) in enumerate(ASSEMBLY_MEMBERS.get(space.slug, [])):
        user = await session.scalar(select(User).where(User.organization_id == space.organization_id,
                                                       User.nickname == who))
        session.add(SpaceMember(space_id=space.id, user_id=user.id if user else None, name="" if user else who,
                                position=position, weight=weight))


async def _phases(session: AsyncSession, space: Space) -> None:
    for weight, (title, start, end) in enumerate(PHASES.get(space.slug, [])):
        phase = Phase(space_id=space.id, title=title, start_date=start, end_date=end, weight=weight)
        session.add(phase)
        await session.flush()
        if weight == 0:
            space.active_phase_id = phase.id
    if space.slug in PHASES:
        space.start_date, space.end_date = PHASES[space.slug][0][1], PHASES[space.slug][-1][2]


async def create_demo(session: AsyncSession, registry, hosts: tuple[str, ...] = DEMO_HOSTS) -> Organization:
    """Create (or return) the demo organization with its spaces and seeded components."""
    existing = await session.scalar(select(Organization).where(Organization.slug == DEMO_SLUG))
    if existing is not None:
        return existing
    # Seeds may record what "already happened" (core.activity.services.recorded_earlier): that needs the registry.
    session.info.setdefault(REGISTRY, registry)
    organization = Organization(
        slug=DEMO_SLUG,
        name={"ca": "Ajuntament de Vilademo", "es": "Ayuntamiento de Vilademo", "en": "Vilademo City Council"},
        default_locale="ca", available_locales=["ca", "es", "en"],
    )
    session.add(organization)
    await session.flush()
    for index, host in enumerate(hosts):
        session.add(OrganizationHost(organization_id=organization.id, host=host, is_main=index == 0))
    await publish_terms(session, organization, TERMS)
    locales = organization.available_locales
    # People first: the demo content of components is written by them.
    password_hash = hash_password(DEMO_PASSWORD)
    for email, nickname, name, role in DEMO_ACCOUNTS:
        user = User(organization_id=organization.id, email=email, nickname=nickname, name=name,
                    password_hash=password_hash, locale=organization.default_locale, confirmed_at=utcnow(),
                    terms_accepted_version=1)
        session.add(user)
        await session.flush()
        if role:
            await grant_organization_role(session, organization.id, user.id, role)
    scopes = await seed_scopes(session, organization)
    areas = await seed_areas(session, organization)
    for space_type, slug, promoted, title, subtitle in SPACES:
        if space_type not in registry.space_types:
            continue
        space = Space(
            organization_id=organization.id, space_type=space_type, slug=slug, title=title, subtitle=subtitle,
            description=DESCRIPTIONS.get(slug, {}), details=ASSEMBLY_DETAILS.get(slug, {}), published=True,
            promoted=promoted,
        )
        session.add(space)
        await session.flush()
        await _phases(session, space)
        await _members(session, space)
        scope_space(space, scopes)
        area_space(space, areas)
        await seed_categories(session, space)
        for weight, manifest in enumerate(registry.component_types.values()):
            if manifest.seed is None:
                continue
            component = Component(
                space_id=space.id, component_type=manifest.name, name={"en": manifest.title}, weight=weight,
                published=True, settings=manifest.default_settings(),
            )
            session.add(component)
            await session.flush()
            await manifest.seed(session, component, locales)
    for weight, (slug, title, body) in enumerate(STATIC_PAGES):
        session.add(StaticPage(organization_id=organization.id, slug=slug, title=title, body=body, weight=weight,
                               show_in_footer=True))
    await seed_groups(session, organization)
    await seed_process_groups(session, organization)
    for pending in registry.call("demo_content", session=session, organization=organization, locales=locales):
        await pending
    await search.rebuild(session, registry, organization)
    return organization
