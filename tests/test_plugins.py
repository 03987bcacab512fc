"""The plugin contract: loading, validation at start-up, entry points, enabling and disabling."""

from __future__ import annotations

import textwrap
import types

import msgspec
import pytest
from litestar import get
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from core.app import create_app
from core.hookspecs import hookimpl
from core.manifest import ComponentManifest, ManifestError, SpaceType
from core.models import Component, Space
from core.plugins import PluginError, Registry
from plugins.pages.models import Page
from tests.conftest import DEMO_HOST, make_settings


def plugin_module(name: str, **hooks) -> types.ModuleType:
    module = types.ModuleType(name)
    for hook_name, implementation in hooks.items():
        implementation.__name__ = hook_name
        setattr(module, hook_name, hookimpl(implementation))
    return module


def test_built_in_features_register_through_the_same_hooks(registry):
    assert {"core", "pages"} <= set(registry.plugins)
    assert registry.plugins["pages"].builtin and registry.plugins["pages"].enabled
    assert registry.component_type_plugin["pages"] == "pages"
    assert {"process", "assembly"} <= set(registry.space_types)
    assert {"core.send_mail", "core.backup"} <= set(registry.tasks)
    assert set(registry.migration_locations()) >= {"core", "pages"}


def test_a_misspelled_hook_stops_start_up_naming_the_plugin(settings):
    module = plugin_module("typo", register_componet_types=lambda: [])
    with pytest.raises(PluginError, match="plugin 'typo'.*register_componet_types"):
        Registry(settings, extra=[("typo", module)])


def test_a_hook_with_an_unknown_argument_is_refused(settings):
    module = plugin_module("args", register_routes=lambda settings, colour: [])
    with pytest.raises(PluginError, match="plugin 'args'"):
        Registry(settings, extra=[("args", module)])


def test_a_duplicate_component_type_names_the_second_plugin(settings):
    copy = ComponentManifest(name="pages", title="Other pages")
    module = plugin_module("copycat", register_component_types=lambda: [copy])
    with pytest.raises(PluginError, match="plugin 'copycat': component type 'pages' is already registered"):
        Registry(settings, extra=[("copycat", module)])


def test_a_duplicate_space_url_prefix_is_refused(settings):
    clash = SpaceType(name="consultation", title="Consultations", url_prefix="processes")
    module = plugin_module("clash", register_space_types=lambda: [clash])
    with pytest.raises(PluginError, match="plugin 'clash': .*'processes' is already taken"):
        Registry(settings, extra=[("clash", module)])


def test_two_plugins_with_one_name_are_refused(settings):
    with pytest.raises(PluginError, match="plugin 'pages': two plugins"):
        Registry(settings, extra=[("pages", plugin_module("pages2"))])


def test_an_invalid_manifest_stops_start_up_naming_the_plugin(settings):
    def broken():
        return [ComponentManifest(name="Budget Items", title="x")]

    with pytest.raises(PluginError, match="plugin 'broken': invalid manifest: component type name 'Budget Items'"):
        Registry(settings, extra=[("broken", plugin_module("broken", register_component_types=broken))])


def test_a_hook_returning_the_wrong_kind_of_thing_is_refused(settings):
    module = plugin_module("wrong", register_space_types=lambda: [{"name": "x"}])
    with pytest.raises(PluginError, match="plugin 'wrong': register_space_types returned .* not a SpaceType"):
        Registry(settings, extra=[("wrong", module)])


class NeedsValue(msgspec.Struct):
    required: int


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"settings": NeedsValue}, "every field needs a default"),
        ({"settings": dict}, "must be a msgspec.Struct class"),
        ({"actions": ("vote", "vote")}, "declared twice"),
        ({"actions": ("Vote!",)}, "action name"),
    ],
)
def test_manifest_rules(kwargs, message):
    with pytest.raises(ManifestError, match=message):
        ComponentManifest(name="budgets", title="Budgets", **kwargs)


