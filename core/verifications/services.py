"""The rules of verifications: granting and revoking, the census, identity documents under review,
and what a component's action requires (``authorization``). No HTTP here; the caller commits.

Messages are untranslated ids (with ``variables`` for their placeholders); the routes translate them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from core.accounts.models import User
from core.adminlog import record
from core.db import utcnow
from core.i18n import N_, local_today, translated
from core.models import Component, Organization, Space
from core.uploads import Checked, Storage
from core.verifications import identity
from core.verifications.handlers import CENSUS, IDENTITY_DOCUMENT, AuthorizationHandler
from core.verifications.models import ActionRequirement, CensusEntry, IdentityDocument, Verification

PER_PAGE = 30
IDENTITY_TAKEN = N_("This identity already verifies another account. If it is yours, log in with it; if you "
                    "took part at a municipal desk, ask there.")
NOT_IN_CENSUS = N_("These details are not in the census. Check the document number and the date of birth.")
DOCUMENT_TYPES = {"dni": N_("DNI"), "nie": N_("NIE"), "passport": N_("Passport")}


class VerificationError(Exception):
    """A rule refused; ``field`` says which form field ``message`` (a message id) belongs to."""

    def __init__(self, message: str, field: str = "__all__", **variables: Any) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.variables = variables


def person_label(user: User) -> str:
    """How the admin log names a person (kept as it was, like the log's own author)."""
    return f"{user.name} (@{user.nickname})" if user.name else f"@{user.nickname}"


# ---------------------------------------------------------------- granted verifications


async def verifications_of(session: AsyncSession, user: User) -> Sequence[Verification]:
    return (await session.scalars(
        select(Verification).where(Verification.user_id == user.id).order_by(Verification.granted_at)
    )).all()


async def grant(session: AsyncSession, registry: Any, organization: Organization, user: User, handler: str,
                unique_digest: str, details: dict[str, Any]) -> Verification:
    """Record that ``user`` proved this identity with ``handler``, or VerificationError.

    One identity verifies one account: held by another live account, it is refused. Held by a deleted
    account (whose verification rows stay), it moves to this one and remembers where it came from, and
    what the deleted account gave (supports, votes) becomes this one's in the same transaction
    (``transfer_participation``), so the person who deleted an account and came back is still one
    person who cannot support twice.
    """
    own = await session.scalar(select(Verification).where(Verification.user_id == user.id,
                                                          Verification.handler == handler))
    if own is not None:
        if own.unique_digest != unique_digest:
            raise VerificationError(N_("Your account is already verified with another identity."))
        own.details = details
        return own
    holders = (await session.execute(
        select(Verification, User.deleted_at).join(User, User.id == Verification.user_id)
        .where(Verification.organization_id == organization.id, Verification.unique_digest == unique_digest,
               Verification.user_id != user.id)
    )).all()
    if any(deleted_at is None for _, deleted_at in holders):
        raise VerificationError(IDENTITY_TAKEN)
    deleted_accounts = sorted({row.user_id for row, _ in holders})
    previous = next((row for row, _ in holders if row.handler == handler), None)
    if previous is not None:
        previous.transferred_from_user_id, previous.user_id = previous.user_id, user.id
        previous.details, previous.granted_at = details, utcnow()
        await session.flush()
        await transfer_participation(session, registry, organization, deleted_accounts, user.id)
        return previous
    verification = Verification(organization_id=organization.id, user_id=user.id, handler=handler,
                                unique_digest=unique_digest, details=details,
                                transferred_from_user_id=holders[0][0].user_id if holders else None)
    try:
        async with session.begin_nested():
            session.add(verification)
    except IntegrityError:
        raise VerificationError(IDENTITY_TAKEN) from None  # someone verified with it a moment ago
    await transfer_participation(session, registry, organization, deleted_accounts, user.id)
    return verification


async def transfer_participation(session: AsyncSession, registry: Any, organization: Organization,
                                 from_user_ids: Sequence[int], to_user_id: int) -> None:
    """Every plugin (core first) makes what these deleted accounts of the same person gave ``to_user_id``'s.

    Each implementation is idempotent: verifying with a second handler later calls it again for the
    same accounts and finds nothing left to move.
    """
    for from_user_id in from_user_ids:
        for pending in registry.call("transfer_participation", session=session, registry=registry,
                                     organization=organization, from_user_id=from_user_id, to_user_id=to_user_id):
            await pending


async def granted_list(session: AsyncSession, organization: Organization,
                       page: int = 1) -> tuple[Sequence[Verification], int]:
    """A page of the organization's verifications of live accounts (newest first) with their people."""
    conditions = [Verification.organization_id == organization.id, User.deleted_at.is_(None)]
    total = await session.scalar(select(func.count(Verification.id)).join(Verification.user).where(*conditions)) or 0
    rows = (await session.scalars(
        select(Verification).join(Verification.user).where(*conditions)
        .options(joinedload(Verification.user))
        .order_by(Verification.granted_at.desc(), Verification.id.desc())
        .limit(PER_PAGE).offset((max(page, 1) - 1) * PER_PAGE)
    )).all()
    return rows, total


async def verification_in(session: AsyncSession, organization: Organization, verification_id: int) -> Verification | None:
    return await session.scalar(
        select(Verification).where(Verification.id == verification_id,
                                   Verification.organization_id == organization.id)
        .options(joinedload(Verification.user))
    )


async def revoke(session: AsyncSession, organization: Organization, admin: User, verification: Verification) -> None:
    """Take a verification back: the identity is free again and the person must verify anew."""
    record(session, organization.id, admin, "verification.revoke", person_label(verification.user),
           handler=verification.handler)
    await session.delete(verification)


async def forget_person(session: AsyncSession, user_id: int) -> None:
    """When an account is deleted: its verifications keep only the identity digest (so that identity
    stays bound to what the account did), and documents under review go (their files are personal
    uploads, deleted with the account)."""
    for verification in await session.scalars(select(Verification).where(Verification.user_id == user_id)):
        verification.details = {}
    await session.execute(delete(IdentityDocument).where(IdentityDocument.user_id == user_id))


# ---------------------------------------------------------------- the census


@dataclass
class CensusProblem:
    line: int
    message: str
    variables: dict[str, Any] = field(default_factory=dict)


@dataclass
class ParsedCensus:
    entries: list[dict[str, Any]]
    problems: list[CensusProblem]


NOT_CSV = N_("This is not a CSV file: save the census from the spreadsheet as CSV and upload that file.")


def _decode(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace")  # what spreadsheets on Windows save


def parse_census(content: bytes, secret_key: str, organization_id: int, today: date | None = None) -> ParsedCensus:
    """Read a census CSV: document number, date of birth and, optionally, postal code per line.

    Commas or semicolons; a first line that is a header is skipped. Every bad line is reported by its
    number, and nothing of a file with problems is kept. Only digests leave this function.
    """
    text = _decode(content)
    if "\x00" in text:  # a picture, a spreadsheet's own format: the csv module cannot read NUL
        return ParsedCensus(entries=[], problems=[CensusProblem(1, NOT_CSV, {})])
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    entries: list[dict[str, Any]] = []
    problems: list[CensusProblem] = []
    seen: dict[str, int] = {}
    try:
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error:
        return ParsedCensus(entries=[], problems=[CensusProblem(1, NOT_CSV, {})])
    for number, row in enumerate(rows, start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if len(cells) not in (2, 3):
            problems.append(CensusProblem(number, N_("Line %(line)s: write two or three columns (document number, "
                                                     "date of birth, postal code)."), {"line": number}))
            continue
        document = identity.normalise_document_number(cells[0])
        birth_date = identity.parse_birth_date(cells[1], today)
        if number == 1 and document is None and birth_date is None:
            continue  # the header
        if document is None:
            problems.append(CensusProblem(number, N_("Line %(line)s: the document number is not valid."),
                                          {"line": number}))
            continue
        if birth_date is None:
            problems.append(CensusProblem(number, N_("Line %(line)s: the date of birth is not a date (write "
                                                     "1980-05-31 or 31/05/1980)."), {"line": number}))
            continue
        postal_code = None
        if len(cells) == 3 and cells[2]:
            postal_code = identity.normalise_postal_code(cells[2])
            if postal_code is None:
                problems.append(CensusProblem(number, N_("Line %(line)s: the postal code is not valid."),
                                              {"line": number}))
                continue
        key = identity.digest(secret_key, organization_id, document, birth_date)
        if key in seen:
            problems.append(CensusProblem(number, N_("Line %(line)s: the same person is already on line %(other)s."),
                                          {"line": number, "other": seen[key]}))
            continue
        seen[key] = number
        entries.append({"organization_id": organization_id, "digest": key, "postal_code": postal_code})
    if not entries and not problems:
        problems.append(CensusProblem(0, N_("The file holds nobody: one person per line.")))
    return ParsedCensus(entries, problems)


async def replace_census(session: AsyncSession, organization: Organization, admin: User,
                         entries: list[dict[str, Any]]) -> None:
    """The new census replaces the old one whole, in one transaction (verifications already granted stay)."""
    await session.execute(delete(CensusEntry).where(CensusEntry.organization_id == organization.id))
    now = utcnow()
    for start in range(0, len(entries), 1000):
        await session.execute(insert(CensusEntry), [{**entry, "created_at": now}
                                                     for entry in entries[start:start + 1000]])
    record(session, organization.id, admin, "census.upload", str(len(entries)))


async def census_size(session: AsyncSession, organization: Organization) -> tuple[int, Any]:
    """How many people the census holds, and when it was uploaded."""
    count, uploaded = (await session.execute(
        select(func.count(CensusEntry.id), func.max(CensusEntry.created_at))
        .where(CensusEntry.organization_id == organization.id)
    )).one()
    return count or 0, uploaded


async def census_identity(session: AsyncSession, secret_key: str, organization: Organization, document_number: str,
                          birth_date: date) -> tuple[str, CensusEntry]:
    """The digest and census entry of these details, or VerificationError when they are not in the census."""
    document = identity.normalise_document_number(document_number)
    if document is None:
        raise VerificationError(N_("Write the document number with its letters and digits, for example "
                                   "12345678Z."), "document_number")
    key = identity.digest(secret_key, organization.id, document, birth_date)
    entry = await session.scalar(select(CensusEntry).where(CensusEntry.organization_id == organization.id,
                                                           CensusEntry.digest == key))
    if entry is None:
        raise VerificationError(NOT_IN_CENSUS)
    return key, entry


def _details(birth_date: date | None, postal_code: str | None) -> dict[str, Any]:
    return {"birth_date": birth_date.isoformat() if birth_date else None, "postal_code": postal_code}


async def verify_with_census(session: AsyncSession, registry: Any, secret_key: str, organization: Organization,
                             user: User, document_number: str, birth_date: date) -> Verification:
    key, entry = await census_identity(session, secret_key, organization, document_number, birth_date)
    return await grant(session, registry, organization, user, CENSUS.name, key, _details(birth_date, entry.postal_code))


# ---------------------------------------------------------------- at the municipal desk (``DeskCheck.check``)


async def census_at_desk(*, session: AsyncSession, secret_key: str, organization: Organization,
                         data: Any) -> tuple[str, dict[str, Any]]:
    """The census, asked by staff for the person in front of them: the same check as the person's own."""
    key, entry = await census_identity(session, secret_key, organization, data.document_number, data.birth_date)
    return key, _details(data.birth_date, entry.postal_code)


async def document_at_desk(*, session: AsyncSession, secret_key: str, organization: Organization,
                           data: Any) -> tuple[str, dict[str, Any]]:
    """An identity document staff saw, the original, in the person's hands: what they read on it becomes the
    same digest an approved upload gives (the number is not kept), and the details its conditions read."""
    if data.document_type not in DOCUMENT_TYPES:
        raise VerificationError(N_("Choose one of the options."), "document_type")
    number = identity.normalise_document_number(data.document_number)
    if number is None:
        raise VerificationError(N_("Write the document number with its letters and digits, for example "
                                   "12345678Z."), "document_number")
    postal_code = None
    if data.postal_code:
        postal_code = identity.normalise_postal_code(data.postal_code)
        if postal_code is None:
            raise VerificationError(N_("The format is not valid."), "postal_code")
    key = identity.digest(secret_key, organization.id, number, data.birth_date)
    return key, {**_details(data.birth_date, postal_code), "document_type": data.document_type}


# ---------------------------------------------------------------- identity documents


async def document_of(session: AsyncSession, user: User) -> IdentityDocument | None:
    return await session.scalar(select(IdentityDocument).where(IdentityDocument.user_id == user.id)
                                .options(joinedload(IdentityDocument.upload)))


async def submit_document(session: AsyncSession, files: Storage, user: User, checked: Checked, document_type: str,
                          document_number: str, birth_date: date, postal_code: str | None) -> IdentityDocument:
    """Send a document for review; a new one replaces one under review or rejected (and its file)."""
    if document_type not in DOCUMENT_TYPES:
        raise VerificationError(N_("Choose one of the options."), "document_type")
    number = identity.normalise_document_number(document_number)
    if number is None:
        raise VerificationError(N_("Write the document number with its letters and digits, for example "
                                   "12345678Z."), "document_number")
    if await session.scalar(select(Verification.id).where(Verification.user_id == user.id,
                                                          Verification.handler == IDENTITY_DOCUMENT.name)):
        raise VerificationError(N_("Your identity document is already verified."))
    upload = await files.save(session, checked, organization_id=user.organization_id, owner_user_id=user.id,
                              kind="document", purpose="identity_document", private=True)
    document = await document_of(session, user)
    if document is None:
        document = IdentityDocument(organization_id=user.organization_id, user_id=user.id, document_type=document_type)
        session.add(document)
    elif document.upload is not None:
        previous = document.upload
        document.upload = None
        await session.flush()
        await files.remove(session, previous)
    document.upload_id, document.document_type, document.document_number = upload.id, document_type, number
    document.birth_date, document.postal_code = birth_date, postal_code
    document.state, document.rejection_reason, document.submitted_at = "pending", None, utcnow()
    document.reviewed_at = document.reviewed_by_id = None
    await session.flush()
    return document


async def pending_documents(session: AsyncSession, organization: Organization,
                            page: int = 1) -> tuple[Sequence[IdentityDocument], int]:
    """Documents waiting for review, oldest first (whoever waited longest is served first)."""
    conditions = [IdentityDocument.organization_id == organization.id, IdentityDocument.state == "pending"]
    total = await session.scalar(select(func.count(IdentityDocument.id)).where(*conditions)) or 0
    rows = (await session.scalars(
        select(IdentityDocument).where(*conditions).options(joinedload(IdentityDocument.user))
        .order_by(IdentityDocument.submitted_at, IdentityDocument.id)
        .limit(PER_PAGE).offset((max(page, 1) - 1) * PER_PAGE)
    )).all()
    return rows, total


async def document_in(session: AsyncSession, organization: Organization, document_id: int) -> IdentityDocument | None:
    """A document of this organization only: another organization's id is not found."""
    return await session.scalar(
        select(IdentityDocument).where(IdentityDocument.id == document_id,
                                       IdentityDocument.organization_id == organization.id)
        .options(joinedload(IdentityDocument.user), joinedload(IdentityDocument.upload))
    )


async def _drop_file(session: AsyncSession, files: Storage, document: IdentityDocument) -> None:
    if document.upload is not None:
        upload = document.upload
        document.upload = None
        await session.flush()
        await files.remove(session, upload)


async def approve(session: AsyncSession, registry: Any, files: Storage, secret_key: str, organization: Organization,
                  reviewer: User, document: IdentityDocument) -> Verification:
    """The document is the person's: grant the verification, then forget the file and the number."""
    if document.state != "pending" or document.document_number is None or document.birth_date is None:
        raise VerificationError(N_("This document is not waiting for review."))
    key = identity.digest(secret_key, organization.id, document.document_number, document.birth_date)
    verification = await grant(session, registry, organization, document.user, IDENTITY_DOCUMENT.name, key,
                               _details(document.birth_date, document.postal_code))
    record(session, organization.id, reviewer, "verification.approve", person_label(document.user))
    await _drop_file(session, files, document)
    await session.delete(document)
    return verification


async def reject(session: AsyncSession, files: Storage, organization: Organization, reviewer: User,
                 document: IdentityDocument, reason: str) -> None:
    """Say why; the person can send another document. The file and the number are not kept."""
    if document.state != "pending":
        raise VerificationError(N_("This document is not waiting for review."))
    document.state, document.rejection_reason = "rejected", reason.strip()
    document.reviewed_at, document.reviewed_by_id = utcnow(), reviewer.id
    document.document_number = document.birth_date = document.postal_code = None
    record(session, organization.id, reviewer, "verification.reject", person_label(document.user),
           reason=document.rejection_reason)
    await _drop_file(session, files, document)


# ---------------------------------------------------------------- what actions require


@dataclass(frozen=True)
class Missing:
    """A handler the action needs that this person lacks, or whose conditions they do not meet."""

    handler: AuthorizationHandler | None
    handler_name: str
    message: str
    variables: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Authorization:
    """``granted``, or what is ``missing`` (each with where to verify: ``handler.verify_path``)."""

    missing: tuple[Missing, ...] = ()
    granted: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.missing


async def requirements_of(session: AsyncSession, component: Component) -> Sequence[ActionRequirement]:
    return (await session.scalars(
        select(ActionRequirement).where(ActionRequirement.component_id == component.id)
        .order_by(ActionRequirement.action, ActionRequirement.handler)
    )).all()


def _conditions_fail(requirement: ActionRequirement, verification: Verification, today: date) -> Missing | None:
    options, details = requirement.options or {}, verification.details or {}
    minimum_age = options.get("minimum_age")
    if minimum_age:
        birth = date.fromisoformat(details["birth_date"]) if details.get("birth_date") else None
        if birth is None:
            return Missing(None, requirement.handler, N_("Your verification does not say your date of birth: "
                                                         "verify again."))
        if identity.age_on(birth, today) < minimum_age:
            return Missing(None, requirement.handler, N_("Only people aged %(age)s or over can do this."),
                           {"age": minimum_age})
    postal_codes = options.get("postal_codes") or []
    if postal_codes and details.get("postal_code") not in postal_codes:
        return Missing(None, requirement.handler, N_("Only people living in these postal codes can do this: "
                                                     "%(codes)s."), {"codes": ", ".join(postal_codes)})
    return None


async def authorization(session: AsyncSession, registry: Any, user: User | None, component: Component, action: str,
                        today: date | None = None) -> Authorization:
    """May ``user`` do ``action`` in ``component`` as far as verifications go? Two small queries at most.

    Every handler the action requires must be granted, each meeting its conditions. An action that
    requires nothing is allowed at once (one query). ``user`` None (a visitor) lacks everything.
    """
    requirements = (await session.scalars(
        select(ActionRequirement).where(ActionRequirement.component_id == component.id,
                                        ActionRequirement.action == action).order_by(ActionRequirement.handler)
    )).all()
    if not requirements:
        return Authorization()
    handlers = registry.authorization_handlers
    own: dict[str, Verification] = {}
    if user is not None:
        own = {row.handler: row for row in await session.scalars(
            select(Verification).where(Verification.user_id == user.id,
                                       Verification.handler.in_([r.handler for r in requirements])))}
    missing: list[Missing] = []
    for requirement in requirements:
        handler = handlers.get(requirement.handler)
        verification = own.get(requirement.handler)
        if handler is None:
            missing.append(Missing(None, requirement.handler, N_("This needs a verification that is not available "
                                                                 "here now; ask the organization.")))
        elif verification is None:
            missing.append(Missing(handler, handler.name, N_("Verify your identity with: %(handler)s."),
                                   {"handler": handler.title}))
        elif failed := _conditions_fail(requirement, verification, today or local_today()):
            missing.append(Missing(handler, handler.name, failed.message, failed.variables))
    return Authorization(missing=tuple(missing), granted=tuple(own))


@dataclass
class RequirementChoice:
    """One handler required for one action, as the admin set it."""

    action: str
    handler: str
    minimum_age: int | None = None
    postal_codes: list[str] = field(default_factory=list)


async def set_requirements(session: AsyncSession, space: Space, component: Component, admin: User,
                           choices: list[RequirementChoice]) -> None:
    """Make ``choices`` exactly what the component's actions require."""
    await session.execute(delete(ActionRequirement).where(ActionRequirement.component_id == component.id))
    for choice in choices:
        options: dict[str, Any] = {}
        if choice.minimum_age:
            options["minimum_age"] = choice.minimum_age
        if choice.postal_codes:
            options["postal_codes"] = choice.postal_codes
        session.add(ActionRequirement(component_id=component.id, action=choice.action, handler=choice.handler,
                                      options=options))
    record(session, space.organization_id, admin, "component.requirements", translated(component.name))
    await session.flush()
