"""Property-based tests of the settings schemas.

Install settings (core/settings.py): any valid value, given in the environment, in the TOML file
(at the top level or in a ``[participa]`` table) or in both, is read back as that value; any
invalid value stops start-up with a SettingsError that names the setting, and the command line
shows that message, never a traceback.

Component settings (core/forms.py, from each component type's msgspec Structs): any valid value
of a component's settings and per-phase settings, rendered by the admin page and posted back as a
browser would, is stored as that same value; arbitrary junk posted to that page, or handed to a
settings form, gives form errors (or a valid value), never an exception.
"""

from __future__ import annotations

import datetime
import io
import re
import string
from html.parser import HTMLParser
from pathlib import Path

import msgspec
import pytest
import tomlkit
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from litestar.datastructures import UploadFile
from msgspec import inspect as mi
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from core import backup
from core import settings as settings_module
from core.cli import main
from core.db import utcnow
from core.forms import Form, describe
from core.models import Component, Space
from core.roles import grant_organization_role
from core.settings import LOCALES, Settings, SettingsError, load_settings
from core.spaces import phase_settings_of, settings_of
from tests.test_accounts import csrf, make_user
from tests.test_admin import log_in

FIELDS = {field.name: field for field in msgspec.structs.fields(Settings)}
THEMES = sorted(path.name for path in (settings_module.ROOT / "themes").iterdir() if path.is_dir())

# Text as it can come from an environment variable or a TOML string: anything but NUL and lone
# surrogates, which neither can hold.
CHARACTERS = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
text = st.text(CHARACTERS, max_size=20)
# One item of a comma-separated list: no comma, no space around it, not empty.
item = text.map(str.strip).filter(lambda value: value and "," not in value)


def url(*schemes: str) -> st.SearchStrategy[str]:
    return st.builds(lambda scheme, rest: scheme + rest, st.sampled_from(schemes), text)


VALID = {
    "data_dir": text,
    "database_url": st.one_of(st.just(""), url("sqlite+aiosqlite:///", "postgresql+asyncpg://")),
    "redis_url": st.one_of(st.just(""), url("redis://", "rediss://")),
    "queue_url": st.one_of(st.just(""), url("redis://", "rediss://")),
    "queue_immediate": st.booleans(),
    "secret_key": st.one_of(st.just(""), st.text(CHARACTERS, min_size=32, max_size=60)),
    "mail_url": st.one_of(st.just(""), url("smtp://", "smtps://")),
    "mail_from": text,
    "default_locale": st.sampled_from(LOCALES),
    "theme": st.sampled_from(THEMES),
    "themes_path": st.just(""),  # another folder of themes must exist: covered by tests/test_themes.py
    "disabled_plugins": st.lists(item, max_size=3),
    "trusted_proxies": st.lists(item, max_size=3),
    "session_max_age": st.integers(60, settings_module.MAX_SESSION_AGE),
    "inactive_account_days": st.integers(0, settings_module.MAX_RETENTION_DAYS),
    "inactivity_warning_days": st.integers(1, 365),
    "export_retention_days": st.integers(1, settings_module.MAX_RETENTION_DAYS),
    "data_download_retention_days": st.integers(1, settings_module.MAX_RETENTION_DAYS),
    # A host name as the setting takes it: lowercase letters, digits, dots and hyphens.
    "system_host": st.one_of(st.just(""), st.from_regex(r"[a-z0-9]([a-z0-9.-]{0,20}[a-z0-9])?", fullmatch=True)),
    "reports_to_hide": st.integers(1, settings_module.MAX_REPORTS_TO_HIDE),
    "backup_dir": text,
    "backup_retention_days": st.integers(1, settings_module.MAX_RETENTION_DAYS),
    "backup_hour": st.integers(0, 23),
    # A tile server's URL template: http(s), a host (with {s} for subdomains, maybe a port), {z}/{x}/{y}.
    "map_tiles_url": st.builds(
        lambda scheme, host, port, suffix: f"{scheme}://{host}{port}/{{z}}/{{x}}/{{y}}{suffix}",
        st.sampled_from(["http", "https"]),
        st.from_regex(r"(\{s\}\.)?[a-z0-9]([a-z0-9.-]{0,15}[a-z0-9])?", fullmatch=True),
        st.sampled_from(["", ":8080"]), st.sampled_from(["", ".png", "@2x.png?key=abc"])),
    "map_attribution": text,
    "page_cache_seconds": st.integers(0, settings_module.MAX_PAGE_CACHE_SECONDS),
    "page_cache_entries": st.integers(0, settings_module.MAX_PAGE_CACHE_ENTRIES),
    "log_level": st.sampled_from(["DEBUG", "INFO", "WARNING", "ERROR"]),
    "log_json": st.booleans(),
    "debug": st.booleans(),
}


