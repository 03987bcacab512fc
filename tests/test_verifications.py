"""Verifications as people use them: the census an admin uploads, a citizen verifying with it or with an
identity document that staff review, one identity for one account (even after a deletion), and a
component's action (supporting a proposal) that requires a verification."""

from __future__ import annotations

import io
from datetime import date

import pytest
from PIL import Image
from sqlalchemy import func, select

from core.adminlog import AdminLogEntry
from core.db import Base, utcnow
from core.models import Component, Space
from core.roles import grant_organization_role, grant_space_role
from core.uploads import Upload, storage
from core.verifications import identity
from core.verifications.models import ActionRequirement, CensusEntry, IdentityDocument, Verification
from plugins.proposals.models import Proposal, Support
from tests.conftest import OTHER_HOST, other_organization
from tests.test_accounts import PASSWORD, csrf, mails, make_user
from tests.test_notifications import log_in

CENSUS = ("document_number;birth_date;postal_code\n"
          "12345678Z;31/05/1980;08800\n"
          "X1234567L;2001-02-03;08810\n"
          "87654321X;15/07/2012;08800\n")
BAD_CENSUS = ("12345678Z;31/05/1980\n"
              "123;31/05/1980\n"
              "11111111H;31/02/1980\n"
              "22222222J;1990-01-01;?\n"
              "only one column\n"
              "12.345.678-z;1980-05-31\n"
              "33333333P;01/01/1970\n")


@pytest.fixture
async def staff(demo, db):
    """An organization admin and a user manager, who read in English."""
    admin = await make_user(db, demo, email="boss@example.org", nickname="boss", name="Rosa Admin", locale="en")
    manager = await make_user(db, demo, email="desk@example.org", nickname="desk", name="Pau Desk", locale="en")
    await grant_organization_role(db, demo.id, admin.id, "admin")
    await grant_organization_role(db, demo.id, manager.id, "user_manager")
    await db.commit()
    return admin, manager


@pytest.fixture
async def citizen(demo, db):
    return await make_user(db, demo, email="laia.puig@example.org", nickname="laiapuig", name="Laia Puig", locale="en")


async def upload_census(client, content: str | bytes):
    page = await client.get("/admin/verifications")
    body = content.encode() if isinstance(content, str) else content
    return await client.post("/admin/verifications/census", data={"_csrf_token": csrf(page.text)},
                             files={"census": ("padro.csv", body, "text/csv")}, follow_redirects=False)


async def census_in(db, organization) -> int:
    return await db.scalar(select(func.count(CensusEntry.id)).where(CensusEntry.organization_id == organization.id))


async def verify(client, document_number="12345678Z", birth_date="1980-05-31", **extra):
    page = await client.get("/account/verifications/census")
    return await client.post("/account/verifications/census", follow_redirects=False, data={
        "_csrf_token": csrf(page.text), "document_number": document_number, "birth_date": birth_date, **extra})


def image_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 40), (20, 80, 160)).save(buffer, "PNG")
    return buffer.getvalue()


async def send_document(client, number="12345678Z", birth_date="1980-05-31", content: bytes | None = None):
    page = await client.get("/account/verifications/identity-document")
    return await client.post(
        "/account/verifications/identity-document", follow_redirects=False,
        data={"_csrf_token": csrf(page.text), "document_type": "dni", "document_number": number,
              "birth_date": birth_date, "postal_code": "08800"},
        files={"document": ("dni.png", image_bytes() if content is None else content, "image/png")})


async def post_form(client, page: str, action: str, **fields):
    html = (await client.get(page)).text
    return await client.post(action, data={"_csrf_token": csrf(html), **fields}, follow_redirects=False)


# ---------------------------------------------------------------- the census


