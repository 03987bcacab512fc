"""Every user-facing string of core and of every plugin is translated into Catalan and Spanish."""

from __future__ import annotations

import pytest
from babel.messages.pofile import read_po

from core.cli import i18n_sources
from core.i18n import Catalogs, current_locale, extract, negotiate, translated


def catalog_owners(registry) -> list[str]:
    return ["core"] + [name for name, _ in registry.folders("locale") if name != "core"]


def test_every_plugin_with_templates_ships_catalogs(registry):
    with_templates = {name for name, _ in registry.folders("templates")}
    assert with_templates <= set(catalog_owners(registry))


@pytest.mark.parametrize("locale", ["ca", "es"])
def test_every_message_is_translated(registry, locale):
    problems = []
    for owner in catalog_owners(registry):
        sources, locale_dir = i18n_sources(registry, owner)
        wanted = {message.id for message in extract(sources) if message.id}
        with (locale_dir / locale / "LC_MESSAGES" / "messages.po").open("rb") as fh:
            catalog = read_po(fh, locale=locale)
        translated_ids = {message.id for message in catalog if message.id and not message.fuzzy
                          and (all(message.string) if isinstance(message.string, tuple) else message.string)}
        # key=str: a plural message's id is a tuple, which does not sort among plain ids
        problems += [f"{owner}: untranslated {message_id!r}"
                     for message_id in sorted(wanted - translated_ids, key=str)]
        for message, errors in catalog.check():
            problems += [f"{owner}: {message.id!r}: {error}" for error in errors]
    assert not problems, "run `participa i18n update NAME` and translate:\n" + "\n".join(problems)


def test_catalog_templates_are_current(registry):
    for owner in catalog_owners(registry):
        sources, locale_dir = i18n_sources(registry, owner)
        with (locale_dir / "messages.pot").open("rb") as fh:
            stored = {message.id for message in read_po(fh) if message.id}
        assert stored == {m.id for m in extract(sources) if m.id}, f"run `participa i18n update {owner}`"


def test_catalogs_merge_core_and_plugins(registry):
    from core.app import CORE_LOCALE

    catalogs = Catalogs([CORE_LOCALE] + [folder for _, folder in registry.folders("locale")])
    token = current_locale.set("es")
    try:
        assert catalogs.gettext("Skip to content") == "Saltar al contenido"
        assert catalogs.gettext("There are no pages here yet.") == "Todavía no hay ninguna página."
        assert catalogs.gettext("A message nobody wrote") == "A message nobody wrote"
    finally:
        current_locale.reset(token)


def test_language_negotiation():
    assert negotiate("es-ES,es;q=0.9", ["ca", "es", "en"], "ca") == "es"
    assert negotiate("en-GB", ["ca", "es"], "ca") == "ca"
    assert negotiate("", ["ca", "es"], "es") == "es"


def test_translated_fields_fall_back_to_another_language():
    assert translated({"ca": "Hola", "es": "Hola!"}, "es") == "Hola!"
    assert translated({"ca": "Només en català"}, "en") == "Només en català"
    assert translated({"es": "", "en": "Only English"}, "es") == "Only English"
    assert translated(None, "ca") == ""