def test_every_setting_has_a_strategy():
    """A new setting must be added to the generators above, so these tests cover it too."""
    assert set(VALID) == set(FIELDS)


def env_value(draw, value) -> str:
    """How an operator writes a value in an environment variable (README: Configuration)."""
    if isinstance(value, bool):
        return draw(st.sampled_from(["true", "1", "True"] if value else ["false", "0", "False"]))
    if isinstance(value, list):
        return draw(st.sampled_from([",", ", ", " ,"])).join(value)
    return str(value)


@st.composite
def configurations(draw):
    """(expected values, environment, TOML document or None)."""
    expected, environ, toml = {}, {}, {}
    for name, strategy in VALID.items():
        where = draw(st.sampled_from(["default", "env", "toml", "both"]))
        if where == "default":
            continue
        value = expected[name] = draw(strategy)
        if where in ("env", "both"):
            environ["PARTICIPA_" + name.upper()] = env_value(draw, value)
        if where == "toml":
            toml[name] = value
        if where == "both":  # the environment wins
            toml[name] = draw(strategy)
    layout = draw(st.sampled_from(["none", "top", "table"]))
    if layout == "none":
        for name in toml:  # no file: what was meant for it comes from the environment
            environ["PARTICIPA_" + name.upper()] = env_value(draw, expected[name])
        document = None
    elif layout == "top":
        document = tomlkit.dumps(toml)
    else:
        # With a [participa] table, top-level keys are ignored, even invalid ones.
        document = tomlkit.dumps({"backup_hour": 99, "no_such_setting": True, "participa": toml})
    return expected, environ, document


def read(tmp_path: Path, environ: dict[str, str], document: str | bytes | None) -> Settings:
    """load_settings with this environment and, always, a config file of our own: never a
    participa.toml that happens to lie in the data folder the example names."""
    config = tmp_path / "participa.toml"
    if isinstance(document, bytes):
        config.write_bytes(document)
    else:
        config.write_text(document or "", encoding="utf-8")
    return load_settings(environ={**environ, "PARTICIPA_CONFIG": str(config)})


@given(configuration=configurations())
def test_any_valid_setting_is_read_back_as_given(tmp_path, configuration):
    expected, environ, document = configuration
    settings = read(tmp_path, environ, document)
    assert settings == Settings(**expected)
    # Accepted numbers work where they are used: session expiry, backup pruning.
    assert utcnow() + datetime.timedelta(seconds=settings.session_max_age) > utcnow()
    assert backup.prune(msgspec.structs.replace(settings, backup_dir=str(tmp_path / "backups"))) == []