async def test_a_census_with_bad_lines_is_refused_line_by_line_and_changes_nothing(client, demo, db, staff):
    _, manager = staff
    await log_in(client, manager)
    assert (await upload_census(client, CENSUS)).status_code == 303
    assert await census_in(db, demo) == 3

    refused = await upload_census(client, BAD_CENSUS)
    assert refused.status_code == 400
    page = refused.text
    assert "Line 2: the document number is not valid." in page
    assert "Line 3: the date of birth is not a date" in page  # 31 February
    assert "Line 4: the postal code is not valid." in page
    assert "Line 5: write two or three columns" in page
    assert "Line 6: the same person is already on line 1." in page  # the same number, written otherwise
    assert "Line 1:" not in page and "Line 7:" not in page
    assert await census_in(db, demo) == 3  # the census in force is untouched

    empty = await upload_census(client, "\n\n")
    assert empty.status_code == 400 and "The file holds nobody" in empty.text


async def test_a_new_census_replaces_the_old_one_and_says_how_many(client, demo, db, staff):
    admin, _ = staff
    await log_in(client, admin)
    await upload_census(client, CENSUS)
    replaced = await upload_census(client, "33333333P,01/01/1970\n")
    assert replaced.status_code == 303
    assert await census_in(db, demo) == 1
    page = await client.get("/admin/verifications")
    assert "The census holds 1 person." in page.text
    entry = await db.scalar(select(AdminLogEntry).where(AdminLogEntry.action == "census.upload")
                            .order_by(AdminLogEntry.id.desc()))
    assert entry.target == "1" and entry.user_id == admin.id


async def test_no_document_number_is_stored_in_the_database(client, demo, db, staff, citizen):
    _, manager = staff
    await log_in(client, manager)
    await upload_census(client, CENSUS)
    await log_in(client, citizen)
    assert (await verify(client)).status_code == 303
    assert (await send_document(client, number="X1234567L", birth_date="2001-02-03")).status_code == 303
    document = await db.scalar(select(IdentityDocument))
    await log_in(client, manager)
    assert (await post_form(client, f"/admin/verifications/documents/{document.id}",
                            f"/admin/verifications/documents/{document.id}/approve")).status_code == 303

    secret = "test-secret-" + "x" * 40
    assert await db.scalar(select(CensusEntry.digest).where(CensusEntry.postal_code == "08810")) == identity.digest(
        secret, demo.id, "X1234567L", date(2001, 2, 3))
    dump = []
    for table in Base.metadata.sorted_tables:
        dump += [str(row) for row in (await db.execute(select(table))).all()]
    everything = "\n".join(dump)
    for number in ("12345678Z", "X1234567L", "87654321X", "12345678", "1234567"):
        assert number not in everything
    assert "1980-05-31" in everything  # the person's own birth date stays on their verification (age conditions)


# ---------------------------------------------------------------- verifying with the census


async def test_a_citizen_verifies_with_the_census_and_mistakes_are_limited(client, demo, db, staff, citizen):
    _, manager = staff
    await log_in(client, manager)
    await upload_census(client, CENSUS)
    await log_in(client, citizen)

    listing = await client.get("/account/verifications")
    assert 'href="/account/verifications/census"' in listing.text
    assert 'href="/account/verifications/identity-document"' in listing.text

    wrong = await verify(client, birth_date="1980-05-30")
    assert wrong.status_code == 400 and "These details are not in the census" in wrong.text
    assert 'value="12345678Z"' in wrong.text  # what was typed is kept
    done = await verify(client, document_number="12 345 678-z", next="/processes")
    assert done.status_code == 303 and done.headers["location"] == "/processes"
    verification = await db.scalar(select(Verification).where(Verification.user_id == citizen.id))
    assert verification.handler == "census"
    assert verification.details == {"birth_date": "1980-05-31", "postal_code": "08800"}
    assert "Verified" in (await client.get("/account/verifications")).text


async def test_census_attempts_are_rate_limited(client, demo, db, staff, citizen):
    _, manager = staff
    await log_in(client, manager)
    await upload_census(client, CENSUS)
    await log_in(client, citizen)
    for _ in range(5):
        assert (await verify(client, birth_date="1999-01-01")).status_code == 400
    locked = await verify(client)  # right this time, but too late
    assert locked.status_code == 400 and "Too many attempts" in locked.text
    assert await db.scalar(select(func.count(Verification.id))) == 0


