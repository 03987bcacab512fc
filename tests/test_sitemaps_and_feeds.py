"""What crawlers and feed readers get: robots.txt, the sitemaps and the Atom feeds of activity. They list
only what anybody may open: nothing of a draft or private space, an unpublished component, something
hidden by moderation or another organization; and they cost the same few queries whatever the data."""

from __future__ import annotations

from xml.etree import ElementTree

from sqlalchemy import select, update

from core.db import utcnow
from core.models import Component, Space
from core.moderation.models import Moderation
from core.search.models import IndexedDocument
from plugins.proposals.models import Proposal
from tests.conftest import OTHER_HOST, other_organization
from tests.test_activity import PROCESS, comment, happened, scene  # noqa: F401  (the fixture)

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
ATOM = "{http://www.w3.org/2005/Atom}"


async def _sitemap_urls(client) -> list[str]:
    """Every address of every sitemap of the organization, following the index."""
    index = await client.get("/sitemap.xml")
    assert index.status_code == 200 and index.headers["content-type"].startswith("application/xml")
    urls = []
    for location in ElementTree.fromstring(index.content).iter(f"{SITEMAP}loc"):
        assert location.text.startswith("http://vilademo.test/sitemaps/")
        page = await client.get(location.text.removeprefix("http://vilademo.test"))
        assert page.status_code == 200
        urls.extend(loc.text for loc in ElementTree.fromstring(page.content).iter(f"{SITEMAP}loc"))
    return urls


async def test_robots_txt_points_at_the_sitemap_and_keeps_crawlers_out_of_personal_pages(client, demo):
    response = await client.get("/robots.txt")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    lines = response.text.splitlines()
    assert "Sitemap: http://vilademo.test/sitemap.xml" in lines
    assert {"Disallow: /admin/", "Disallow: /account/", "Disallow: /system/"} <= set(lines)


async def test_the_sitemap_lists_what_is_public_and_every_page_of_it_opens(client, demo, db):
    urls = await _sitemap_urls(client)
    proposals = (await db.scalars(select(Proposal).where(Proposal.published_at.is_not(None),
                                                         Proposal.withdrawn_at.is_(None)))).all()
    process = await db.scalar(select(Space).where(Space.slug == "pressupostos-2027"))
    component = await db.scalar(select(Component).where(Component.space_id == process.id,
                                                        Component.component_type == "proposals"))
    proposal = next(p for p in proposals if p.component_id == component.id)
    expected = {"http://vilademo.test/", f"http://vilademo.test{PROCESS}", "http://vilademo.test/processes",
                f"http://vilademo.test{PROCESS}/proposals/{component.id}",
                f"http://vilademo.test{PROCESS}/proposals/{component.id}/{proposal.id}", "http://vilademo.test/pages/help"}
    assert expected <= set(urls)
    assert len(urls) == len(set(urls))
    assert not [url for url in urls if "#" in url]  # comments live on the page of what they are about
    for url in urls:
        assert (await client.get(url.removeprefix("http://vilademo.test"))).status_code == 200, url


async def test_draft_private_hidden_and_unpublished_things_leave_the_sitemap(client, demo, db):
    process = await db.scalar(select(Space).where(Space.slug == "pressupostos-2027"))
    component = await db.scalar(select(Component).where(Component.space_id == process.id,
                                                        Component.component_type == "proposals"))
    first, second = (await db.scalars(select(Proposal).where(Proposal.component_id == component.id,
                                                             Proposal.published_at.is_not(None))
                                      .order_by(Proposal.id).limit(2))).all()
    proposal_url = f"http://vilademo.test{PROCESS}/proposals/{component.id}/{first.id}"
    assert proposal_url in await _sitemap_urls(client)

    db.add(Moderation(organization_id=demo.id, resource_type="proposals.proposal", resource_id=first.id,
                      space_id=process.id, component_id=component.id, hidden_at=utcnow(), report_count=3))
    await db.commit()
    urls = await _sitemap_urls(client)
    assert proposal_url not in urls
    assert f"http://vilademo.test{PROCESS}/proposals/{component.id}/{second.id}" in urls

    await db.execute(update(Component).where(Component.id == component.id).values(published=False))
    await db.commit()
    urls = await _sitemap_urls(client)
    assert not [url for url in urls if f"/proposals/{component.id}" in url]
    assert f"http://vilademo.test{PROCESS}" in urls

    await db.execute(update(Space).where(Space.id == process.id).values(private=True))
    await db.commit()
    assert not [url for url in await _sitemap_urls(client) if PROCESS in url]