def invalid_env(name: str) -> st.SearchStrategy[str]:
    """Environment values the setting ``name`` must refuse."""
    kind = FIELDS[name].type
    if name in ("session_max_age", "reports_to_hide", "backup_retention_days", "backup_hour", "page_cache_seconds",
                "page_cache_entries"):
        low, high = {"session_max_age": (60, settings_module.MAX_SESSION_AGE),
                     "page_cache_seconds": (0, settings_module.MAX_PAGE_CACHE_SECONDS),
                     "page_cache_entries": (0, settings_module.MAX_PAGE_CACHE_ENTRIES),
                     "reports_to_hide": (1, settings_module.MAX_REPORTS_TO_HIDE),
                     "backup_retention_days": (1, settings_module.MAX_RETENTION_DAYS),
                     "backup_hour": (0, 23)}[name]
        return st.one_of(st.integers(max_value=low - 1).map(str), st.integers(min_value=high + 1).map(str),
                         text.filter(lambda value: not any(char.isdigit() for char in value)),
                         st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: not f.is_integer())
                         .map(repr))
    if kind is bool:
        return text.filter(lambda value: value.lower() not in ("true", "false", "1", "0"))
    if name == "default_locale":
        return text.filter(lambda value: value not in LOCALES)
    if name == "log_level":
        return text.filter(lambda value: value not in ("DEBUG", "INFO", "WARNING", "ERROR"))
    if name == "secret_key":
        return st.text(CHARACTERS, min_size=1, max_size=31)
    prefixes = {"database_url": ("sqlite+aiosqlite://", "postgresql+asyncpg://"),
                "redis_url": ("redis://", "rediss://"), "queue_url": ("redis://", "rediss://"),
                "mail_url": ("smtp://", "smtps://")}
    if name in prefixes:
        return text.filter(lambda value: value and not value.startswith(prefixes[name]))
    if name == "map_tiles_url":  # not a URL template of tiles: no {z}
        return st.text(CHARACTERS, min_size=1, max_size=20).filter(lambda value: value.strip() and "{z}" not in value)
    if name == "theme":
        return st.text(string.ascii_letters + string.digits + "_-", min_size=1, max_size=12).filter(
            lambda value: value not in THEMES)
    return st.nothing()  # any text is a valid path, list or sender


INVALID_IN_ENV = sorted(name for name in FIELDS if not invalid_env(name).is_empty)
TOML_VALUES = {  # a value of every other TOML type, for a setting of type str, int, bool or list
    "str": "texte", "int": 7, "bool": True, "list": ["a", 1], "table": {"a": 1}, "float": 1.5,
    "date": datetime.date(2027, 3, 15),
}


def wrong_toml_types(name: str) -> list[str]:
    kind = FIELDS[name].type
    if kind is bool:
        return ["str", "int", "list", "table", "float", "date"]
    if kind is int:
        return ["str", "list", "table", "float", "date", "bool"]
    if kind in (list[str], "list[str]") or getattr(kind, "__origin__", None) is list:
        return ["str", "int", "bool", "table", "list"]  # ["a", 1]: an item that is no text
    return ["int", "bool", "list", "table", "float", "date"]


@st.composite
def invalid_configurations(draw):
    """(setting named in the error, environment, TOML document)."""
    how = draw(st.sampled_from(["env", "toml type", "toml unknown", "participa not a table", "not toml",
                                "not utf-8"]))
    if how == "env":
        name = draw(st.sampled_from(INVALID_IN_ENV))
        return name, {"PARTICIPA_" + name.upper(): draw(invalid_env(name))}, None
    if how == "toml type":
        name = draw(st.sampled_from(sorted(FIELDS)))
        value = TOML_VALUES[draw(st.sampled_from(wrong_toml_types(name)))]
        document = {name: value}
        return name, {}, tomlkit.dumps(draw(st.sampled_from([document, {"participa": document}])))
    if how == "toml unknown":
        name = draw(st.from_regex(r"[a-z][a-z_]{0,15}", fullmatch=True).filter(lambda key: key not in FIELDS
                                                                                and key != "participa"))
        return name, {}, tomlkit.dumps({name: draw(st.sampled_from(list(TOML_VALUES.values())))})
    if how == "participa not a table":
        value = draw(st.sampled_from(["str", "int", "bool", "list", "float", "date"]))
        return "participa", {}, tomlkit.dumps({"participa": TOML_VALUES[value]})
    if how == "not toml":
        return "participa.toml", {}, draw(st.sampled_from(['backup_hour = ', '[participa', 'a = "b', '= 3',
                                                           'x = 1\nx = 2']))
    return "participa.toml", {}, b'mail_from = "\xff\xfe"\n'


@given(configuration=invalid_configurations())
def test_any_invalid_setting_is_refused_with_its_name(tmp_path, configuration):
    name, environ, document = configuration
    with pytest.raises(SettingsError) as error:
        read(tmp_path, environ, document)
    assert name in str(error.value)