def test_a_route_without_declared_permission_stops_start_up(settings):
    @get("/unguarded")
    async def unguarded() -> str:
        return "open"

    module = plugin_module("careless", register_routes=lambda: [unguarded])
    registry = Registry(settings, extra=[("careless", module)])
    with pytest.raises(PluginError, match=r"plugin '.*': route /unguarded .* does not declare opt\['permission'\]"):
        create_app(settings, registry)


def test_disabling_an_unknown_plugin_is_an_error(tmp_path, database_url):
    with pytest.raises(PluginError, match="plugin 'nonexistent': is listed in disabled_plugins"):
        Registry(make_settings(tmp_path, database_url, disabled_plugins=["nonexistent"]))


async def test_a_disabled_plugin_loses_its_routes_and_keeps_its_data(tmp_path, database_url, demo, db):
    component = await db.scalar(select(Component).join(Space).where(Space.slug == "pressupostos-2027"))
    url = f"/processes/pressupostos-2027/pages/{component.id}"
    pages_before = await db.scalar(select(func.count(Page.id)))
    assert pages_before > 0

    settings = make_settings(tmp_path, database_url, disabled_plugins=["pages"])
    registry = Registry(settings)
    assert not registry.plugins["pages"].enabled and "pages" not in registry.component_types
    assert "pages" in registry.migration_locations()  # its history still resolves
    async with AsyncTestClient(app=create_app(settings, registry), base_url=f"http://{DEMO_HOST}") as client:
        assert (await client.get(url)).status_code == 404
        space_page = await client.get("/processes/pressupostos-2027")
        assert space_page.status_code == 200 and url not in space_page.text

    assert await db.scalar(select(func.count(Page.id))) == pages_before


THIRD_PARTY = '''
from litestar import get
from core.hookspecs import hookimpl
from core.manifest import ComponentManifest
from core.spaces import CurrentComponent


@get("/", opt={"permission": "public"})
async def index(component: CurrentComponent) -> str:
    return f"FAQ of {component.space.slug}"


@hookimpl
def register_component_types():
    return [ComponentManifest(name="faq", title="Questions", public_routes=[index])]
'''


async def test_an_installed_package_registers_through_the_entry_point(tmp_path, monkeypatch, database_url, demo, db):
    site = tmp_path / "site"
    (site / "participa_faq_example").mkdir(parents=True)
    (site / "participa_faq_example" / "__init__.py").write_text(textwrap.dedent(THIRD_PARTY))
    dist = site / "participa_faq_example-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: participa-faq-example\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[participa]\nfaq = participa_faq_example\n")
    monkeypatch.syspath_prepend(str(site))

    settings = make_settings(tmp_path / "data", database_url)
    registry = Registry(settings)
    assert registry.plugins["faq"].builtin is False
    assert registry.component_type_plugin["faq"] == "faq"

    space = await db.scalar(select(Space).where(Space.slug == "pla-de-mobilitat"))
    component = Component(space_id=space.id, component_type="faq", name={"en": "FAQ"}, published=True)
    db.add(component)
    await db.commit()
    async with AsyncTestClient(app=create_app(settings, registry), base_url=f"http://{DEMO_HOST}") as client:
        response = await client.get(f"/processes/pla-de-mobilitat/faq/{component.id}")
        assert response.status_code == 200 and response.text == "FAQ of pla-de-mobilitat"
        # The same component id under another component type or space is not found.
        assert (await client.get(f"/processes/pressupostos-2027/faq/{component.id}")).status_code == 404
        assert (await client.get(f"/processes/pla-de-mobilitat/pages/{component.id}")).status_code == 404


async def test_plugin_menu_links_and_template_variables_come_after_cores(settings, demo):
    module = plugin_module(
        "agenda",
        menu_links=lambda request, organization: [("Agenda", "/agenda")],
        template_context=lambda request: {"agenda_note": "unused"},
    )
    registry = Registry(settings, extra=[("agenda", module)])
    async with AsyncTestClient(app=create_app(settings, registry), base_url=f"http://{DEMO_HOST}") as client:
        text = (await client.get("/")).text
    nav = text.split('class="main-nav"')[1].split("</nav>")[0]
    assert nav.index(">Inici<") < nav.index(">Agenda<")
