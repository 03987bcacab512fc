"""A theme overrides any template or static file, and can extend the template it replaces."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from core.app import create_app
from core.plugins import Registry
from tests.conftest import DEMO_HOST, make_settings


async def test_a_theme_overrides_and_extends_templates_of_core_and_plugins(tmp_path, database_url, demo):
    theme = tmp_path / "themes" / "coast"
    (theme / "templates" / "pages").mkdir(parents=True)
    (theme / "static" / "css").mkdir(parents=True)
    (theme / "templates" / "base.html").write_text(
        '{% extends "default:base.html" %}{% block head %}<meta name="theme" content="coast">{% endblock %}'
    )
    (theme / "templates" / "pages" / "page.html").write_text(
        '{% extends "pages:pages/page.html" %}{% block title %}Coast · {{ super() }}{% endblock %}'
    )
    (theme / "static" / "css" / "participa.css").write_text("body { background: seashell; }")
    settings = make_settings(tmp_path / "data", database_url, theme="coast", themes_path=str(tmp_path / "themes"))
    app = create_app(settings, Registry(settings))
    async with AsyncTestClient(app=app, base_url=f"http://{DEMO_HOST}") as client:
        home = await client.get("/")
        assert '<meta name="theme" content="coast">' in home.text
        assert "Pressupostos participatius 2027" in home.text  # the rest of the page is the default theme's
        space = await client.get("/processes/pressupostos-2027")
        component_url = next(part.split('"')[0] for part in space.text.split('href="') if "/pages/" in part)
        page = await client.get(component_url)
        assert "<title>Coast · Què és aquest procés" in page.text
        assert '<meta name="theme" content="coast">' in page.text
        assert (await client.get("/static/css/participa.css")).text == "body { background: seashell; }"
        # Files the theme does not replace still come from the default theme.
        assert (await client.get("/static/img/participa.svg")).status_code == 200


async def test_without_a_theme_the_default_one_is_used(client, demo):
    assert "skip-link" in (await client.get("/static/css/participa.css")).text