async def test_one_identity_verifies_one_account(client, demo, db, staff, citizen):
    _, manager = staff
    other = await make_user(db, demo, email="marta@example.org", nickname="marta", name="Marta", locale="en")
    await log_in(client, manager)
    await upload_census(client, CENSUS)
    await log_in(client, citizen)
    assert (await verify(client)).status_code == 303
    await log_in(client, other)
    refused = await verify(client)
    assert refused.status_code == 400 and "This identity already verifies another account" in refused.text
    assert (await db.scalars(select(Verification.user_id))).all() == [citizen.id]


async def test_a_deleted_account_keeps_the_identity_and_a_new_account_takes_it_back(client, demo, db, staff,
                                                                                    citizen):
    _, manager = staff
    await log_in(client, manager)
    await upload_census(client, CENSUS)
    await log_in(client, citizen)
    assert (await verify(client)).status_code == 303
    page = await client.get("/account/settings")
    deleted = await client.post("/account/delete", data={"_csrf_token": csrf(page.text),
                                                         "current_password": PASSWORD, "understood": "on"})
    assert deleted.status_code in (200, 303)
    kept = await db.scalar(select(Verification).execution_options(populate_existing=True))
    assert kept.user_id == citizen.id and kept.details == {} and kept.unique_digest

    # Somebody else cannot use the identity; the person, back with a new account, can.
    intruder = await make_user(db, demo, email="intrus@example.org", nickname="intrus", locale="en")
    returning = await make_user(db, demo, email="laia.torna@example.org", nickname="laia2", locale="en")
    await log_in(client, returning)
    assert (await verify(client)).status_code == 303
    rows = (await db.scalars(select(Verification).execution_options(populate_existing=True))).all()
    assert [(row.user_id, row.transferred_from_user_id) for row in rows] == [(returning.id, citizen.id)]
    assert rows[0].unique_digest == kept.unique_digest
    await log_in(client, intruder)
    assert (await verify(client)).status_code == 400


# ---------------------------------------------------------------- identity documents


async def test_an_identity_document_is_rejected_then_approved_and_its_file_is_private(client, demo, db, staff, citizen,
                                                                                       settings):
    admin, manager = staff
    await log_in(client, citizen)
    assert (await send_document(client, content=b"<html>not an image</html>")).status_code == 400
    assert (await send_document(client)).status_code == 303
    document = await db.scalar(select(IdentityDocument))
    upload = await db.get(Upload, document.upload_id)
    assert upload.private and upload.purpose == "identity_document"
    own = await client.get(f"/uploads/private/{upload.key}")
    assert own.status_code == 200 and own.headers["content-type"] == "image/png"
    assert (await client.get(f"/uploads/{upload.key}")).status_code == 404  # never a bare public address
    assert (await client.get(f"/admin/verifications/documents/{document.id}/file")).status_code == 403

    snoop = await make_user(db, demo, email="snoop@example.org", nickname="snoop", locale="en")
    await log_in(client, snoop)
    assert (await client.get(f"/uploads/private/{upload.key}")).status_code == 404
    assert (await client.get(f"/admin/verifications/documents/{document.id}/file")).status_code == 403

    other = await other_organization(db)
    foreign = await make_user(db, other, email="boss@altra.test", nickname="boss", locale="en")
    await grant_organization_role(db, other.id, foreign.id, "admin")
    await db.commit()
    await log_in(client, foreign, f"http://{OTHER_HOST}")
    assert (await client.get(f"http://{OTHER_HOST}/admin/verifications/documents/{document.id}")).status_code == 404
    assert (await client.get(f"http://{OTHER_HOST}/admin/verifications/documents/{document.id}/file")
            ).status_code == 404
    assert (await client.get(f"http://{OTHER_HOST}/uploads/private/{upload.key}")).status_code == 404

    await log_in(client, manager)
    listing = await client.get("/admin/verifications")
    assert f'href="/admin/verifications/documents/{document.id}"' in listing.text
    review = await client.get(f"/admin/verifications/documents/{document.id}")
    assert "12345678Z" in review.text and "1980-05-31" in review.text
    assert (await client.get(f"/admin/verifications/documents/{document.id}/file")).status_code == 200
    too_short = await post_form(client, f"/admin/verifications/documents/{document.id}",
                                f"/admin/verifications/documents/{document.id}/reject", reason="no")
    assert too_short.status_code == 400 and 'value="no"' not in too_short.text and ">no</textarea>" in too_short.text
    rejected = await post_form(client, f"/admin/verifications/documents/{document.id}",
                               f"/admin/verifications/documents/{document.id}/reject",
                               reason="The photo is blurred: send a sharper one.")
    assert rejected.status_code == 303
    await db.refresh(document)
    assert document.state == "rejected" and document.document_number is None and document.upload_id is None
    assert not (storage(settings).root / upload.path).exists()
    told = [message for message in mails(settings) if message["To"] == citizen.email]
    assert told and "The photo is blurred: send a sharper one." in told[-1].get_content()

    await log_in(client, citizen)
    page = await client.get("/account/verifications/identity-document")
    assert "The photo is blurred: send a sharper one." in page.text
    assert (await send_document(client)).status_code == 303
    await db.refresh(document)
    assert document.state == "pending" and document.rejection_reason is None

    await log_in(client, admin)
    approved = await post_form(client, f"/admin/verifications/documents/{document.id}",
                               f"/admin/verifications/documents/{document.id}/approve")
    assert approved.status_code == 303
    assert await db.scalar(select(func.count(IdentityDocument.id))) == 0
    assert await db.scalar(select(func.count(Upload.id)).where(Upload.purpose == "identity_document")) == 0
    verification = await db.scalar(select(Verification).where(Verification.user_id == citizen.id))
    assert verification.handler == "identity_document"
    assert [row.action for row in (await db.scalars(select(AdminLogEntry).where(
        AdminLogEntry.action.like("verification.%")).order_by(AdminLogEntry.id))).all()] == [
        "verification.reject", "verification.approve"]
    assert any("is verified" in message.get_content() for message in mails(settings)
               if message["To"] == citizen.email)


