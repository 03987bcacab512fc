"""Moderation: people report comments and reportable resources, enough reports hide them, a space's
moderators review them and organization admins block their authors; every step is in the admin log."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from core.accounts.models import User
from core.adminlog import AdminLogEntry
from core.comments.models import Comment
from core.models import Component, Space
from core.moderation import services
from core.moderation.models import Moderation, Report
from core.roles import grant_organization_role, grant_space_role
from plugins.pages.models import Page
from tests.conftest import OTHER_HOST, other_organization, shared_registry
from tests.test_accounts import PASSWORD, csrf, make_user
from tests.test_comments import (
    World,
    add_comment,
    comment,
    component_with_space,
    ideas_registry,
    log_in,
    make_world,
    post_form,
)


@pytest.fixture
def registry(settings):
    return shared_registry(settings, "ideas", ideas_registry)


@pytest.fixture
async def world(app, engine, demo, db) -> World:
    return await make_world(app, engine, demo, db)


def report_url(world: World, resource_type: str, resource_id: int, component: Component | None = None) -> str:
    component = component or world.pages
    return (f"/processes/pressupostos-2027/{component.component_type}/{component.id}/reports/new"
            f"?resource_type={resource_type}&resource_id={resource_id}")


async def report(client, world: World, resource_type: str, resource_id: int, reason: str = "spam",
                 details: str = "", component: Component | None = None):
    component = component or world.pages
    return await post_form(
        client, report_url(world, resource_type, resource_id, component),
        f"/processes/pressupostos-2027/{component.component_type}/{component.id}/reports",
        resource_type=resource_type, resource_id=str(resource_id), reason=reason, details=details)


async def moderation_for(db, resource_type: str, resource_id: int) -> Moderation | None:
    row = await db.scalar(select(Moderation).where(Moderation.resource_type == resource_type,
                                                   Moderation.resource_id == resource_id))
    if row is not None:
        await db.refresh(row)
    return row


async def log_entries(db) -> list[tuple[str, str]]:
    return [(entry.action, entry.target) for entry in await db.scalars(
        select(AdminLogEntry).where(AdminLogEntry.action.like("moderation.%") | (AdminLogEntry.action == "user.block"))
        .order_by(AdminLogEntry.id))]


async def test_reports_hide_a_comment_at_the_threshold_and_count_each_person_once(app, client, world, db):
    comment_id = await add_comment(app, world, "anna", "Compra seguidors a spam.example")
    await log_in(client, "biel@example.org")
    form = await client.get(report_url(world, "comments.comment", comment_id))
    assert form.status_code == 200 and "Compra seguidors" in form.text
    first = await report(client, world, "comments.comment", comment_id)
    assert first.status_code == 303 and first.headers["location"].endswith(f"#comment-{comment_id}")
    again = await report(client, world, "comments.comment", comment_id, reason="offensive")
    assert again.status_code == 400 and "You have already reported this" in again.text

    await log_in(client, "anna@example.org")
    own = await report(client, world, "comments.comment", comment_id)
    assert own.status_code == 400 and "You cannot report what you wrote yourself." in own.text

    await log_in(client, "carla@example.org")
    await report(client, world, "comments.comment", comment_id, reason="offensive")
    assert "Compra seguidors" in (await client.get(world.page_url)).text  # two reports: still shown
    await log_in(client, "dani@example.org")
    third = await report(client, world, "comments.comment", comment_id, reason="other", details="Publicitat")
    assert third.status_code == 303

    moderation = await moderation_for(db, "comments.comment", comment_id)
    assert moderation.report_count == 3 and moderation.hidden_at is not None and moderation.hidden_by_id is None
    assert moderation.author_id == world.users["anna"].id and moderation.space_id == world.process.id
    page = (await client.get(world.page_url)).text
    assert "Compra seguidors" not in page and "This comment was hidden by moderation." in page
    assert (await client.get(report_url(world, "comments.comment", comment_id))).status_code == 404
    assert (await client.get(f"{world.pages_comments}/{comment_id}/reply")).status_code == 404
    vote = await post_form(client, world.page_url, f"{world.pages_comments}/{comment_id}/vote", value="up")
    assert vote.status_code == 303 and await db.scalar(select(func.count()).select_from(Report)) == 3


async def test_a_refused_report_keeps_what_was_typed(app, client, world):
    comment_id = await add_comment(app, world, "anna")
    await log_in(client, "biel@example.org")
    no_details = await report(client, world, "comments.comment", comment_id, reason="other")
    assert no_details.status_code == 400 and "Tell the moderators what the problem is." in no_details.text
    assert 'value="other" checked' in no_details.text
    too_long = "molt " * 120
    refused = await report(client, world, "comments.comment", comment_id, reason="spam", details=too_long)
    assert refused.status_code == 400 and too_long.strip() in refused.text
    no_reason = await report(client, world, "comments.comment", comment_id, reason="", details="Em molesta")
    assert no_reason.status_code == 400 and "Em molesta" in no_reason.text and 'href="#field-reason"' in no_reason.text


async def test_pages_are_not_reportable_but_their_comments_are(app, client, world):
    await log_in(client, "biel@example.org")
    assert (await client.get(report_url(world, "pages.page", world.page.id))).status_code == 404
    refused = await post_form(client, world.page_url, world.pages_comments.replace("/comments", "/reports"),
                              resource_type="pages.page", resource_id=str(world.page.id), reason="spam")
    assert refused.status_code == 404
    comment_id = await add_comment(app, world, "anna")
    assert f"reports/new?resource_type=comments.comment&amp;resource_id={comment_id}" in \
        (await client.get(world.page_url)).text


async def test_moderators_hide_unhide_and_dismiss_and_the_admin_log_says_so(app, client, world, db, demo):
    moderator = await make_user(db, demo, email="mod@example.org", nickname="moderadora", name="Mercè")
    await grant_space_role(db, world.process.id, moderator.id, "moderator")
    await db.commit()
    first = await add_comment(app, world, "anna", "Un comentari discutible")
    second = await add_comment(app, world, "anna", "Un altre de dubtós")
    await log_in(client, "biel@example.org")
    await report(client, world, "comments.comment", first, reason="offensive")
    await report(client, world, "comments.comment", second, reason="other", details="No té sentit")

    await log_in(client, "mod@example.org")
    base = f"/admin/spaces/{world.process.id}/moderation"
    listing = await client.get(base)
    assert listing.status_code == 200
    assert "Un comentari discutible" in listing.text and "Offensive: insults" in listing.text
    assert "No té sentit" in listing.text and "1 report" in listing.text
    moderation = await moderation_for(db, "comments.comment", first)
    hidden = await post_form(client, base, f"{base}/{moderation.id}/hide")
    assert hidden.status_code == 303
    assert "Un comentari discutible" not in (await client.get(world.page_url)).text
    assert "Un comentari discutible" in (await client.get(base + "?show=hidden")).text
    assert "Un comentari discutible" not in (await client.get(base)).text
    moderation = await moderation_for(db, "comments.comment", first)
    assert moderation.hidden_by_id == moderator.id

    await post_form(client, base, f"{base}/{moderation.id}/unhide")
    moderation = await moderation_for(db, "comments.comment", first)
    assert moderation.hidden_at is None and moderation.report_count == 0
    assert await db.scalar(select(func.count()).select_from(Report).where(Report.moderation_id == moderation.id)) == 0
    assert "Un comentari discutible" in (await client.get(world.page_url)).text

    other = await moderation_for(db, "comments.comment", second)
    await post_form(client, base, f"{base}/{other.id}/unhide")  # keep it visible: the reports are dismissed
    assert "Nothing is waiting for review." in (await client.get(base)).text
    assert [action for action, _ in await log_entries(db)] == ["moderation.hide", "moderation.unhide",
                                                               "moderation.dismiss"]
    assert (await log_entries(db))[0][1] == "Un comentari discutible"


async def test_hidden_resources_disappear_from_lists_pages_and_threads(app, client, world, db):
    await log_in(client, "anna@example.org")
    ideas = f"/processes/pressupostos-2027/ideas/{world.ideas.id}"
    assert f'href="{ideas}/reports/new?resource_type=ideas.idea&amp;resource_id=103"' in \
        (await client.get(world.idea_url(103))).text
    assert "Idea 103" in (await client.get(ideas)).text
    for person in ("anna", "biel", "carla"):
        await log_in(client, f"{person}@example.org")
        assert (await report(client, world, "ideas.idea", 103, component=world.ideas)).status_code == 303
    await log_in(client, "dani@example.org")  # its author
    assert "Idea 103" not in (await client.get(ideas)).text and "Idea 101" in (await client.get(ideas)).text
    assert (await client.get(world.idea_url(103))).status_code == 404
    refused = await comment(client, world, "Hola", url=world.idea_url(101), action=world.ideas_comments,
                            resource=("ideas.idea", 103))
    assert refused.status_code == 404
    moderation = await moderation_for(db, "ideas.idea", 103)
    assert moderation.author_id == world.users["dani"].id and moderation.path == world.idea_url(103)

    # The SQL filter plugins add to their queries.
    db.add(Moderation(organization_id=world.process.organization_id, space_id=world.process.id,
                      component_id=world.pages.id, resource_type="pages.page", resource_id=world.page.id,
                      hidden_at=moderation.hidden_at))
    await db.commit()
    shown = set(await db.scalars(select(Page.id).where(Page.component_id == world.pages.id,
                                                       services.not_hidden(Page.id, "pages.page"))))
    every = set(await db.scalars(select(Page.id).where(Page.component_id == world.pages.id)))
    assert shown == every - {world.page.id} and await services.hidden_ids(db, "pages.page", every) == {world.page.id}


async def test_only_the_spaces_moderators_and_admins_may_moderate(app, client, world, db, demo):
    mobility = await db.scalar(select(Space).where(Space.slug == "pla-de-mobilitat"))
    elsewhere = await make_user(db, demo, email="mod2@example.org", nickname="moderador2")
    await grant_space_role(db, mobility.id, elsewhere.id, "moderator")
    moderator = await make_user(db, demo, email="mod@example.org", nickname="moderadora")
    await grant_space_role(db, world.process.id, moderator.id, "moderator")
    other = await other_organization(db)
    foreign = await make_user(db, other, email="boss@altra.test", nickname="boss")
    await grant_organization_role(db, other.id, foreign.id, "admin")
    await db.commit()
    comment_id = await add_comment(app, world, "anna", "A revisar")
    await log_in(client, "biel@example.org")
    await report(client, world, "comments.comment", comment_id)
    moderation = await moderation_for(db, "comments.comment", comment_id)
    base = f"/admin/spaces/{world.process.id}/moderation"

    for email in ("biel@example.org", "mod2@example.org"):
        await log_in(client, email)
        assert (await client.get(base)).status_code == 403
        assert (await post_form(client, world.page_url, f"{base}/{moderation.id}/hide")).status_code == 403
    assert (await moderation_for(db, "comments.comment", comment_id)).hidden_at is None

    await log_in(client, "mod2@example.org")  # their own space's page does not reach this moderation
    own = f"/admin/spaces/{mobility.id}/moderation"
    assert (await client.get(own)).status_code == 200
    assert (await post_form(client, own, f"{own}/{moderation.id}/hide")).status_code == 404

    await log_in(client, "mod@example.org")
    assert (await client.get(f"{base}/{moderation.id}/block")).status_code == 403  # blocking is for admins

    client.cookies.clear()
    login = await client.get(f"http://{OTHER_HOST}/account/login")
    await client.post(f"http://{OTHER_HOST}/account/login", data={
        "_csrf_token": csrf(login.text), "email": "boss@altra.test", "password": PASSWORD})
    assert (await client.get(f"http://{OTHER_HOST}{base}")).status_code == 404
    assert (await client.get(f"http://{OTHER_HOST}{base}/{moderation.id}/block")).status_code == 404


async def test_an_organization_admin_blocks_the_author_from_the_moderation_page(app, client, world, db, demo):
    admin = await make_user(db, demo, email="boss@example.org", nickname="boss", name="Rosa Admin")
    await grant_organization_role(db, demo.id, admin.id, "admin")
    await db.commit()
    comment_id = await add_comment(app, world, "anna", "Insults i més insults")
    await log_in(client, "biel@example.org")
    await report(client, world, "comments.comment", comment_id, reason="offensive")
    moderation = await moderation_for(db, "comments.comment", comment_id)

    await log_in(client, "boss@example.org")
    base = f"/admin/spaces/{world.process.id}/moderation"
    assert f'href="{base}/{moderation.id}/block"' in (await client.get(base)).text
    page = f"{base}/{moderation.id}/block"
    assert "Insults i més insults" in (await client.get(page)).text
    refused = await post_form(client, page, page, reason="x")
    assert refused.status_code == 400 and 'value="x"' not in refused.text and ">x</textarea>" in refused.text
    blocked = await post_form(client, page, page, reason="Insults repetits")
    assert blocked.status_code == 303
    anna = await db.get(User, world.users["anna"].id)
    await db.refresh(anna)
    assert anna.blocked_at is not None and anna.blocked_reason == "Insults repetits"
    assert [(action, "anna" in target) for action, target in await log_entries(db)] == [("user.block", True)]

    client.cookies.clear()  # blocked: Anna cannot log in any more
    login = await client.get("/account/login")
    response = await client.post("/account/login", data={"_csrf_token": csrf(login.text), "email": "anna@example.org",
                                                          "password": PASSWORD}, follow_redirects=False)
    assert response.status_code != 303


async def test_parallel_reports_count_each_person_once(app, world, db, demo):
    comment_id = await add_comment(app, world, "anna", "Polèmic")
    people = [await make_user(db, demo, email=f"r{n}@example.org", nickname=f"reporter{n}") for n in range(6)]

    async def one_report(user_id: int) -> None:
        async with world.sessions() as session:
            component = await component_with_space(session, world.pages.id)
            reported = await services.reportable(session, app.state.registry, component, "comments.comment",
                                                 comment_id)
            try:
                await services.report(session, app.state.settings, component, await session.get(User, user_id),
                                      reported, "spam")
            except services.ModerationError:
                await session.rollback()  # this person's report was counted by another click
            else:
                await session.commit()

    results = await asyncio.gather(*(one_report(person.id) for person in people for _ in range(3)),
                                   return_exceptions=True)
    problems = [result for result in results if isinstance(result, Exception)]
    # After the threshold the comment is hidden, and later clicks find nothing left to report.
    assert all(isinstance(problem, services.ResourceNotFound) for problem in problems), problems
    moderation = await moderation_for(db, "comments.comment", comment_id)
    reports = await db.scalar(select(func.count()).select_from(Report).where(Report.moderation_id == moderation.id))
    assert moderation.report_count == reports >= 3 and moderation.hidden_at is not None
    assert reports == len({row for row in await db.scalars(
        select(Report.user_id).where(Report.moderation_id == moderation.id))})
    assert await db.get(Comment, comment_id) is not None
