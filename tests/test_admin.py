"""The organization admin area: people, roles, terms, appearance, and the log of it all."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.accounts.models import User
from core.adminlog import AdminLogEntry
from core.models import Organization, TermsOfUse
from core.roles import grant_organization_role, organization_roles
from tests.conftest import other_organization
from tests.test_accounts import PASSWORD, csrf, make_user, submit


@pytest.fixture
async def staff(client, demo, db):
    """An administrator, a user manager and a citizen of the demo organization."""
    admin = await make_user(db, demo, email="boss@example.org", nickname="boss", name="Rosa Admin")
    manager = await make_user(db, demo, email="manager@example.org", nickname="manager", name="Pau Gestor")
    citizen = await make_user(db, demo, email="citizen@example.org", nickname="citizen", name="Joan Veí")
    await grant_organization_role(db, demo.id, admin.id, "admin")
    await grant_organization_role(db, demo.id, manager.id, "user_manager")
    await db.commit()
    return {"admin": admin, "manager": manager, "citizen": citizen}


async def log_in(client, email):
    client.cookies.clear()
    assert (await submit(client, "/account/login", email=email, password=PASSWORD)).status_code == 303


async def test_only_administrators_and_user_managers_see_the_admin_area(client, staff):
    await log_in(client, "citizen@example.org")
    assert (await client.get("/admin")).status_code == 403
    assert "/admin" not in (await client.get("/")).text
    await log_in(client, "manager@example.org")
    assert (await client.get("/admin")).status_code == 200
    assert 'href="/admin"' in (await client.get("/")).text
    assert (await client.get("/admin/terms")).status_code == 403  # user managers manage people only
    await log_in(client, "boss@example.org")
    for path in ("/admin", "/admin/users", "/admin/terms", "/admin/appearance", "/admin/log"):
        assert (await client.get(path)).status_code == 200, path


async def test_people_are_searched_literally_and_paginated(client, staff, db, demo, count_queries):
    for index in range(30):
        db.add(User(organization_id=demo.id, email=f"persona{index}@example.org", nickname=f"persona_{index}",
                    name=f"Persona {index}", locale="ca"))
    db.add(User(organization_id=demo.id, email="percent@example.org", nickname="percent", name="100% Veïna",
                locale="ca"))
    await db.commit()
    await log_in(client, "manager@example.org")
    found = await client.get("/admin/users", params={"q": "joan"})
    assert "Joan Veí" in found.text and "Persona 1" not in found.text
    literal = await client.get("/admin/users", params={"q": "100%"})
    assert "100% Veïna" in literal.text and "Joan Veí" not in literal.text  # % is not a wildcard
    underscore = await client.get("/admin/users", params={"q": "persona_1"})
    assert "Persona 1" in underscore.text and "Persona 2<" not in underscore.text
    with count_queries() as full_page:
        first = await client.get("/admin/users")
    assert "Pàgina 1 de 2" in first.text and first.text.count('<a href="/admin/users/') == 25
    with count_queries() as short_page:
        second = await client.get("/admin/users", params={"page": 2})
    assert "Pàgina 2 de 2" in second.text
    assert full_page.count == short_page.count <= 10  # not one per person listed


async def test_blocking_needs_a_reason_and_is_logged(client, staff, db, demo):
    citizen = staff["citizen"]
    await log_in(client, "manager@example.org")
    page = await client.get(f"/admin/users/{citizen.id}")
    empty = await client.post(f"/admin/users/{citizen.id}/block", data={"_csrf_token": csrf(page.text), "reason": ""})
    assert empty.status_code == 400 and "Omple aquest camp." in empty.text
    done = await client.post(f"/admin/users/{citizen.id}/block", follow_redirects=False,
                             data={"_csrf_token": csrf(page.text), "reason": "Insults repetits"})
    assert done.status_code == 303
    await db.refresh(citizen)
    assert citizen.blocked_at is not None and citizen.blocked_reason == "Insults repetits"
    entry = await db.scalar(select(AdminLogEntry).where(AdminLogEntry.action == "user.block"))
    assert entry.user_name == "Pau Gestor" and entry.details == {"reason": "Insults repetits"}

    refused = await submit(client, "/account/login", email="citizen@example.org", password=PASSWORD)
    assert "Aquest compte està bloquejat" in refused.text

    await log_in(client, "manager@example.org")
    page = await client.get(f"/admin/users/{citizen.id}")
    await client.post(f"/admin/users/{citizen.id}/unblock", data={"_csrf_token": csrf(page.text)})
    await db.refresh(citizen)
    assert citizen.blocked_at is None


async def test_a_user_manager_cannot_block_an_administrator_nor_anyone_themselves(client, staff):
    await log_in(client, "manager@example.org")
    page = await client.get(f"/admin/users/{staff['admin'].id}")
    refused = await client.post(f"/admin/users/{staff['admin'].id}/block",
                                data={"_csrf_token": csrf(page.text), "reason": "Prova de força"})
    assert refused.status_code == 400 and "Només un administrador pot bloquejar" in refused.text
    self_block = await client.post(f"/admin/users/{staff['manager'].id}/block",
                                   data={"_csrf_token": csrf(page.text), "reason": "Prova"})
    assert self_block.status_code == 400 and "No et pots bloquejar" in self_block.text


async def test_administrators_give_and_take_roles_but_not_their_own(client, staff, db, demo):
    await log_in(client, "boss@example.org")
    citizen = staff["citizen"]
    page = await client.get(f"/admin/users/{citizen.id}")
    await client.post(f"/admin/users/{citizen.id}/roles", data={"_csrf_token": csrf(page.text), "user_manager": "on"})
    assert await organization_roles(db, citizen.id, demo.id) == {"user_manager"}
    own = await client.post(f"/admin/users/{staff['admin'].id}/roles", data={"_csrf_token": csrf(page.text)})
    assert own.status_code == 400 and "No et pots treure el teu propi rol" in own.text
    assert "admin" in await organization_roles(db, staff["admin"].id, demo.id)

    await log_in(client, "manager@example.org")
    page = await client.get(f"/admin/users/{citizen.id}")
    assert "Desa els rols" not in page.text  # user managers do not hand out roles
    forbidden = await client.post(f"/admin/users/{citizen.id}/roles",
                                  data={"_csrf_token": csrf(page.text), "admin": "on"})
    assert forbidden.status_code == 403
    assert "admin" not in await organization_roles(db, citizen.id, demo.id)


async def test_people_of_another_organization_are_out_of_reach(client, staff, db):
    other = await other_organization(db)
    foreigner = await make_user(db, other, email="someone@altra.test", nickname="someone", name="Algú d'Altra")
    await db.commit()
    await log_in(client, "boss@example.org")
    assert (await client.get(f"/admin/users/{foreigner.id}")).status_code == 404
    page = await client.get("/admin/users")
    blocked = await client.post(f"/admin/users/{foreigner.id}/block",
                                data={"_csrf_token": csrf(page.text), "reason": "No és meu"})
    assert blocked.status_code == 404
    await db.refresh(foreigner)
    assert foreigner.blocked_at is None
    assert "Algú d'Altra" not in (await client.get("/admin/users", params={"q": "Algú"})).text


async def test_new_terms_of_use_are_a_new_version(client, staff, db, demo):
    await log_in(client, "boss@example.org")
    page = await client.get("/admin/terms")
    assert "tractar amb respecte" in page.text  # the current text, ready to edit
    empty = await client.post("/admin/terms", data={"_csrf_token": csrf(page.text), "body_ca": "", "body_es": "x"})
    assert empty.status_code == 400 and "almenys en la llengua per defecte" in empty.text
    done = await client.post("/admin/terms", data={
        "_csrf_token": csrf(page.text), "body_ca": "<p>Noves normes</p><script>alert(1)</script>",
        "body_es": "<p>Nuevas normas</p>", "body_en": ""})
    assert done.status_code == 200 and "publicat la versió 2" in done.text
    versions = (await db.scalars(select(TermsOfUse).order_by(TermsOfUse.version))).all()
    assert [t.version for t in versions] == [1, 2]
    assert versions[1].body == {"ca": "<p>Noves normes</p>", "es": "<p>Nuevas normas</p>"}
    assert "Noves normes" in (await client.get("/terms")).text


async def test_appearance_changes_the_colours_of_every_page(client, staff, db, demo):
    await log_in(client, "boss@example.org")
    page = await client.get("/admin/appearance")
    bad = await client.post("/admin/appearance", data={"_csrf_token": csrf(page.text), "primary_color": "red",
                                                      "secondary_color": "#ffffff"})
    assert bad.status_code == 400 and "Tria un color com #1f5f8b." in bad.text and 'value="red"' in bad.text
    await client.post("/admin/appearance", data={"_csrf_token": csrf(page.text), "primary_color": "#AA0000",
                                                 "secondary_color": "#fafafa"})
    assert "--primary: #aa0000" in (await client.get("/organization.css")).text
    log = await client.get("/admin/log")
    assert "Rosa Admin" in log.text and "ha canviat l" in log.text and "aparença" in log.text


async def test_new_terms_must_be_accepted_before_acting_again(client, staff, db, demo):
    await log_in(client, "boss@example.org")
    page = await client.get("/admin/terms")
    await client.post("/admin/terms", data={"_csrf_token": csrf(page.text), "body_ca": "<p>Normes 2</p>"})

    await log_in(client, "citizen@example.org")
    sent = await client.get("/processes/pressupostos-2027?x=1", follow_redirects=False)
    assert sent.status_code == 303
    assert sent.headers["location"] == "/account/terms?next=%2Fprocesses%2Fpressupostos-2027%3Fx%3D1"
    page = await client.get(sent.headers["location"])
    assert "han canviat. Llegeix-les" in page.text and "Normes 2" in page.text
    assert (await client.get("/terms")).status_code == 200  # reading them is always possible
    refused = await client.post("/account/terms", data={"_csrf_token": csrf(page.text),
                                                        "next": "/processes/pressupostos-2027"})
    assert refused.status_code == 400 and "Marca aquesta casella per continuar." in refused.text
    accepted = await client.post("/account/terms", follow_redirects=False, data={
        "_csrf_token": csrf(page.text), "accept": "on", "next": "/processes/pressupostos-2027"})
    assert accepted.headers["location"] == "/processes/pressupostos-2027"
    assert (await client.get("/processes/pressupostos-2027")).status_code == 200
    await db.refresh(staff["citizen"])
    assert staff["citizen"].terms_accepted_version == 2

    client.cookies.clear()
    assert (await client.get("/processes/pressupostos-2027")).status_code == 200  # visitors just read


async def test_user_managers_invite_people_who_complete_their_account(client, staff, db, demo, settings):
    from tests.test_accounts import link_in, mails

    organization = await db.get(Organization, demo.id)
    organization.registration_mode = "invitation"
    await db.commit()
    await log_in(client, "manager@example.org")
    page = await client.get("/admin/users")
    taken = await client.post("/admin/users/invite", data={"_csrf_token": csrf(page.text), "name": "Joan",
                                                          "email": "citizen@example.org"})
    assert taken.status_code == 400 and "Aquesta persona ja té un compte." in taken.text
    assert 'value="citizen@example.org"' in taken.text
    sent = await client.post("/admin/users/invite", follow_redirects=True, data={
        "_csrf_token": csrf(page.text), "name": "Núria Nova", "email": "nuria@example.org"})
    assert "La invitació va cap a nuria@example.org" in sent.text
    [message] = [m for m in mails(settings) if m["To"] == "nuria@example.org"]
    path = link_in(message, "/account/invitation/")

    client.cookies.clear()
    form = await client.get(path)
    done = await client.post(path, follow_redirects=False, data={
        "_csrf_token": csrf(form.text), "name": "Núria Nova", "nickname": "nuria", "password": "el-carrer-nou-22",
        "minimum_age": "on", "terms": "on"})
    assert done.status_code == 303
    assert "Núria Nova" in (await client.get("/")).text
    log = await db.scalar(select(AdminLogEntry).where(AdminLogEntry.action == "user.invite"))
    assert log.target == "nuria@example.org"


async def test_administrators_set_registration_age_and_languages(client, staff, db, demo):
    await log_in(client, "boss@example.org")
    page = await client.get("/admin/settings")
    assert 'value="14"' in page.text
    bad = await client.post("/admin/settings", data={
        "_csrf_token": csrf(page.text), "registration_mode": "open", "minimum_age": "200", "default_locale": "en",
        "locale_ca": "on"})
    assert bad.status_code == 400 and "Escriu un nombre de com a màxim 119." in bad.text
    wrong_default = await client.post("/admin/settings", data={
        "_csrf_token": csrf(page.text), "registration_mode": "open", "minimum_age": "16", "default_locale": "en",
        "locale_ca": "on"})
    assert wrong_default.status_code == 400 and "ha de ser una de les que s" in wrong_default.text
    done = await client.post("/admin/settings", follow_redirects=False, data={
        "_csrf_token": csrf(page.text), "registration_mode": "closed", "minimum_age": "16", "default_locale": "ca",
        "locale_ca": "on", "locale_es": "on"})
    assert done.status_code == 303
    organization = await db.get(Organization, demo.id)
    await db.refresh(organization)
    assert (organization.registration_mode, organization.minimum_age) == ("closed", 16)
    assert organization.available_locales == ["ca", "es"]
    home = await client.get("/")
    assert 'hreflang="es"' in home.text and 'hreflang="en"' not in home.text  # English is no longer offered
    client.cookies.clear()
    assert "no accepta registres nous" in (await client.get("/account/register")).text