async def test_admins_revoke_verifications_and_user_managers_cannot(client, demo, db, staff, citizen):
    admin, manager = staff
    await log_in(client, manager)
    await upload_census(client, CENSUS)
    await log_in(client, citizen)
    await verify(client)
    verification = await db.scalar(select(Verification))
    await log_in(client, manager)
    listing = await client.get("/admin/verifications/granted")
    assert "Laia Puig" in listing.text and "/revoke" not in listing.text
    assert (await post_form(client, "/admin/verifications/granted",
                            f"/admin/verifications/{verification.id}/revoke")).status_code == 403
    await log_in(client, admin)
    assert (await post_form(client, "/admin/verifications/granted",
                            f"/admin/verifications/{verification.id}/revoke")).status_code == 303
    assert await db.scalar(select(func.count(Verification.id))) == 0
    assert await db.scalar(select(AdminLogEntry.target).where(AdminLogEntry.action == "verification.revoke")) \
        == "Laia Puig (@laiapuig)"


async def test_the_lists_cost_the_same_whatever_their_length(client, demo, db, staff, count_queries):
    admin, _ = staff
    await log_in(client, admin)

    async def people(count: int, start: int) -> None:
        for index in range(start, start + count):
            person = await make_user(db, demo, email=f"p{index}@example.org", nickname=f"p{index}", locale="en")
            db.add(Verification(organization_id=demo.id, user_id=person.id, handler="census",
                                unique_digest=f"{index:064d}", details={}))
            db.add(IdentityDocument(organization_id=demo.id, user_id=person.id, document_type="dni",
                                    document_number="12345678Z", birth_date=date(1980, 1, 1)))
        await db.commit()

    costs = []
    for count, start in ((2, 0), (12, 2)):
        await people(count, start)
        with count_queries() as counter:
            assert (await client.get("/admin/verifications/granted")).status_code == 200
            assert (await client.get("/admin/verifications")).status_code == 200
        costs.append(counter.count)
    assert costs[0] == costs[1]


# ---------------------------------------------------------------- what an action requires


async def proposals_component(db) -> Component:
    return await db.scalar(select(Component).join(Space).where(Space.slug == "pressupostos-2027",
                                                               Component.component_type == "proposals"))