@given(configuration=invalid_configurations())
def test_a_command_shows_the_bad_setting_and_no_traceback(tmp_path, configuration):
    name, environ, document = configuration
    config = tmp_path / "participa.toml"
    config.write_bytes(document if isinstance(document, bytes) else (document or "").encode())
    ambient = {"PARTICIPA_" + field.upper(): None for field in FIELDS}  # the runner's own settings: none
    result = CliRunner().invoke(main, ["db", "current"],
                                env={**ambient, **environ, "PARTICIPA_CONFIG": str(config)})
    assert isinstance(result.exception, SystemExit) and result.exit_code == 1, result.exception
    assert "invalid settings" in result.output and name in result.output
    assert "Traceback" not in result.output


# ---------------------------------------------------------------- component settings forms

def form_value(spec) -> st.SearchStrategy:
    """Values a field of a component's settings may hold, from its type and Meta constraints."""
    kind = spec.kind
    if isinstance(kind, mi.BoolType):
        strategy = st.booleans()
    elif isinstance(kind, mi.IntType):
        strategy = st.integers(kind.ge if kind.ge is not None else -10 ** 9,
                               kind.le if kind.le is not None else 10 ** 9)
    elif isinstance(kind, mi.LiteralType):
        strategy = st.sampled_from(kind.values)
    elif isinstance(kind, mi.StrType):
        # What a text input carries: no control characters, no space at either end (the form trims).
        strategy = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=kind.min_length or 1,
                           max_size=min(kind.max_length or 50, 50)).filter(lambda value: value == value.strip())
        if kind.pattern:
            strategy = strategy.filter(lambda value: re.search(kind.pattern, value))
    else:
        raise AssertionError(f"no generator for a settings field of type {kind!r}: add one here")
    return st.one_of(st.none(), strategy) if spec.optional else strategy


def struct_values(schema: type[msgspec.Struct]) -> st.SearchStrategy[msgspec.Struct]:
    info = mi.type_info(schema)
    return st.fixed_dictionaries({field.name: form_value(describe(field.type)) for field in info.fields}).map(
        lambda values: msgspec.convert(values, schema))


class FormReader(HTMLParser):
    """What a browser would post from each form of a page: its action and its fields' values."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: dict[str, dict[str, str]] = {}
        self._form: dict[str, str] | None = None
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self._form = self.forms.setdefault(attrs.get("action", ""), {})
        if self._form is None or "name" not in attrs and tag != "option":
            return
        if tag == "input" and attrs.get("type") not in ("submit", "button", "image", "file"):
            if attrs.get("type") in ("checkbox", "radio") and "checked" not in attrs:
                return
            self._form[attrs["name"]] = attrs.get("value", "on" if attrs.get("type") == "checkbox" else "")
        elif tag == "textarea":
            self._textarea = attrs["name"]
            self._form[self._textarea] = ""
        elif tag == "select":
            self._select = attrs["name"]
        elif tag == "option" and self._select is not None:
            if self._select not in self._form or "selected" in attrs:
                self._form[self._select] = attrs.get("value", "")

    def handle_data(self, data):
        if self._textarea is not None:
            self._form[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None


@pytest.fixture
async def component_admin(client, demo, db):
    """The demo's proposals and pages components, and their admin pages, as an administrator."""
    admin = await make_user(db, demo, email="admin-props@example.org", nickname="adminprops")
    await grant_organization_role(db, demo.id, admin.id, "admin")
    await db.commit()
    await log_in(client, "admin-props@example.org")
    components = (await db.scalars(select(Component.id).join(Space).where(
        Space.slug == "pressupostos-2027", Component.component_type.in_(("proposals", "pages"))))).all()
    assert len(components) == 2
    return components


async def load_component(db, component_id: int) -> Component:
    db.expire_all()
    return await db.scalar(select(Component).options(selectinload(Component.space).selectinload(Space.phases))
                           .where(Component.id == component_id))


