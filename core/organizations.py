"""Creating and finding organizations (municipalities) and their host names."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.i18n import DEFAULT_TIME_ZONE, valid_time_zone
from core.models import Organization, OrganizationHost, TermsOfUse
from core.richtext import sanitize
from core.settings import LOCALES

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
HOST = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$")


class OrganizationError(ValueError):
    """The organization cannot be created as asked; the message says why."""


async def create_organization(session: AsyncSession, *, slug: str, name: dict[str, str], hosts: list[str],
                              locales: list[str], default_locale: str, minimum_age: int = 14,
                              time_zone: str = DEFAULT_TIME_ZONE) -> Organization:
    """A new organization with its host names; the first host is the main one."""
    hosts = [host.strip().lower() for host in hosts]
    problems = []
    if not SLUG.match(slug):
        problems.append(f"slug {slug!r}: use lowercase letters, digits and -")
    if not hosts:
        problems.append("at least one host name is needed")
    problems += [f"host {host!r} is not a host name" for host in hosts if not HOST.match(host)]
    unknown = [locale for locale in locales if locale not in LOCALES]
    if unknown or not locales:
        problems.append(f"locales must be some of {', '.join(LOCALES)}")
    if default_locale not in locales:
        problems.append(f"the default locale {default_locale!r} must be one of the locales")
    if not any(name.get(locale) for locale in locales):
        problems.append("the organization needs a name in at least one of its locales")
    if not 0 < minimum_age < 120:
        problems.append("the minimum age must be between 1 and 119")
    if not valid_time_zone(time_zone):
        problems.append(f"{time_zone!r} is not a time zone: give an IANA name such as Europe/Madrid or Atlantic/Canary")
    if await session.scalar(select(Organization.id).where(Organization.slug == slug)):
        problems.append(f"an organization with the slug {slug!r} exists already")
    taken = (await session.scalars(select(OrganizationHost.host).where(OrganizationHost.host.in_(hosts)))).all()
    problems += [f"host {host!r} already belongs to another organization" for host in taken]
    if problems:
        raise OrganizationError("; ".join(problems))
    organization = Organization(slug=slug, name=name, available_locales=locales, default_locale=default_locale,
                                minimum_age=minimum_age, time_zone=time_zone)
    session.add(organization)
    await session.flush()
    for index, host in enumerate(dict.fromkeys(hosts)):
        session.add(OrganizationHost(organization_id=organization.id, host=host, is_main=index == 0))
    await session.flush()
    return organization


async def main_host(session: AsyncSession, organization: Organization) -> str:
    return await session.scalar(
        select(OrganizationHost.host)
        .where(OrganizationHost.organization_id == organization.id)
        .order_by(OrganizationHost.is_main.desc(), OrganizationHost.id)
        .limit(1)
    )


async def publish_terms(session: AsyncSession, organization: Organization, body: dict[str, str]) -> TermsOfUse:
    """Put a new version of the terms of use in force; logged-in people accept it before acting again."""
    version = (await session.scalar(
        select(func.coalesce(func.max(TermsOfUse.version), 0)).where(TermsOfUse.organization_id == organization.id)
    )) + 1
    terms = TermsOfUse(organization_id=organization.id, version=version,
                       body={locale: sanitize(text) for locale, text in body.items() if text.strip()})
    session.add(terms)
    organization.terms_version = version
    await session.flush()
    return terms


async def terms_in_force(session: AsyncSession, organization: Organization) -> TermsOfUse | None:
    """The version of the terms of use in force, or None before any is published."""
    if organization.terms_version is None:
        return None
    return await session.scalar(select(TermsOfUse).where(
        TermsOfUse.organization_id == organization.id, TermsOfUse.version == organization.terms_version))