async def test_a_support_that_requires_the_census_is_refused_until_the_person_verifies(client, demo, db, staff,
                                                                                      citizen):
    admin, manager = staff
    component = await proposals_component(db)
    space = await db.get(Space, component.space_id)
    proposal = Proposal(component_id=component.id, title="Més fonts a la plaça", body="<p>Aigua</p>", language="ca",
                        state="published", published_at=utcnow(), words="fonts placa")
    db.add(proposal)
    key = str(space.active_phase_id)
    component.phase_settings = {**component.phase_settings, key: {"supports_enabled": True}}
    await db.commit()

    await log_in(client, manager)
    await upload_census(client, CENSUS)
    await log_in(client, admin)
    settings_page = await client.get(f"/admin/spaces/{space.id}/components/{component.id}")
    assert f'href="/admin/spaces/{space.id}/components/{component.id}/permissions"' in settings_page.text
    permissions = f"/admin/spaces/{space.id}/components/{component.id}/permissions"
    bad = await post_form(client, permissions, permissions, **{
        "require.support.census": "on", "minimum_age.support.census": "300",
        "postal_codes.support.census": "08800, ???"})
    assert bad.status_code == 400
    assert "Enter an age between 1 and 120" in bad.text and 'value="08800, ???"' in bad.text
    saved = await post_form(client, permissions, permissions, **{
        "require.support.census": "on", "minimum_age.support.census": "16",
        "postal_codes.support.census": "08800 08810"})
    assert saved.status_code == 303
    requirement = await db.scalar(select(ActionRequirement))
    assert (requirement.action, requirement.handler, requirement.options) == (
        "support", "census", {"minimum_age": 16, "postal_codes": ["08800", "08810"]})
    assert 'checked' in (await client.get(permissions)).text

    base = f"/processes/{space.slug}/proposals/{component.id}/{proposal.id}"
    await log_in(client, citizen)
    refused = await post_form(client, base, f"{base}/support")
    assert refused.status_code == 403
    assert "Verify your identity with: Municipal census." in refused.text
    assert f'href="/account/verifications/census?next={base}"' in refused.text
    assert await db.scalar(select(func.count(Support.id)).where(Support.proposal_id == proposal.id)) == 0

    assert (await verify(client, next=base)).headers["location"] == base
    accepted = await post_form(client, base, f"{base}/support")
    assert accepted.status_code == 303
    assert (await db.scalars(select(Support.user_id).where(Support.proposal_id == proposal.id))).all() == [citizen.id]

    # A person too young for the condition is refused with the reason, even verified.
    young = await make_user(db, demo, email="jove@example.org", nickname="jove", locale="en")
    await log_in(client, young)
    assert (await verify(client, document_number="87654321X", birth_date="2012-07-15")).status_code == 303
    too_young = await post_form(client, base, f"{base}/support")
    assert too_young.status_code == 403 and "Only people aged 16 or over can do this." in too_young.text
    assert await db.scalar(select(func.count(Support.id)).where(Support.proposal_id == proposal.id)) == 1


async def test_requirements_of_another_organizations_component_are_not_found(client, demo, db, staff):
    admin, _ = staff
    component = await proposals_component(db)
    other = await other_organization(db)
    space = Space(organization_id=other.id, space_type="process", slug="altre", title={"ca": "Altre"})
    db.add(space)
    await db.flush()
    foreign_component = Component(space_id=space.id, component_type="proposals", name={"ca": "Propostes"},
                                  settings={}, phase_settings={})
    db.add(foreign_component)
    await db.commit()
    await log_in(client, admin)
    assert (await client.get(f"/admin/spaces/{space.id}/components/{foreign_component.id}/permissions")
            ).status_code == 404
    own_space = component.space_id
    assert (await client.get(f"/admin/spaces/{own_space}/components/{foreign_component.id}/permissions")
            ).status_code == 404
    moderator = await make_user(db, demo, email="mod@example.org", nickname="mod", locale="en")
    await grant_space_role(db, own_space, moderator.id, "moderator")
    await db.commit()
    await log_in(client, moderator)
    assert (await client.get(f"/admin/spaces/{own_space}/components/{component.id}/permissions")).status_code == 403
