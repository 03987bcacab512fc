"""The benchmark cannot rot silently: tiny data must be consistent and the floor must show what the index shows."""

from __future__ import annotations

import re

from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from bench import generate
from bench.app import create_bench_app
from bench.run import Statements, percentile
from core.comments.models import Comment
from core.db import make_engine
from plugins.proposals.models import Proposal
from tests.conftest import drop_database, new_database_url

TINY = generate.Sizes(users=40, proposals=60, supports=300, comments=50)
TITLE = re.compile(r'<h2 class="card__title"><a href="[^"]+">([^<]+)</a>')


async def test_tiny_data_is_consistent_and_the_floor_shows_the_index_first_page(tmp_path):
    url = new_database_url(tmp_path, "bench")
    try:
        marker = await generate.generate(url, TINY, tmp_path, seed=7, echo=lambda _: None)
        assert generate.read_marker(tmp_path, url)["component_id"] == marker["component_id"]
        engine = make_engine(url)
        try:
            counters = await generate.counters_consistent(engine, marker["component_id"])
            async with engine.connect() as connection:
                proposals = await connection.scalar(select(func.count(Proposal.id)).where(
                    Proposal.component_id == marker["component_id"]))
                comments = (await connection.execute(select(Comment.depth, Comment.parent_id, Comment.root_id))).all()
        finally:
            await engine.dispose()
        assert counters["proposals_off"] == counters["participants_off"] == 0, counters
        # The demo's own supports come on top of the generated ones; every count agrees with the rows.
        assert counters["support_rows"] == counters["supports_total"] == counters["supports_given"] >= TINY.supports
        assert proposals >= TINY.proposals and len(comments) == TINY.comments
        assert all((depth == 1) == (parent is None) == (root is None) and depth <= 3 for depth, parent, root in comments)

        app = create_bench_app(generate.bench_settings(tmp_path / "install", url, page_cache_seconds=0))
        async with AsyncTestClient(app=app, base_url=f"http://{marker['host']}") as client:
            for query in ("order=recent", "seed=7"):
                index = await client.get(f"{marker['path']}/?{query}")
                floor = await client.get(f"/bench/floor/{marker['component_id']}?{query}")
                assert index.status_code == floor.status_code == 200
                titles = TITLE.findall(index.text)
                assert len(titles) == 20 and TITLE.findall(floor.text) == titles, query
            proposal_id = marker["rows"]["first_proposal_id"]
            for path in (f"{marker['path']}/?seed=7", f"{marker['path']}/{proposal_id}"):
                with Statements(app.state.engine) as statements:
                    assert (await client.get(path)).status_code == 200
                assert len(statements.timings) <= 8, [sql for _, sql in statements.timings]
        await app.state.engine.dispose()
    finally:
        drop_database(url)


def test_percentiles_are_nearest_rank():
    values = [float(value) for value in range(1, 101)]
    assert (percentile(values, 50), percentile(values, 95), percentile(values, 99)) == (50.0, 95.0, 99.0)
    assert percentile([3.0], 99) == 3.0
