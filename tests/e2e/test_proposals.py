"""A citizen makes a proposal with the wizard, is shown a similar one, publishes hers anyway;
supports other proposals up to the limit, withdraws one support, comments; an admin answers her
proposal and publishes the answer, and she gets the news by mail.

Each run gets its own process (one phase that allows proposals and supports, answers kept until
an admin publishes them, three supports per participant) set up through the services the admin
pages call, and its own people, so the runs with and without JavaScript do not meet.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.accounts.models import User
from core.accounts.passwords import hash_password
from core.db import make_engine, utcnow
from core.demo import DEMO_PASSWORD, DEMO_SLUG
from core.events import event_sessionmaker
from core.models import Component, Organization
from core.plugins import Registry
from core.spaces.public import component_url
from core.spaces.schemas import PhaseForm, SpaceForm
from core.spaces.services import (
    add_component,
    add_phase,
    create_space,
    set_component_published,
    set_space_published,
    space_of,
    update_component,
)
from plugins.proposals import services as proposals
from plugins.proposals.schemas import ProposalsPhaseSettings, ProposalsSettings, ProposalText
from tests.conftest import make_settings, run_async
from tests.mailbox import wait_for

ADMIN = "admin@demo.participa.test"
PASSWORD = "la-plaça-del-barri-2027"
LIMIT = 3
OTHERS = (  # by a neighbour, already published: the first is like what our citizen will write
    ("Més arbres i ombra a la plaça Major", "A l'estiu la plaça és un forn: calen arbres i bancs a l'ombra."),
    ("Fonts d'aigua potable als parcs", "Als parcs no hi ha cap font; cal posar-ne almenys una a cada parc."),
    ("Biblioteca oberta els diumenges al matí", "Moltes famílies només poden anar-hi el cap de setmana."),
    ("Horts urbans al solar del carrer Nou", "El solar fa anys que és buit; hi podríem fer horts comunitaris."),
)
MINE = ("Plantem arbres a la plaça Major i al voltant", "Fa molta calor a la plaça Major a l'estiu i no hi ha ombra.")


@dataclass
class Setup:
    url: str
    """The proposals component's address."""
    citizen: str
    """E-mail of the citizen who makes the proposal (password PASSWORD)."""
    citizen_name: str


def _set_up(live_server, tmp_path) -> Setup:
    tag = uuid.uuid4().hex[:8]
    database_url = live_server.env["PARTICIPA_DATABASE_URL"]
    registry = Registry(make_settings(tmp_path / "data", database_url))

    async def write() -> Setup:
        engine = make_engine(database_url)
        try:
            async with event_sessionmaker(engine, registry, None)() as session:
                organization = await session.scalar(select(Organization).where(Organization.slug == DEMO_SLUG))
                admin = await session.scalar(select(User).where(User.email == ADMIN))
                people = []
                for nickname, name in ((f"neus_{tag}", "Neus Ferrer"), (f"pere_{tag}", "Pere Soler")):
                    person = User(organization_id=organization.id, email=f"{nickname}@example.org",
                                  nickname=nickname, name=name, password_hash=hash_password(PASSWORD), locale="ca",
                                  confirmed_at=utcnow(), terms_accepted_version=1)
                    session.add(person)
                    people.append(person)
                citizen, neighbour = people

                created = await create_space(session, organization, admin, "process", SpaceForm(
                    title={"ca": f"Millorem el barri {tag}", "en": f"Improve the neighbourhood {tag}"},
                    slug=f"barri-{tag}"))
                space = await space_of(session, organization, created.id)
                phase = await add_phase(session, space, admin, PhaseForm(title={"ca": "Propostes i suports"}))
                component = await add_component(session, registry, space, admin, "proposals")
                await update_component(
                    session, space, component, admin, {"ca": "Propostes del barri", "en": "Neighbourhood proposals"},
                    ProposalsSettings(supports_per_participant=LIMIT),
                    {phase.id: ProposalsPhaseSettings(creation_enabled=True, supports_enabled=True,
                                                      answers_published=False)})
                await set_component_published(session, space, component, admin, True)
                await set_space_published(session, space, admin, True)
                await session.commit()

                component = await session.scalar(select(Component).options(selectinload(Component.space))
                                                 .where(Component.id == component.id))
                for title, body in OTHERS:
                    draft = await proposals.save_draft(session, registry, component, neighbour,
                                                       ProposalText(title=title, body=body), "ca")
                    await proposals.publish(session, registry, component, draft)
                await session.commit()
                return Setup(url=component_url(registry, component), citizen=citizen.email, citizen_name=citizen.name)
        finally:
            await engine.dispose()

    return run_async(write())


