"""Statistics and the home page as visitors read them: the organization and each space in numbers, drawn as
SVG charts that need no script, with the same numbers as text; and a home page whose cost does not grow
with the organization."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import delete, func, select, update

from core.accounts.models import User
from core.activity.services import recorded_earlier
from core.comments.models import Comment
from core.db import utcnow
from core.events import Resource, event_sessionmaker
from core.follows import Follow
from core.models import Component, Organization, Phase, Space, StoreEntry
from core.moderation.models import Moderation
from core.statistics.charts import bar_chart, line_chart, nice_ceiling
from core.statistics.services import STORE, compute, week_starts
from plugins.pages.models import Page
from plugins.proposals.models import Proposal, Support
from tests.conftest import OTHER_HOST, other_organization
from tests.test_accounts import make_user

# ---------------------------------------------------------------- charts


def test_an_axis_ends_on_a_round_number_that_splits_in_four():
    assert [nice_ceiling(value) for value in (0, 3, 4, 5, 9, 12, 13, 21, 79, 81, 1001)] == [
        4, 4, 4, 8, 12, 12, 20, 40, 80, 120, 1200]


def test_the_longest_bar_is_the_largest_number_and_zero_has_none():
    chart = bar_chart([("A", 10), ("B", 5), ("C", 0)], width=640, label_width=230)
    assert [bar.width for bar in chart.bars] == [340, 170, 0]
    assert [bar.y for bar in chart.bars] == [0, 34, 68] and chart.height == 102
    assert [bar.width for bar in bar_chart([("A", 0)]).bars] == [0]  # nothing at all: no division by zero


def test_lines_span_the_plot_and_rise_with_the_values():
    chart = line_chart([f"w{n}" for n in range(12)], [("comments", "Comments", [0] * 11 + [8])])
    [series] = chart.series
    assert series.points[0].x == chart.left and series.points[-1].x == chart.right
    assert series.points[0].y == chart.bottom and series.points[-1].y == chart.top  # 8 is the top of the axis
    assert [tick.label for tick in chart.y_ticks] == ["0", "2", "4", "6", "8"]
    assert [tick.label for tick in chart.x_ticks] == ["w1", "w3", "w5", "w7", "w9", "w11"]  # every other one


def test_weeks_start_on_monday_and_end_with_the_current_one():
    starts = week_starts(utcnow().date().replace(year=2026, month=11, day=27))  # a Friday
    assert starts[-1].isoformat() == "2026-11-23" and starts[0].isoformat() == "2026-09-07" and len(starts) == 12


# ---------------------------------------------------------------- a town in numbers


@dataclass
class Town:
    organization: Organization
    process: Space
    assembly: Space
    pages: Component
    people: dict[str, User]


async def record(app, engine, space: Space, component: Component, resource_id: int, when) -> None:
    """A proposal published at ``when`` in the component, as public activity has it."""
    async with event_sessionmaker(engine, app.state.registry, None)() as session:
        prefix = app.state.registry.space_types[space.space_type].url_prefix
        await recorded_earlier(
            session, "proposals.proposal_published", organization_id=space.organization_id,
            resource=Resource(type="proposals.proposal", id=resource_id, title=f"Proposta {resource_id}",
                              path=f"/{prefix}/{space.slug}/{component.component_type}/{component.id}/{resource_id}"),
            actor_id=None, created_at=when)
        await session.commit()


@pytest.fixture
async def town(app, engine, db, demo) -> Town:
    """Another organization with known numbers: a public process with two pages and proposals, a private
    assembly whose participation counts nowhere, and people in every state."""
    organization = await other_organization(db)
    process = Space(organization_id=organization.id, space_type="process", slug="obert", title={"ca": "Obert"},
                    published=True)
    assembly = Space(organization_id=organization.id, space_type="assembly", slug="privada",
                     title={"ca": "Privada"}, published=True, private=True)
    db.add_all([process, assembly])
    await db.flush()
    pages = Component(space_id=process.id, component_type="pages", name={"ca": "Pàgines"}, published=True)
    proposals = Component(space_id=process.id, component_type="proposals", name={"ca": "Propostes"}, published=True)
    secret = Component(space_id=assembly.id, component_type="pages", name={"ca": "Actes"}, published=True)
    db.add_all([pages, proposals, secret])
    await db.flush()
    people = {}
    for name in ("anna", "biel", "carla", "dani", "eva"):
        people[name] = await make_user(db, organization, email=f"{name}@altra.test", nickname=name,
                                       name=name.capitalize())
    people["nou"] = await make_user(db, organization, email="nou@altra.test", nickname="nou", confirmed=False)
    people["fora"] = await make_user(db, organization, email="fora@altra.test", nickname="fora",
                                     blocked_at=utcnow())
    people["gone"] = await make_user(db, organization, email="gone@altra.test", nickname="gone",
                                     deleted_at=utcnow())
    page_one, page_two, minutes = (Page(component_id=pages.id, title={"ca": "U"}, body={"ca": ""}),
                                   Page(component_id=pages.id, title={"ca": "Dos"}, body={"ca": ""}),
                                   Page(component_id=secret.id, title={"ca": "Acta"}, body={"ca": ""}))
    db.add_all([page_one, page_two, minutes])
    await db.flush()
    db.add_all([
        Proposal(component_id=proposals.id, author_id=people["anna"].id, title="Bancs", body="", language="ca",
                 state="published", published_at=utcnow()),
        Proposal(component_id=proposals.id, author_id=people["anna"].id, title="Fonts", body="", language="ca",
                 state="published", published_at=utcnow()),
        Proposal(component_id=proposals.id, author_id=people["dani"].id, title="Esborrany", body="",
                 language="ca", state="draft"),
    ])
    await db.flush()
    first = await db.scalar(select(Proposal).where(Proposal.title == "Bancs"))
    db.add(Support(proposal_id=first.id, user_id=people["carla"].id, component_id=proposals.id))

    def said(who: str, page: Page, component: Component = pages, **fields: Any) -> Comment:
        return Comment(component_id=component.id, resource_type="pages.page", resource_id=page.id,
                       author_id=people[who].id, body="...", **fields)

    hidden = said("biel", page_two)
    db.add_all([said("anna", page_one), said("anna", page_two), said("biel", page_one), hidden,
                said("biel", page_one, deleted_at=utcnow()), said("eva", minutes, secret)])
    await db.flush()
    db.add(Moderation(organization_id=organization.id, space_id=process.id, component_id=pages.id,
                      resource_type="comments.comment", resource_id=hidden.id, hidden_at=utcnow()))
    db.add_all([Follow(user_id=people["anna"].id, resource_type="space", resource_id=process.id),
                Follow(user_id=people["biel"].id, resource_type="space", resource_id=process.id),
                Follow(user_id=people["eva"].id, resource_type="proposals.proposal", resource_id=first.id)])
    await db.commit()

    now = utcnow()
    for resource_id, when in ((1, now), (2, now), (3, now - timedelta(weeks=3)), (4, now - timedelta(weeks=20))):
        await record(app, engine, process, proposals, resource_id, when)
    await record(app, engine, assembly, secret, 5, now)  # private: counts nowhere
    return Town(organization, process, assembly, pages, people)


async def forget_figures(db) -> None:
    """Empty the statistics cache (through the test's own connection: the app's belong to the client's loop)."""
    await db.execute(delete(StoreEntry).where(StoreEntry.key.like(f"%:{STORE}:%")))
    await db.commit()


@dataclass
class There:
    """The HTTP client at the other organization's host (one client: the app runs in one event loop)."""

    client: AsyncTestClient

    async def get(self, path: str) -> Any:
        return await self.client.get(f"http://{OTHER_HOST}{path}")


@pytest.fixture
def there(client) -> There:
    client.cookies.set("participa_locale", "en", domain=OTHER_HOST)
    return There(client)


def figures(html: str) -> dict[str, str]:
    return dict(re.findall(r'<div class="figure"><dt>(.*?)</dt><dd>(.*?)</dd></div>', html))


def week_rows(html: str) -> list[list[str]]:
    body = re.search(r"<tbody>(.*?)</tbody>", html, re.DOTALL).group(1)
    return [re.findall(r"<td>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", body, re.DOTALL)]


async def test_the_organization_in_numbers_counts_only_what_anybody_may_see(there, town):
    page = await there.get("/statistics")
    assert page.status_code == 200
    assert figures(page.text) == {
        "People": "5",  # confirmed, neither blocked nor deleted
        "Participants": "3",  # anna (proposals, comments), biel (a comment), carla (a support); not dani's draft
        "Participatory processes": "1", "Assemblies": "0",  # the private one is nobody's business
        "Pages": "2", "Proposals": "2", "Supports": "1",
        "Comments": "3",  # not the hidden one, the deleted one nor the one in the private assembly
        "Followers": "3",
    }


async def test_the_charts_are_svg_with_a_title_a_description_and_the_numbers_as_text(there, town):
    html = (await there.get("/statistics")).text
    svg = re.search(r'<svg class="chart" viewBox="0 0 640 \d+" role="img" '
                    r'aria-labelledby="figures-chart-title figures-chart-desc">.*?</svg>', html, re.DOTALL).group(0)
    assert '<title id="figures-chart-title">Participation so far</title>' in svg
    assert "People: 5; Participants: 3; Participatory processes: 1; Assemblies: 0;" in svg
    assert "Comments: 3; Followers: 3</desc>" in svg
    # The largest figure fills the width; a zero has no bar.
    bars = re.findall(r'<rect class="chart__bar" x="230" y="([\d.]+)" width="([\d.]+)"', svg)
    assert ("340.0" in [width for _, width in bars] or "340" in [width for _, width in bars])
    assert len(bars) == 8  # nine figures, one of them zero
    assert "style=" not in html and "<script" not in html  # the CSP allows neither

    weeks = re.search(r'<svg class="chart" [^>]*aria-labelledby="weeks-chart-title weeks-chart-desc">.*?</svg>',
                      html, re.DOTALL).group(0)
    assert ("<desc id=\"weeks-chart-desc\">3 public contributions in the last 12 weeks; the table below gives the "
            "count of each week.</desc>") in weeks
    assert weeks.count("<polyline") == 2  # comments and proposals
    assert '<caption>Activity per week</caption>' in html
    rows = week_rows(html)
    assert len(rows) == 12
    assert rows[-1] == ["0", "2"] and rows[-4] == ["0", "1"]  # this week; three weeks ago (20 weeks ago: out)
    assert sum(int(cell) for row in rows for cell in row) == 3


async def test_a_space_in_numbers(there, client, town, db):
    page = await there.get("/processes/obert/statistics")
    assert page.status_code == 200 and "<h1>Obert in numbers</h1>" in page.text
    assert figures(page.text) == {"Participants": "3", "Pages": "2", "Proposals": "2", "Supports": "1",
                                  "Comments": "3", "Followers": "2"}
    assert sum(int(cell) for row in week_rows(page.text) for cell in row) == 3
    assert (await there.get("/assemblies/privada/statistics")).status_code == 404  # private
    assert (await there.get("/assemblies/privada/activity")).status_code == 404
    assert (await client.get("/processes/obert/statistics")).status_code == 404  # another organization's
    assert (await there.get("/processes/pressupostos-2027/statistics")).status_code == 404
    await db.execute(update(Space).where(Space.id == town.process.id).values(published=False))
    await db.commit()
    assert (await there.get("/processes/obert/statistics")).status_code == 404


async def test_figures_are_kept_a_few_minutes_in_the_store(app, there, town, db):
    assert figures((await there.get("/statistics")).text)["Comments"] == "3"
    db.add(Comment(component_id=town.pages.id, resource_type="pages.page",
                   resource_id=await db.scalar(select(Page.id).where(Page.component_id == town.pages.id)),
                   author_id=town.people["carla"].id, body="Nou"))
    await db.commit()
    assert figures((await there.get("/statistics")).text)["Comments"] == "3"  # counted a moment ago
    await forget_figures(db)
    assert figures((await there.get("/statistics")).text)["Comments"] == "4"


async def test_counting_costs_the_same_whatever_the_amount_of_data(app, engine, there, town, db, count_queries):
    async def cold() -> int:
        await forget_figures(db)
        with count_queries() as counter:
            assert (await there.get("/statistics")).status_code == 200
        return counter.count

    few = await cold()
    for number in range(6):
        space = Space(organization_id=town.organization.id, space_type="process", slug=f"mes-{number}",
                      title={"ca": f"Més {number}"}, published=True)
        db.add(space)
        await db.flush()
        component = Component(space_id=space.id, component_type="pages", name={"ca": "P"}, published=True)
        db.add(component)
        await db.flush()
        db.add_all([Comment(component_id=component.id, resource_type="pages.page", resource_id=1,
                            author_id=town.people["dani"].id, body="x") for _ in range(10)])
        await db.commit()
        await record(app, engine, space, component, 100 + number, utcnow())
    assert await cold() == few
    # One query for the organization, one for the components, at most one per figure, one for the weeks.
    assert few <= 2 + 9 + 1
    with count_queries() as warm:
        await there.get("/statistics")
    assert warm.count == 1  # the organization; the figures come from the store


# ---------------------------------------------------------------- the home page


async def test_the_home_page_shows_highlights_open_phases_numbers_and_activity(client, demo, db):
    client.cookies.set("participa_locale", "en", domain="vilademo.test")
    today = utcnow().date()
    budget = await db.scalar(select(Space).where(Space.slug == "pressupostos-2027"))
    mobility = await db.scalar(select(Space).where(Space.slug == "pla-de-mobilitat"))
    await db.execute(update(Phase).where(Phase.id == budget.active_phase_id).values(
        start_date=today - timedelta(days=3), end_date=today + timedelta(days=10)))
    await db.execute(update(Phase).where(Phase.id == mobility.active_phase_id).values(
        start_date=today + timedelta(days=30), end_date=None))  # not open yet
    await db.commit()
    home = (await client.get("/")).text

    highlighted = re.search(r'<section aria-labelledby="highlighted-heading">.*?</section>', home, re.DOTALL).group(0)
    assert 'href="/processes/pressupostos-2027"' in highlighted and "pla-de-mobilitat" not in highlighted
    others = re.search(r'<section aria-labelledby="spaces-heading">.*?</section>', home, re.DOTALL).group(0)
    assert 'href="/processes/pla-de-mobilitat"' in others and "pressupostos-2027" not in others
    open_now = re.search(r'<section aria-labelledby="open-now-heading">.*?</section>', home, re.DOTALL).group(0)
    assert "Participatory budget 2027</a>: Proposals" in open_now and "mobility" not in open_now
    assert '<h2 id="deadlines-heading">Closing soon</h2>' in home

    numbers = re.search(r'<section aria-labelledby="figures-heading">.*?</section>', home, re.DOTALL).group(0)
    published = await db.scalar(select(func.count(Proposal.id)).where(Proposal.state == "published"))
    assert published > 0 and figures(numbers)["Proposals"] == str(published)  # every demo space is public
    assert '<a href="/statistics">' in numbers
    activity = re.search(r'<section aria-labelledby="activity-heading">.*?</section>', home, re.DOTALL).group(0)
    assert activity.count('<li class="activity-entry">') == 5 and '<a href="/activity">' in activity


async def test_the_home_page_costs_the_same_whatever_the_number_of_spaces_events_and_comments(
        app, engine, client, demo, db, count_queries):
    async def cost(cold: bool) -> int:
        if cold:
            await forget_figures(db)
        with count_queries() as counter:
            assert (await client.get("/")).status_code == 200
        return counter.count

    await client.get("/")
    few_warm, few_cold = await cost(False), await cost(True)
    pages = await db.scalar(select(Component).where(Component.component_type == "pages"))
    for number in range(12):
        space = Space(organization_id=demo.id, space_type="process", slug=f"extra-{number}",
                      title={"ca": f"Procés {number}"}, published=True, promoted=number % 2 == 0)
        db.add(space)
        await db.flush()
        component = Component(space_id=space.id, component_type="pages", name={"ca": "P"}, published=True)
        db.add(component)
        await db.flush()
        db.add_all([Comment(component_id=component.id, resource_type="pages.page", resource_id=1,
                            author_id=await db.scalar(select(User.id).where(User.organization_id == demo.id)),
                            body="x") for _ in range(5)])
        await db.commit()
        await record(app, engine, space, component, 500 + number, utcnow())
    await record(app, engine, await db.get(Space, pages.space_id), pages, 999, utcnow())
    assert (await cost(False), await cost(True)) == (few_warm, few_cold)
    assert few_warm <= 6  # organization, spaces, their phases and pictures, the activity, scopes, areas


async def test_weeks_run_from_monday_to_sunday_in_the_organizations_time_zone(app, engine, db, town, registry):
    # Monday 00:30 in Tokyo (no summer time) is still Sunday 15:30 in UTC: one week apart.
    tokyo = ZoneInfo("Asia/Tokyo")
    today = datetime.now(tokyo).date()
    monday = today - timedelta(days=today.weekday())
    when = datetime.combine(monday, time(0, 30), tzinfo=tokyo).astimezone(UTC)
    proposals = await db.scalar(select(Component).where(Component.space_id == town.process.id,
                                                        Component.component_type == "proposals"))
    await record(app, engine, town.process, proposals, 6, when)

    def proposals_per_week(statistics) -> dict:
        return {week.start: sum(week.counts.values()) for week in statistics.weeks}

    there = proposals_per_week(await compute(db, registry, town.organization.id, None, "Asia/Tokyo"))
    here = proposals_per_week(await compute(db, registry, town.organization.id, None, "UTC"))
    assert max(there) == monday and there[monday] >= 1
    sunday_week = monday - timedelta(weeks=1)
    assert here[sunday_week] == there.get(sunday_week, 0) + 1
    assert sum(there.values()) == sum(here.values())  # the same events, in other weeks
