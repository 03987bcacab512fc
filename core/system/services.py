"""The rules of the system area: its administrators, their login, and setting up organizations.

No HTTP here. ``found_organization`` is the one way an organization comes to exist, used by
``participa org create`` and by /system alike: the organization, its hosts and the invitation of its
first administrator, in the caller's transaction. Every change a system administrator makes is
written to ``core_system_log`` in the transaction of the change. Messages are untranslated ids.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import anyio
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from core import organizations
from core.accounts import services as accounts
from core.accounts.models import User
from core.accounts.passwords import hash_password, needs_rehash, password_problem, verify_password
from core.db import utcnow
from core.i18n import DEFAULT_TIME_ZONE, N_, canonical_time_zone, translated
from core.models import Organization, OrganizationHost
from core.ratelimit import Counters, RateLimit
from core.roles import grant_organization_role
from core.system.models import SystemAdmin, SystemLogEntry
from core.system.schemas import NewOrganization, OrganizationChanges, offered_locales

PER_PAGE = 50
ACTIONS = {
    "system_admin.create": N_("created the system administrator %(target)s"),
    "system_admin.login": N_("logged in"),
    "organization.create": N_("created the organization %(target)s"),
    "organization.update": N_("changed the organization %(target)s"),
    "organization.appearance": N_("changed the colours of %(target)s"),
    "organization.logo": N_("uploaded the logo of %(target)s"),
    "organization.logo_remove": N_("removed the logo of %(target)s"),
}
HOST_TAKEN = N_("The host name %(host)s already belongs to another organization.")


class SystemAreaError(Exception):
    """A rule refused the request; ``field`` says where to show ``message`` (a message id with ``variables``)."""

    def __init__(self, field: str, message: str, **variables: Any) -> None:
        super().__init__(message % variables if variables else message)
        self.field = field
        self.message = message
        self.variables = variables


def normalise_email(email: str) -> str:
    return email.strip().lower()


# ---------------------------------------------------------------- administrators and their login


@dataclass
class Limits:
    """The login limits of the system area: the same numbers as people's logins, counted apart."""

    per_account: RateLimit
    per_address: RateLimit

    @classmethod
    def from_counters(cls, counters: Counters) -> Limits:
        return cls(per_account=RateLimit(counters, "system-login-account", limit=5, window=15 * 60),
                   per_address=RateLimit(counters, "system-login-address", limit=30, window=15 * 60))