async def test_another_organization_never_shows_in_the_sitemap(client, demo, db):
    await other_organization(db)
    await db.commit()
    ours = await _sitemap_urls(client)
    theirs = await client.get("/sitemaps/2", headers={"host": OTHER_HOST})
    assert theirs.status_code == 404  # nothing indexed there: no page of documents
    first = await client.get("/sitemaps/1", headers={"host": OTHER_HOST})
    their_urls = [loc.text for loc in ElementTree.fromstring(first.content).iter(f"{SITEMAP}loc")]
    assert their_urls and all(url.startswith(f"http://{OTHER_HOST}/") for url in their_urls)
    assert not [url for url in their_urls if "pressupostos" in url or "/pages/" in url]
    assert ours and all(url.startswith("http://vilademo.test/") for url in ours)


async def test_a_sitemap_past_the_last_is_not_found_and_pages_of_documents_cost_the_same(client, demo, db,
                                                                                          count_queries):
    total = await db.scalar(select(IndexedDocument.id).order_by(IndexedDocument.id.desc()).limit(1))
    assert total and (await client.get("/sitemaps/3")).status_code == 404
    assert (await client.get("/sitemaps/0")).status_code == 404
    with count_queries() as few:
        await client.get("/sitemaps/2")
    rows = (await db.execute(select(IndexedDocument.__table__).where(
        IndexedDocument.resource_type == "proposals.proposal"))).mappings().all()
    await db.execute(IndexedDocument.__table__.insert(), [
        {**{key: value for key, value in row.items() if key not in {"id", "terms_vector"}},
         "resource_id": 100_000 + number + row["resource_id"]} for number in range(0, 3000, 1000) for row in rows])
    await db.commit()
    with count_queries() as many:
        await client.get("/sitemaps/2")
    assert many.count == few.count


async def test_the_activity_feed_is_the_public_timeline_for_feed_readers(scene, client, db):  # noqa: F811
    await happened(scene, "A bench in the square")
    comment_id = await comment(scene, "biel", "I would sit there")
    response = await client.get("/activity.atom")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/atom+xml")
    feed = ElementTree.fromstring(response.content)
    assert feed.tag == f"{ATOM}feed" and feed.find(f"{ATOM}title").text.startswith("Activity")
    entries = feed.findall(f"{ATOM}entry")
    titles = [entry.find(f"{ATOM}title").text for entry in entries]
    assert any("A bench in the square" in title for title in titles)
    links = [entry.find(f"{ATOM}link").get("href") for entry in entries]
    assert f"http://vilademo.test{scene.page_path}#comment-{comment_id}" in links
    assert len({entry.find(f"{ATOM}id").text for entry in entries}) == len(entries)
    assert "<" not in "".join(titles)  # titles are text; the markup is in the content, escaped
    assert all(entry.find(f"{ATOM}content").get("type") == "html" for entry in entries)

    page = await client.get("/activity")
    assert '<link rel="alternate" type="application/atom+xml"' in page.text and 'href="/activity.atom"' in page.text

    space_feed = await client.get(f"{PROCESS}/activity.atom")
    assert space_feed.status_code == 200
    assert f"http://vilademo.test{scene.page_path}#comment-{comment_id}" in space_feed.text
    person_feed = await client.get("/profiles/biel/activity.atom")
    assert person_feed.status_code == 200 and f"#comment-{comment_id}" in person_feed.text
    assert "A bench in the square" not in person_feed.text  # anna's, not biel's


async def test_feeds_keep_private_and_hidden_things_out(scene, client, db):  # noqa: F811
    comment_id = await comment(scene, "biel", "Secret thoughts")
    assert f"#comment-{comment_id}" in (await client.get("/activity.atom")).text
    db.add(Moderation(organization_id=scene.process.organization_id, resource_type="comments.comment",
                      resource_id=comment_id, space_id=scene.process.id, component_id=scene.pages.id,
                      hidden_at=utcnow(), report_count=3))
    await db.commit()
    assert f"#comment-{comment_id}" not in (await client.get("/activity.atom")).text
    await db.execute(update(Space).where(Space.id == scene.process.id).values(private=True))
    await db.commit()
    assert (await client.get(f"{PROCESS}/activity.atom")).status_code == 404
    assert PROCESS not in (await client.get("/activity.atom")).text
    assert (await client.get("/profiles/nobody-here/activity.atom")).status_code == 404
    await other_organization(db)
    await db.commit()
    theirs = await client.get("/activity.atom", headers={"host": OTHER_HOST})
    assert theirs.status_code == 200 and "pressupostos" not in theirs.text and "Secret" not in theirs.text