@pytest.fixture
def setup(live_server, tmp_path) -> Setup:
    return _set_up(live_server, tmp_path)


def log_in(journey, email: str, password: str) -> None:
    page = journey.page
    journey.goto("/account/login")
    page.get_by_label("Correu electrònic").fill(email)
    page.get_by_label("Contrasenya").fill(password)
    page.get_by_role("main").get_by_role("button", name="Inicia la sessió").click()
    journey.step(f"logged in as {email}")


def status(page) -> str:
    """The flash message (the first status on the page)."""
    return page.get_by_role("status").first.inner_text()


def for_proposal(action: str, title: str) -> re.Pattern:
    """A support button's name: its action, then (for screen readers) which proposal it is for."""
    return re.compile(rf"^{action}\s*: {re.escape(title)}$")


def supports_of(page) -> str:
    return page.get_by_role("region", name="Suports").inner_text()


def test_a_citizen_proposes_supports_comments_and_hears_of_the_answer(journey, inbox, setup):
    page = journey.page
    log_in(journey, setup.citizen, PASSWORD)
    assert setup.citizen_name in page.get_by_role("navigation", name="El teu compte").inner_text()
    # Mail at once, not the daily summary: the answer must reach her during this test.
    journey.goto("/account/notifications")
    page.locator("#field-delivery").select_option("immediate")
    page.locator("main form button[type=submit]").click()
    assert page.locator("#field-delivery").input_value() == "immediate"

    # Write: too short first, then for real.
    journey.goto(setup.url + "/")
    page.get_by_role("link", name="Fes una proposta").click()
    journey.step("write")
    page.get_by_label("Títol").fill("Arbres")
    page.get_by_label("Descripció").fill("Calor")
    page.get_by_role("button", name="Continua").click()
    journey.step("too short")
    expect(page.get_by_role("alert")).to_be_visible()
    assert page.get_by_label("Títol").input_value() == "Arbres"  # what she typed is kept
    page.get_by_label("Títol").fill(MINE[0])
    page.get_by_label("Descripció").fill(MINE[1])
    page.get_by_role("button", name="Continua").click()

    # Compare: the neighbour's proposal about the same square is shown, without accents mattering.
    journey.step("similar proposals")
    assert page.get_by_role("heading", level=1).inner_text() == "Propostes semblants"
    assert page.locator("main ol.wizard [aria-current=step]").inner_text() == "Compara"
    similar = page.get_by_role("main").get_by_role("listitem").filter(has=page.get_by_role("heading", level=2))
    assert similar.get_by_role("link").all_inner_texts() == [OTHERS[0][0]]
    page.get_by_role("link", name="La meva és diferent: continua").click()

    # Complete, preview, publish.
    journey.step("complete")
    page.get_by_label("Adreça").fill("Plaça Major, 1")
    page.get_by_role("button", name="Vista prèvia").click()
    journey.step("preview")
    assert page.get_by_role("article").get_by_role("heading", level=2).inner_text() == MINE[0]
    page.get_by_role("main").get_by_role("button", name="Publica").click()
    journey.step("published")
    assert page.get_by_role("heading", level=1).inner_text() == MINE[0]
    assert status(page).startswith("S'ha publicat la teva proposta.")
    assert "Plaça Major, 1" in page.get_by_role("main").inner_text()
    mine_url = page.url

    # Supports: three, the limit; the fourth is refused and says why.
    journey.goto(setup.url + "/?order=recent")
    for title, _ in OTHERS[:LIMIT]:
        page.get_by_role("button", name=for_proposal("Dona suport", title)).click()
        journey.step(f"supported {title}")
        assert status(page) == "S'ha comptat el teu suport."
        card = page.get_by_role("listitem").filter(has=page.get_by_role("link", name=title, exact=True))
        assert "1 suport" in card.inner_text()
        expect(card.get_by_role("button", name=for_proposal("Retira el meu suport", title))).to_be_visible()
    fourth = OTHERS[LIMIT][0]
    page.get_by_role("button", name=for_proposal("Dona suport", fourth)).click()
    journey.step("over the limit")
    assert status(page) == "Ja has fet servir tots els teus suports en aquest espai."
    card = page.get_by_role("listitem").filter(has=page.get_by_role("link", name=fourth, exact=True))
    assert "0 suports" in card.inner_text()

    # Withdraw one on its page: its count goes back, and the support can go elsewhere.
    page.get_by_role("link", name=OTHERS[1][0], exact=True).click()
    assert "1 suport" in supports_of(page)
    page.get_by_role("button", name=for_proposal("Retira el meu suport", OTHERS[1][0])).click()
    journey.step("support withdrawn")
    assert status(page) == "S'ha retirat el teu suport."
    assert "0 suports" in supports_of(page)
    expect(page.get_by_role("button", name=for_proposal("Dona suport", OTHERS[1][0]))).to_be_visible()
    journey.goto(setup.url + "/?order=recent")
    page.get_by_role("button", name=for_proposal("Dona suport", fourth)).click()
    assert status(page) == "S'ha comptat el teu suport."

    # Comment on the neighbour's proposal about the square.
    page.get_by_role("link", name=OTHERS[0][0], exact=True).click()
    page.get_by_label("El teu comentari").fill("D'acord! I que siguin arbres de fulla caduca.")
    page.get_by_label("La teva posició").select_option("in_favour")
    page.get_by_role("region", name=re.compile("comentari")).get_by_role("button", name="Publica").click()
    journey.step("commented")
    assert status(page) == "S'ha publicat el teu comentari."
    comments = page.get_by_role("region", name="1 comentari")
    assert "D'acord! I que siguin arbres de fulla caduca." in comments.inner_text()
    assert setup.citizen_name in comments.inner_text()
    page.get_by_role("navigation", name="El teu compte").get_by_role("button", name="Tanca la sessió").click()

    # The administrator answers: accepted, with a text; kept back until published.
    log_in(journey, ADMIN, DEMO_PASSWORD)
    page.goto(mine_url)
    journey.step("the proposal, as the admin")
    answer = page.get_by_role("region", name="Respon aquesta proposta")
    answer.get_by_label("Estat").select_option("accepted")
    answer.get_by_role("group", name=re.compile("^Resposta")).get_by_label("Català").fill(
        "Hi plantarem deu arbres aquesta tardor.")
    answer.get_by_role("button", name="Desa la resposta").click()
    journey.step("answer saved")
    assert status(page) == "S'ha desat la resposta."
    answer = page.get_by_role("region", name="Respon aquesta proposta")
    assert "Aquesta resposta encara no s'ha publicat." in answer.inner_text()
    assert page.get_by_role("region", name="Resposta de l'organització").count() == 0
    answer.locator("form[action$='/publish-answers'] button[type=submit]").click()
    journey.step("answers published")
    assert page.url == mine_url  # back where the admin was
    assert "1" in status(page)  # how many were published (the message may not be translated yet)
    assert "Hi plantarem deu arbres aquesta tardor." in page.get_by_role(
        "region", name="Resposta de l'organització").inner_text()
    assert "Acceptada" in page.get_by_role("article").inner_text()

    # The author hears of it, by mail, through the worker.
    message = wait_for(lambda: next((m for m in inbox.messages() if m["To"] == setup.citizen
                                     and MINE[0] in m.get_content()), None),
                       timeout=60, what=f"the mail about the answer to {setup.citizen}")
    text = message.get_content()
    assert f"La proposta {MINE[0]} té resposta" in text
    assert re.search(rf"http://\S+{re.escape(urlsplit(mine_url).path)}\n", text)  # a link to it