class LoginRefused(Exception):
    """``reason`` is "invalid" (wrong e-mail or password) or "locked" (too many failures)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def create_admin(session: AsyncSession, email: str, name: str, password: str) -> SystemAdmin:
    """A new system administrator (the command line creates them; nobody registers as one)."""
    email = normalise_email(email)
    if not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", email):
        raise SystemAreaError("email", N_("Enter an e-mail address like name@example.org."))
    problem = password_problem(password, email=email, name=name)
    if problem:
        raise SystemAreaError("password", problem)
    if await session.scalar(select(SystemAdmin.id).where(SystemAdmin.email == email)) is not None:
        raise SystemAreaError("email", N_("There is already a system administrator with this e-mail."))
    admin = SystemAdmin(email=email, name=name.strip() or email.split("@")[0],
                        password_hash=await anyio.to_thread.run_sync(hash_password, password))
    session.add(admin)
    await session.flush()
    record(session, admin, "system_admin.create", admin.email)
    return admin


async def authenticate(session: AsyncSession, limits: Limits, email: str, password: str,
                       address: str) -> SystemAdmin:
    """The administrator with these credentials, or LoginRefused.

    As for people: unknown addresses and wrong passwords get the same answer in the same time; five
    failures lock the account for fifteen minutes, thirty lock the network address.
    """
    email = normalise_email(email)
    if await limits.per_account.exceeded(email) or await limits.per_address.exceeded(address):
        raise LoginRefused("locked")
    admin = await session.scalar(select(SystemAdmin).where(SystemAdmin.email == email))
    if not await anyio.to_thread.run_sync(verify_password, admin.password_hash if admin else None, password):
        await limits.per_account.hit(email)
        await limits.per_address.hit(address)
        raise LoginRefused("invalid")
    await limits.per_account.reset(email)
    if needs_rehash(admin.password_hash):
        admin.password_hash = await anyio.to_thread.run_sync(hash_password, password)
    admin.last_login_at = utcnow()
    record(session, admin, "system_admin.login")
    return admin


async def admin_of(session: AsyncSession, admin_id: int) -> SystemAdmin | None:
    return await session.get(SystemAdmin, admin_id)


# ---------------------------------------------------------------- the log


def record(session: AsyncSession, admin: SystemAdmin, action: str, target: str = "",
           organization: Organization | None = None, **details: Any) -> SystemLogEntry:
    """Add an entry for ``action`` by ``admin`` to the current transaction."""
    if action not in ACTIONS:
        raise KeyError(f"unknown system action {action!r}")
    entry = SystemLogEntry(system_admin_id=admin.id, admin_email=admin.email, action=action, target=target,
                           organization_id=organization.id if organization else None, details=details)
    session.add(entry)
    return entry


async def log_page(session: AsyncSession, page: int = 1) -> tuple[Sequence[SystemLogEntry], int, int]:
    """A page of the log, newest first: (entries, the page shown, the number of pages); a page number out
    of range shows the nearest page."""
    total = await session.scalar(select(func.count(SystemLogEntry.id))) or 0
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(page, 1), pages)
    entries = (await session.scalars(
        select(SystemLogEntry).order_by(SystemLogEntry.created_at.desc(), SystemLogEntry.id.desc())
        .limit(PER_PAGE).offset((page - 1) * PER_PAGE)
    )).all()
    return entries, page, pages


# ---------------------------------------------------------------- organizations


@dataclass
class Founded:
    """A new organization, its first administrator, and the invitation token to mail them (None when that
    address already had an account, which cannot happen in a brand-new organization)."""

    organization: Organization
    admin: User
    token: str | None


async def found_organization(session: AsyncSession, *, slug: str, name: dict[str, str], hosts: list[str],
                             locales: list[str], default_locale: str, minimum_age: int, admin_email: str,
                             admin_name: str, registration_mode: str = "open",
                             time_zone: str = DEFAULT_TIME_ZONE) -> Founded:
    """Create an organization with its hosts (the first is the main one) and invite its first administrator.

    Raises ``core.organizations.OrganizationError`` when the organization cannot be created as asked.
    The caller commits, then mails the invitation (``invitation_mail``).
    """
    organization = await organizations.create_organization(
        session, slug=slug, name=name, hosts=hosts, locales=locales, default_locale=default_locale,
        minimum_age=minimum_age, time_zone=time_zone)
    organization.registration_mode = registration_mode
    user, token = await accounts.invite(session, organization, admin_email,
                                        admin_name.strip() or admin_email.split("@")[0], default_locale)
    await grant_organization_role(session, organization.id, user.id, "admin")
    return Founded(organization, user, token)


def split_hosts(main: str, others: str) -> list[str]:
    """The host names of a form, main first, lowercased, each once (one per line, or separated by spaces
    or commas)."""
    names = [main.strip().lower(), *(part.lower() for part in re.split(r"[\s,]+", others) if part)]
    return list(dict.fromkeys(name.rstrip(".") for name in names if name))


def checked_time_zone(field: str, name: str) -> str:
    """The IANA name of the time zone typed (``europe/madrid`` is ``Europe/Madrid``), or SystemAreaError."""
    time_zone = canonical_time_zone(name)
    if time_zone is None:
        raise SystemAreaError(field, N_("%(zone)s is not a time zone: write its IANA name, such as Europe/Madrid "
                                        "or Atlantic/Canary."), zone=name)
    return time_zone


async def _check(session: AsyncSession, data: NewOrganization | OrganizationChanges,
                 organization: Organization | None = None) -> tuple[dict[str, str], list[str], list[str]]:
    """The name, hosts and languages of a form, or SystemAreaError on the first field that breaks a rule.
    The time zone typed is written back in its IANA spelling; left empty, it stays None."""
    if data.time_zone is not None:
        data.time_zone = checked_time_zone("time_zone", data.time_zone)
    locales = offered_locales(data)
    if not locales:
        raise SystemAreaError("__all__", N_("Offer the site in at least one language."))
    if data.default_locale not in locales:
        raise SystemAreaError("default_locale", N_("The default language must be one of the languages offered."))
    name = {locale: " ".join(text.split()) for locale, text in data.name.items() if locale in locales}
    if not name.get(data.default_locale):
        raise SystemAreaError("name", N_("Write the name at least in the default language."))
    hosts = split_hosts(data.main_host, data.other_hosts)
    for host in hosts:
        if not organizations.HOST.match(host):
            field = "main_host" if host == hosts[0] else "other_hosts"
            raise SystemAreaError(field, N_("%(host)s is not a host name: write it like participa.vilanova.cat, "
                                            "without https:// or /."), host=host)
    taken = select(OrganizationHost.host).where(OrganizationHost.host.in_(hosts))
    if organization is not None:
        taken = taken.where(OrganizationHost.organization_id != organization.id)
    for host in (await session.scalars(taken)).all():
        raise SystemAreaError("main_host" if host == hosts[0] else "other_hosts", HOST_TAKEN, host=host)
    return name, hosts, locales


async def create_organization(session: AsyncSession, admin: SystemAdmin, data: NewOrganization) -> Founded:
    """Set up an organization from the form of /system (the same service as ``participa org create``)."""
    name, hosts, locales = await _check(session, data)
    if await session.scalar(select(Organization.id).where(Organization.slug == data.slug)) is not None:
        raise SystemAreaError("slug", N_("Another organization already has this short name."))
    try:
        async with session.begin_nested():
            founded = await found_organization(
                session, slug=data.slug, name=name, hosts=hosts, locales=locales, default_locale=data.default_locale,
                minimum_age=data.minimum_age, admin_email=data.admin_email, admin_name=data.admin_name,
                registration_mode=data.registration_mode, time_zone=data.time_zone or DEFAULT_TIME_ZONE)
    except (IntegrityError, organizations.OrganizationError):
        # Someone took a host name or the short name between the checks above and now.
        raise SystemAreaError("main_host", N_("A host name or the short name was taken a moment ago; "
                                              "check them and try again.")) from None
    record(session, admin, "organization.create", organization_label(founded.organization), founded.organization,
           hosts=hosts, first_admin=founded.admin.email)
    return founded


async def update_organization(session: AsyncSession, admin: SystemAdmin, organization: Organization,
                              data: OrganizationChanges) -> None:
    """Change an organization's name, hosts, languages and registration; hosts dropped stop answering."""
    name, hosts, locales = await _check(session, data, organization)
    before = {"name": organization.name, "hosts": [host.host for host in _sorted_hosts(organization)],
              "available_locales": organization.available_locales, "default_locale": organization.default_locale,
              "registration_mode": organization.registration_mode, "minimum_age": organization.minimum_age,
              "time_zone": organization.time_zone}
    organization.name, organization.available_locales = name, locales
    organization.default_locale, organization.registration_mode = data.default_locale, data.registration_mode
    organization.minimum_age, organization.time_zone = data.minimum_age, data.time_zone or organization.time_zone
    try:
        async with session.begin_nested():
            await session.execute(delete(OrganizationHost).where(OrganizationHost.organization_id == organization.id,
                                                                 OrganizationHost.host.not_in(hosts)))
            kept = {row.host: row for row in (await session.scalars(select(OrganizationHost).where(
                OrganizationHost.organization_id == organization.id))).all()}
            for index, host in enumerate(hosts):
                row = kept.get(host) or OrganizationHost(organization_id=organization.id, host=host)
                row.is_main = index == 0
                session.add(row)
            await session.flush()
    except IntegrityError:
        raise SystemAreaError("main_host", N_("A host name was taken a moment ago; check them and try "
                                              "again.")) from None
    record(session, admin, "organization.update", organization_label(organization), organization,
           before=before, after={"name": name, "hosts": hosts, "available_locales": locales,
                                 "default_locale": data.default_locale, "registration_mode": data.registration_mode,
                                 "minimum_age": data.minimum_age, "time_zone": organization.time_zone})


