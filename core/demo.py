"""Demo content: one organization with processes and an assembly, every enabled component seeded.

Used by ``participa demo`` and by the browser tests; safe to run twice (it keeps what exists).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.accounts.models import User
from core.accounts.passwords import hash_password
from core.db import utcnow
from core.models import Component, Organization, OrganizationHost, Space
from core.organizations import publish_terms
from core.roles import grant_organization_role

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


async def create_demo(session: AsyncSession, registry, hosts: tuple[str, ...] = DEMO_HOSTS) -> Organization:
    """Create (or return) the demo organization with its spaces and seeded components."""
    existing = await session.scalar(select(Organization).where(Organization.slug == DEMO_SLUG))
    if existing is not None:
        return existing
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
    for space_type, slug, promoted, title, subtitle in SPACES:
        if space_type not in registry.space_types:
            continue
        space = Space(
            organization_id=organization.id, space_type=space_type, slug=slug, title=title, subtitle=subtitle,
            published=True, promoted=promoted,
        )
        session.add(space)
        await session.flush()
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
    password_hash = hash_password(DEMO_PASSWORD)
    for email, nickname, name, role in DEMO_ACCOUNTS:
        user = User(organization_id=organization.id, email=email, nickname=nickname, name=name,
                    password_hash=password_hash, locale=organization.default_locale, confirmed_at=utcnow(),
                    terms_accepted_version=1)
        session.add(user)
        await session.flush()
        if role:
            await grant_organization_role(session, organization.id, user.id, role)
    for pending in registry.call("demo_content", session=session, organization=organization, locales=locales):
        await pending
    return organization