@given(data=st.data())
async def test_any_valid_component_settings_survive_the_admin_form(data, client, db, registry, component_admin):
    component = await load_component(db, data.draw(st.sampled_from(component_admin), label="component"))
    manifest = registry.component_types[component.component_type]
    wanted = data.draw(struct_values(manifest.settings), label="settings")
    phases = {phase.id: data.draw(struct_values(manifest.phase_settings), label=f"phase {phase.id}")
              for phase in component.space.phases}
    await db.execute(update(Component).where(Component.id == component.id).values(
        settings=msgspec.to_builtins(wanted),
        phase_settings={str(phase_id): msgspec.to_builtins(values) for phase_id, values in phases.items()}))
    await db.commit()

    url = f"/admin/spaces/{component.space_id}/components/{component.id}"
    page = await client.get(url)
    assert page.status_code == 200
    reader = FormReader()
    reader.feed(page.text)
    saved = await client.post(url, data=reader.forms[url], follow_redirects=False)
    assert saved.status_code == 303, saved.text[:2000]

    component = await load_component(db, component.id)
    assert settings_of(registry, component) == wanted
    for phase_id, values in phases.items():
        assert phase_settings_of(registry, component, phase_id) == values


junk_text = st.text(max_size=30) | st.sampled_from(["", " ", "on", "-1", "0", "1e9", "9" * 30, "١٢", "true",
                                                    "None", "null", "[]", "<script>", "\x00"])


def junk_for(names: list[str]) -> st.SearchStrategy[dict[str, object]]:
    """Posted fields: the form's own names and others, holding any text or an uploaded file."""
    name = (st.sampled_from(names) | st.text(max_size=15)) if names else st.text(max_size=15)
    upload = st.builds(lambda body: UploadFile(content_type="application/octet-stream", filename="x.bin",
                                               file_data=body), st.binary(max_size=20))
    return st.dictionaries(name, junk_text | st.lists(junk_text, max_size=3) | upload, max_size=12)


def all_schemas(registry) -> list[type[msgspec.Struct]]:
    return sorted({schema for manifest in registry.component_types.values()
                   for schema in (manifest.settings, manifest.phase_settings)}, key=lambda schema: schema.__name__)


@given(data=st.data())
def test_junk_handed_to_a_settings_form_gives_errors_never_an_exception(data, registry):
    schema = data.draw(st.sampled_from(all_schemas(registry)), label="schema")
    prefix = data.draw(st.sampled_from(["", "settings.", "phase-7."]), label="prefix")
    names = [prefix + name for name in schema.__struct_fields__]
    posted = data.draw(junk_for(names), label="posted")
    form = Form(schema, lambda message, **values: message % values if values else message, data=posted,
                locales=["ca", "es"], prefix=prefix)
    if form.validate():
        assert isinstance(form.result, schema) and not form.errors
        assert msgspec.convert(msgspec.to_builtins(form.result), schema) == form.result  # within every limit
    else:
        assert form.errors and form.result is None
        assert set(form.errors) <= {*schema.__struct_fields__, "__all__"}
    assert [view.name for view in form.fields] == names  # and it still renders
    assert len(form.error_list) == len(form.errors)


@given(data=st.data())
async def test_junk_posted_to_the_component_admin_page_gives_errors_never_a_crash(data, client, db, registry,
                                                                                  component_admin):
    component = await load_component(db, data.draw(st.sampled_from(component_admin), label="component"))
    manifest = registry.component_types[component.component_type]
    names = [f"name.{locale}" for locale in LOCALES]
    names += [f"settings.{name}" for name in manifest.settings.__struct_fields__]
    names += [f"phase-{phase.id}.{name}" for phase in component.space.phases
              for name in manifest.phase_settings.__struct_fields__]
    posted = data.draw(junk_for(names), label="posted")
    url = f"/admin/spaces/{component.space_id}/components/{component.id}"
    page = await client.get(url)
    fields = {key: value for key, value in posted.items() if not isinstance(value, UploadFile)}
    files = {key: (value.filename, io.BytesIO(value.file.read())) for key, value in posted.items()
             if isinstance(value, UploadFile)}
    fields["_csrf_token"] = csrf(page.text)
    answer = await client.post(url, data=fields, files=files or None, follow_redirects=False)
    assert answer.status_code in (303, 400), answer.text[:2000]