def organization_label(organization: Organization) -> str:
    """How the log names an organization: its name in its own default language, and its short name."""
    return f"{translated(organization.name, organization.default_locale)} ({organization.slug})"


def _sorted_hosts(organization: Organization) -> list[OrganizationHost]:
    return sorted(organization.hosts, key=lambda host: (not host.is_main, host.host))


async def organizations_with_people(session: AsyncSession) -> list[tuple[Organization, list[str], int]]:
    """Every organization with its hosts (main first) and how many accounts it has: two queries, whatever
    the number of organizations."""
    people = (select(func.count(User.id)).where(User.organization_id == Organization.id, User.deleted_at.is_(None))
              .correlate(Organization).scalar_subquery())
    rows = (await session.execute(
        select(Organization, people).options(selectinload(Organization.hosts)).order_by(Organization.slug)
    )).all()
    return [(organization, [host.host for host in _sorted_hosts(organization)], count)
            for organization, count in rows]


async def organization_of(session: AsyncSession, organization_id: int) -> Organization | None:
    """An organization with its hosts loaded."""
    return await session.scalar(select(Organization).where(Organization.id == organization_id)
                                .options(selectinload(Organization.hosts)))


def form_values(organization: Organization) -> dict[str, Any]:
    """What the edit form shows of an organization."""
    hosts = _sorted_hosts(organization)
    return {"name": organization.name, "main_host": hosts[0].host if hosts else "",
            "other_hosts": "\n".join(host.host for host in hosts[1:]), "default_locale": organization.default_locale,
            **{f"locale_{code}": code in organization.available_locales for code in ("ca", "es", "en")},
            "registration_mode": organization.registration_mode, "minimum_age": organization.minimum_age,
            "time_zone": organization.time_zone}


def main_host(organization: Organization) -> str:
    hosts = _sorted_hosts(organization)
    return hosts[0].host if hosts else ""


async def change_colours(session: AsyncSession, admin: SystemAdmin, organization: Organization, primary: str,
                         secondary: str) -> None:
    before = {"primary_color": organization.primary_color, "secondary_color": organization.secondary_color}
    organization.primary_color, organization.secondary_color = primary.lower(), secondary.lower()
    record(session, admin, "organization.appearance", organization_label(organization), organization, before=before,
           after={"primary_color": primary.lower(), "secondary_color": secondary.lower()})
