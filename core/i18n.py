"""Languages: the locale of each request and the gettext catalogs of core and plugins.

Catalogs are kept as .po files (the translators' format) and compiled in memory at
start-up, so a compiled file can never be stale. The locale of the current request
lives in a context variable that the template gettext callables read.
"""

from __future__ import annotations

import functools
import io
from contextvars import ContextVar
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel import dates as babel_dates
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from jinja2 import pass_context
from jinja2.runtime import Context

from core.settings import LOCALES

LANGUAGE_NAMES = {"ca": "Català", "es": "Español", "en": "English"}
DOMAIN = "messages"

current_locale: ContextVar[str] = ContextVar("current_locale", default="en")
LOCALE_COOKIE = "participa_locale"
"""Set by the language switcher; wins over a person's saved preference and the browser's."""

DEFAULT_TIME_ZONE = "Europe/Madrid"
"""The time zone of a new organization (``Organization.time_zone``), unless it is told another."""
current_time_zone: ContextVar[str] = ContextVar("current_time_zone", default="UTC")
"""The time zone of the current request's organization (UTC where there is none: the system area)."""


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


# ---------------------------------------------------------------- time zones
# Instants are stored as UTC-aware datetimes; people read and type them as the wall-clock time of their
# organization's zone. Dates without a time (a phase's end date) are calendar days and are never converted.


@functools.cache
def time_zone_names() -> frozenset[str]:
    """Every IANA time zone name this system knows (``Europe/Madrid``, ``Atlantic/Canary``)."""
    return frozenset(available_timezones())


def valid_time_zone(name: str) -> bool:
    """Whether ``name`` is an IANA time zone name, spelled exactly (``Europe/Madrid``, not ``europe/madrid``)."""
    return name in time_zone_names()


@functools.cache
def _time_zones_by_lowercase() -> dict[str, str]:
    return {name.lower(): name for name in time_zone_names()}


def canonical_time_zone(name: str) -> str | None:
    """The IANA name a person meant, whatever its capitals (``europe/madrid`` is ``Europe/Madrid``); None
    when there is no such zone."""
    return _time_zones_by_lowercase().get(name.strip().lower())


def zone(name: str | None = None) -> ZoneInfo:
    """The zone of that name, else of the current request; UTC for a name this system does not know, so a
    page never fails to render over a zone removed from the time zone database."""
    try:
        return ZoneInfo(name or current_time_zone.get())
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def to_local(value: datetime, time_zone: str | None = None) -> datetime:
    """A stored (UTC) instant as the wall-clock time of a zone (the request's organization's by default)."""
    if value.tzinfo is None:  # values built in Python before they were stored and read back
        value = value.replace(tzinfo=UTC)
    return value.astimezone(zone(time_zone))


def from_local(day: date, at: time, time_zone: str) -> datetime:
    """The UTC instant of a date and a wall-clock time typed in a zone.

    Around a change of time (zoneinfo, ``fold=0``): an hour that happens twice in autumn is taken as the first
    one, and an hour that does not exist in spring (02:30 the day clocks jump to 03:00) as that many minutes
    after the jump (03:30 in Europe/Madrid), which is what the person meant.
    """
    return datetime.combine(day, at.replace(tzinfo=None), tzinfo=zone(time_zone)).astimezone(UTC)


def local_today(time_zone: str | None = None, now: datetime | None = None) -> date:
    """The calendar day it is (``now``, else this moment) in a zone: what "open today" means for a phase."""
    return to_local(now or datetime.now(UTC), time_zone).date()


def _zone_of(context: Context | None) -> str:
    """The zone of the organization a template is rendered for (pages and mails pass ``organization``; the
    system area passes None: UTC), else the request's (macros imported without the page's context)."""
    if context is not None and "organization" in context:
        organization = context["organization"]
        return organization.time_zone if organization is not None else "UTC"
    return current_time_zone.get()


def format_date(value: date | None, locale: str | None = None, time_zone: str | None = None) -> str:
    """A date as people of the current language write it ("15 de març de 2027"); an instant (a datetime)
    gives the day it was in the organization's time zone."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_local(value, time_zone).date()
    return babel_dates.format_date(value, format="long", locale=locale or current_locale.get())


def format_datetime(value: datetime | None, pattern: str = "%Y-%m-%d %H:%M", time_zone: str | None = None) -> str:
    """An instant as the wall-clock time of the organization's zone ("2027-01-15 10:00")."""
    if value is None:
        return ""
    return to_local(value, time_zone).strftime(pattern)


@pass_context
def date_filter(context: Context, value: date | None, locale: str | None = None) -> str:
    """``|date`` in templates: ``format_date`` in the zone of the page's organization."""
    return format_date(value, locale, _zone_of(context))


@pass_context
def datetime_filter(context: Context, value: datetime | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
    """``|datetime`` (or ``|datetime("%H:%M")``) in templates: ``format_datetime`` in the zone of the page's
    organization."""
    return format_datetime(value, pattern, _zone_of(context))


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
