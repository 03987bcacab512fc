"""Search: one box over everything public in the organization, accent- and case-insensitive, current
on every change, and blind to what is unpublished, private, hidden or another organization's."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from core.cli import main
from core.comments.models import Comment
from core.db import utcnow
from core.models import Component, Space
from core.moderation.models import Moderation
from core.search.models import IndexedDocument
from core.search.services import normalize, words_of
from core.spaces.schemas import SpaceForm
from core.spaces.services import create_space, update_space
from plugins.proposals.models import Proposal
from tests.conftest import OTHER_HOST, other_organization
from tests.test_accounts import make_user
from tests.test_comments import World, comment, log_in, make_world, new_id, post_form

RESULT_LINK = re.compile(r'<h3><a href="([^"]+)">([^<]*)</a></h3>')


@pytest.fixture
async def world(app, engine, demo, db) -> World:
    return await make_world(app, engine, demo, db)


async def found(client, q: str, **filters: str) -> list[tuple[str, str]]:
    response = await client.get("/search", params={"q": q, **filters})
    assert response.status_code == 200
    return RESULT_LINK.findall(response.text)


def space_form(**fields) -> SpaceForm:
    values = {"title": {"ca": "Espai"}, "slug": "espai", "subtitle": {}, "short_description": {}, "description": {},
              "announcement": {}, "start_date": None, "end_date": None, "private": False, "promoted": False}
    values.update(fields)
    return SpaceForm(**values)


def test_words_are_compared_without_case_accents_or_punctuation():
    assert normalize("L'Àgora, PARTICIPACIÓ! col·lectiu_2027") == "l agora participacio col lectiu 2027"
    assert words_of('  "arbres" AND arbres* OR (NEAR) ') == ["arbres", "and", "or", "near"]


async def test_a_proposal_is_found_whatever_the_case_and_accents_and_by_the_start_of_a_word(client, demo, db):
    for q in ("plaça major", "PLACA", "placa maj", "Ombra"):
        results = await found(client, q)
        assert "Més arbres i ombra a la plaça Major" in [title for _, title in results], q
        assert "Carril bici segregat fins a l'institut" not in [title for _, title in results], q
    process = await db.scalar(select(Space).where(Space.slug == "pressupostos-2027"))
    url = next(url for url, title in await found(client, "placa major", space=str(process.id)) if "arbres" in title)
    assert re.fullmatch(r"/processes/pressupostos-2027/proposals/\d+/\d+", url)
    assert (await client.get(url)).status_code == 200


async def test_spaces_are_found_by_their_titles_and_descriptions_in_every_language(client, demo):
    for q in ("pressupostos participatius", "presupuestos", "Participatory budget", "milions"):
        assert "/processes/pressupostos-2027" in [url for url, _ in await found(client, q)], q


async def test_a_new_or_changed_space_is_found_at_once_and_only_once_published_and_public(app, client, demo, db):
    admin = await make_user(db, demo)
    space = await create_space(db, demo, admin, "process", space_form(title={"ca": "Zumhorts urbans"}, slug="horts"))
    await db.commit()
    assert await found(client, "zumhorts") == []  # a draft
    space.published = True
    await db.commit()
    assert [url for url, _ in await found(client, "zumhorts")] == ["/processes/horts"]
    await update_space(db, space, admin, space_form(title={"ca": "Zumjardins comunitaris"}, slug="horts"))
    await db.commit()
    assert await found(client, "zumhorts") == []
    assert [url for url, _ in await found(client, "zumjardins")] == ["/processes/horts"]
    space.private = True
    await db.commit()
    assert await found(client, "zumjardins") == []


async def test_unpublished_or_archived_components_are_not_searched(client, demo, db):
    component = await db.scalar(select(Component).join(Space).where(
        Space.slug == "pressupostos-2027", Component.component_type == "proposals"))
    assert await found(client, "ombra", space=str(component.space_id))
    component.published = False
    await db.commit()
    assert await found(client, "ombra", space=str(component.space_id)) == []
    component.published, component.archived_at = True, utcnow()
    await db.commit()
    assert await found(client, "ombra", space=str(component.space_id)) == []


async def test_another_organizations_content_is_never_found(app, client, demo, db):
    other = await other_organization(db)
    admin = await make_user(db, other, email="admin@altra.test", nickname="admin")
    space = await create_space(db, other, admin, "process", space_form(title={"ca": "Pressupostos d'Altra"},
                                                                        slug="pressupostos"))
    space.published = True
    await db.commit()
    assert "/processes/pressupostos" not in [url for url, _ in await found(client, "pressupostos")]
    client.base_url = f"http://{OTHER_HOST}"
    assert [url for url, _ in await found(client, "pressupostos")] == ["/processes/pressupostos"]


async def test_comments_are_found_at_once_follow_edits_and_go_when_deleted_or_hidden(app, client, world, db):
    await log_in(client, "anna@example.org")
    comment_id = new_id(await comment(client, world, "Caldria una zumbiblioteca oberta els zundiumenges."))
    results = await found(client, "zumbiblioteca zundiumenge")
    assert results == [(f"{world.page_url}#comment-{comment_id}", "Comment")]
    assert (await client.get(results[0][0].split("#")[0])).status_code == 200

    edit_url = f"{world.pages_comments}/{comment_id}/edit"
    edit = await post_form(client, edit_url, edit_url, **{"comment.body": "Caldria una zumludoteca oberta els zundiumenges."})
    assert edit.status_code == 303
    assert await found(client, "zumbiblioteca") == []
    assert len(await found(client, "zumludoteca")) == 1

    db.add(Moderation(organization_id=world.process.organization_id, resource_type="comments.comment",
                      resource_id=comment_id, space_id=world.process.id, component_id=world.pages.id,
                      report_count=3, hidden_at=utcnow()))
    await db.commit()
    assert await found(client, "zumludoteca") == []

    await db.execute(Moderation.__table__.delete())
    await db.commit()
    assert len(await found(client, "zumludoteca")) == 1
    delete = await post_form(client, world.page_url, f"{world.pages_comments}/{comment_id}/delete")
    assert delete.status_code == 303
    assert await found(client, "zumludoteca") == []


async def test_a_comment_on_something_hidden_is_hidden_from_search_too(client, world, db):
    await log_in(client, "anna@example.org")
    await comment(client, world, "Les fonts del parc estan zumespatllades.")
    assert len(await found(client, "zumespatllades")) == 1
    db.add(Moderation(organization_id=world.process.organization_id, resource_type="pages.page",
                      resource_id=world.page.id, space_id=world.process.id, component_id=world.pages.id,
                      report_count=3, hidden_at=utcnow()))
    await db.commit()
    assert await found(client, "zumespatllades") == []


async def test_filters_by_kind_space_and_date_with_counts_per_kind(client, world, db):
    await log_in(client, "anna@example.org")
    comment_id = new_id(await comment(client, world, "Més arbres a la plaça, si us plau."))
    within = {"space": str(world.process.id)}
    response = await client.get("/search", params={"q": "plaça arbres", **within})
    assert re.search(r"Proposals \(1\)", response.text) and re.search(r"Comments \(1\)", response.text)
    only_comments = await found(client, "plaça arbres", type="comments", **within)
    assert only_comments == [(f"{world.page_url}#comment-{comment_id}", "Comment")]
    assert [title for _, title in await found(client, "plaça arbres", type="proposals", **within)] == [
        "Més arbres i ombra a la plaça Major"]
    assert await found(client, "arbres", type="nonsense", **within) == await found(client, "arbres", **within)
    everywhere = await found(client, "plaça arbres")
    assert len(everywhere) > 2 and all(url.startswith(("/processes/", "/assemblies/")) for url, _ in everywhere)
    # The demo's proposal was published twenty days ago, the comment now.
    assert [title for _, title in await found(client, "plaça arbres", period="week", **within)] == ["Comment"]
    assert len(await found(client, "plaça arbres", period="month", **within)) == 2
    old = await db.scalar(select(IndexedDocument).where(IndexedDocument.resource_type == "comments.comment",
                                                        IndexedDocument.resource_id == comment_id))
    old.published_at = utcnow() - timedelta(days=800)
    await db.commit()
    assert [title for _, title in await found(client, "plaça arbres", period="year", **within)] == [
        "Més arbres i ombra a la plaça Major"]


@pytest.mark.parametrize("q", ['"', "*", 'arbres"', "AND OR NOT", "NEAR(arbres", "arbres:*", "a & b | !c",
                               "'; DROP TABLE core_search_documents; --", "%_%", "\\", "(((", "x" * 500])
async def test_query_syntax_typed_by_people_is_only_words(client, demo, q):
    response = await client.get("/search", params={"q": q})
    assert response.status_code == 200
    assert "<script" not in response.text.split("<main", 1)[1]


async def test_the_page_runs_a_fixed_number_of_queries_whatever_the_matches(app, client, world, db, count_queries):
    async def queries() -> int:
        with count_queries() as counter:
            assert (await client.get("/search", params={"q": "arbres"})).status_code == 200
        return len(counter.statements)

    await log_in(client, "anna@example.org")
    await comment(client, world, "Arbres al pati.")
    await queries()
    before = await queries()
    for number in range(25):
        await comment(client, world, f"Arbres número {number}.")
    assert await queries() == before


async def test_the_proposals_list_searches_through_the_index(client, demo, db):
    component = await db.scalar(select(Component).join(Space).where(
        Space.slug == "pressupostos-2027", Component.component_type == "proposals"))
    base = f"/processes/pressupostos-2027/proposals/{component.id}"
    listed = (await client.get(f"{base}/", params={"q": "PLACA ombr"})).text
    assert "Més arbres i ombra a la plaça Major" in listed
    assert "Carril bici" not in listed


async def test_rebuild_indexes_everything_again(app, demo, db, settings, tmp_path):
    await db.execute(IndexedDocument.__table__.delete())
    await db.commit()
    env = {"PARTICIPA_DATABASE_URL": settings.database_url, "PARTICIPA_DATA_DIR": str(tmp_path),
           "PARTICIPA_LOG_JSON": "false"}
    result = await asyncio.to_thread(CliRunner().invoke, main, ["search", "rebuild", "--org", demo.slug], env=env)
    assert result.exit_code == 0, result.output
    spaces = await db.scalar(select(func.count(Space.id)).where(Space.organization_id == demo.id))
    proposals = await db.scalar(select(func.count(Proposal.id)).where(Proposal.state != "draft"))
    comments = await db.scalar(select(func.count(Comment.id)))
    indexed = await db.scalar(select(func.count(IndexedDocument.id)))
    assert indexed >= spaces + proposals + comments
    assert f"{demo.slug}: {indexed} things indexed" in result.output
    missing = await asyncio.to_thread(CliRunner().invoke, main, ["search", "rebuild", "--org", "nowhere"], env=env)
    assert missing.exit_code != 0 and "no organization" in missing.output
