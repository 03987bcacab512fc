"""Languages: the locale of each request and the gettext catalogs of core and plugins.

Catalogs are kept as .po files (the translators' format) and compiled in memory at
start-up, so a compiled file can never be stale. The locale of the current request
lives in a context variable that the template gettext callables read.
"""

from __future__ import annotations

import functools
import io
from contextvars import ContextVar
from datetime import date
from pathlib import Path
from typing import Any

from babel import dates as babel_dates
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from core.settings import LOCALES

LANGUAGE_NAMES = {"ca": "Català", "es": "Español", "en": "English"}
DOMAIN = "messages"

current_locale: ContextVar[str] = ContextVar("current_locale", default="en")
LOCALE_COOKIE = "participa_locale"
"""Set by the language switcher; wins over a person's saved preference and the browser's."""


def N_(message: str) -> str:
    """Marks a message for extraction where it is translated later, by name (``_(title)`` in a template)."""
    return message


@functools.lru_cache(maxsize=256)
def _compiled(po_path: str, locale: str, modified_ns: int, size: int) -> bytes:
    """A .po file compiled to .mo, once per version of the file in a process: parsing the .po files is
    most of the cost of building an application, which tests and workers do often."""
    with open(po_path, "rb") as fh:
        catalog = read_po(fh, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    return buffer.getvalue()


def load_catalog(locale: str, folders: list[Path]) -> Translations:
    """One Translations object merging every folder's catalog for ``locale``, first folder wins."""
    merged = Translations()
    for folder in reversed(folders):
        po_path = folder / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
        if not po_path.exists():
            continue
        stat = po_path.stat()
        compiled = _compiled(str(po_path), locale, stat.st_mtime_ns, stat.st_size)
        merged.merge(Translations(io.BytesIO(compiled), domain=DOMAIN))
    return merged


class Catalogs:
    """The translations of every supported locale, built once per application."""

    def __init__(self, folders: list[Path]) -> None:
        self.translations = {locale: load_catalog(locale, folders) for locale in LOCALES}

    def gettext(self, message: str, **variables: Any) -> str:
        text = self.translations[current_locale.get()].ugettext(message)
        return text % variables if variables else text

    def ngettext(self, singular: str, plural: str, n: int, **variables: Any) -> str:
        text = self.translations[current_locale.get()].ungettext(singular, plural, n)
        variables.setdefault("num", n)
        return text % variables


def negotiate(accept_language: str, available: list[str], default: str) -> str:
    """The first of the browser's preferred languages that the organization offers."""
    for part in accept_language.split(","):
        tag = part.split(";")[0].strip().lower()
        for candidate in (tag, tag.split("-")[0]):
            if candidate in available:
                return candidate
    return default


def translated(value: dict[str, str] | None, locale: str | None = None, fallbacks: tuple[str, ...] = LOCALES) -> str:
    """The text of a translatable field in the current language, else the first one that exists."""
    if not value:
        return ""
    locale = locale or current_locale.get()
    if value.get(locale):
        return value[locale]
    for other in fallbacks:
        if value.get(other):
            return value[other]
    return next((text for text in value.values() if text), "")


def format_date(value: date | None, locale: str | None = None) -> str:
    """A date as people of the current language write it ("15 de març de 2027")."""
    if value is None:
        return ""
    return babel_dates.format_date(value, format="long", locale=locale or current_locale.get())


def date_range(start: date | None, end: date | None, locale: str | None = None) -> str:
    """"from A to B", "from A" or "until B", in the current language."""
    if start and end:
        return babel_dates.format_interval(start, end, skeleton="yMMMMd", locale=locale or current_locale.get())
    return format_date(start or end, locale)


# ---------------------------------------------------------------- extraction (developers)

METHOD_MAP = [("**/templates/**.html", "jinja2"), ("**/templates/**.txt", "jinja2"), ("**.py", "python")]
OPTIONS_MAP = {
    "**/templates/**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "true"},
    "**/templates/**.txt": {"extensions": "jinja2.ext.i18n", "trimmed": "true"},
}


def extract(folders: list[Path]):
    """Every translatable message in these folders' Python code and templates, as a babel Catalog."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir

    keywords = {**DEFAULT_KEYWORDS, "N_": None}
    template = Catalog(project="Participa", fuzzy=False)
    for folder in folders:
        for filename, lineno, message, comments, context in extract_from_dir(
            str(folder), METHOD_MAP, OPTIONS_MAP, keywords=keywords, strip_comment_tags=True
        ):
            template.add(message, None, [(str(folder.name) + "/" + filename, lineno)],
                         auto_comments=comments, context=context)
    return template


def _translated(message: Any) -> bool:
    """Whether a catalog message has its translation (every form of a plural one)."""
    return all(message.string) if isinstance(message.string, tuple) else bool(message.string)


def update_catalogs(sources: list[Path], locale_dir: Path) -> dict[str, int]:
    """Write ``messages.pot`` and bring each locale's ``messages.po`` up to date; returns untranslated counts."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    template = extract(sources)
    locale_dir.mkdir(parents=True, exist_ok=True)
    with (locale_dir / f"{DOMAIN}.pot").open("wb") as fh:
        write_po(fh, template, omit_header=True, sort_output=True)
    missing = {}
    for locale in LOCALES:
        po_path = locale_dir / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
        if po_path.exists():
            with po_path.open("rb") as fh:
                catalog = read_po(fh, locale=locale)
        else:
            catalog = Catalog(locale=locale, project="Participa")
        catalog.update(template, update_header_comment=False, no_fuzzy_matching=True)  # a guess is not a translation
        catalog.obsolete.clear()
        po_path.parent.mkdir(parents=True, exist_ok=True)
        with po_path.open("wb") as fh:
            write_po(fh, catalog, omit_header=True, sort_output=True, include_previous=False)
        # English is the language of the message ids themselves.
        missing[locale] = 0 if locale == "en" else sum(1 for m in catalog if m.id and not _translated(m))
    return missing
