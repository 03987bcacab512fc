"""The rules of newsletters: drafts, who gets them, sending in resumable batches, unsubscribing.

Sending has two steps. ``start_sending`` (the admin's request) writes the list of recipients as
delivery rows, in one transaction that starts by marking the newsletter sent, so it happens once.
``core.send_newsletter`` (the worker) then takes pending deliveries a batch at a time: one
transaction claims the batch, writes each mail into the outbox under the key
``newsletter:<newsletter id>:<user id>`` and marks the rows, so a worker that dies mid-batch
leaves the batch pending for the next run, which ``core.resume_newsletters`` starts every five
minutes; and the outbox's unique key would refuse a second mail anyway.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from huey import crontab
from sqlalchemy import Select, func, insert, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import outbox
from core.accounts.models import User
from core.adminlog import record
from core.comments.models import Comment
from core.db import utcnow
from core.follows import Follow
from core.i18n import LANGUAGE_NAMES, N_, translated
from core.manifest import Task
from core.models import Component, Organization, Space
from core.newsletters.mails import NewsletterMail, render
from core.newsletters.models import RECIPIENT_KINDS, Newsletter, NewsletterDelivery
from core.newsletters.schemas import NewsletterForm
from core.notifications.mails import locale_of, site_url, unsubscribe_user_id
from core.outbox import OutboxMessage
from core.richtext import plain_text
from core.scopes.models import Scope
from core.settings import Settings

log = logging.getLogger(__name__)

PER_PAGE = 25
BATCH = 100
"""Mails written into the outbox per transaction."""
KEY_PREFIX = "newsletter:"


class NewsletterError(Exception):
    """A change that breaks a rule; ``message`` is a message id, ``field`` the form field it belongs to."""

    def __init__(self, message: str, field: str = "__all__") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


NOT_A_DRAFT = N_("This newsletter has been sent: it cannot be changed any more.")
IN_THE_PAST = N_("Choose a date and time still to come.")


# ---------------------------------------------------------------- reading


async def newsletters_page(session: AsyncSession, organization: Organization,
                           page: int) -> tuple[Sequence[Newsletter], int]:
    """A page of the organization's newsletters, newest first, and how many there are."""
    total = await session.scalar(
        select(func.count(Newsletter.id)).where(Newsletter.organization_id == organization.id)) or 0
    newsletters = (await session.scalars(
        select(Newsletter).where(Newsletter.organization_id == organization.id)
        .order_by(Newsletter.created_at.desc(), Newsletter.id.desc())
        .limit(PER_PAGE).offset((max(page, 1) - 1) * PER_PAGE)
    )).all()
    return newsletters, total


async def newsletter_of(session: AsyncSession, organization: Organization, newsletter_id: int) -> Newsletter | None:
    """A newsletter of this organization only: an id from another one is not found."""
    return await session.scalar(select(Newsletter).where(Newsletter.id == newsletter_id,
                                                         Newsletter.organization_id == organization.id))


async def author_name(session: AsyncSession, newsletter: Newsletter) -> str:
    """Who wrote it; empty once their account is gone."""
    if newsletter.author_id is None:
        return ""
    return await session.scalar(select(User.name).where(User.id == newsletter.author_id)) or ""


async def spaces_to_choose(session: AsyncSession, organization: Organization) -> Sequence[Space]:
    """The organization's spaces, whatever their state: their followers and participants can be written to."""
    return (await session.scalars(
        select(Space).where(Space.organization_id == organization.id).order_by(Space.space_type, Space.id)
    )).all()


async def chosen_spaces(session: AsyncSession, organization: Organization, newsletter: Newsletter) -> Sequence[Space]:
    """The spaces of the recipients' choice (none for "all")."""
    ids = (newsletter.recipients or {}).get("space_ids") or []
    if not ids:
        return []
    return (await session.scalars(
        select(Space).where(Space.organization_id == organization.id, Space.id.in_(ids)).order_by(Space.id)
    )).all()


async def chosen_scopes(session: AsyncSession, organization: Organization, newsletter: Newsletter) -> Sequence[Scope]:
    """The scopes of the recipients' choice (none unless it is by scope)."""
    ids = (newsletter.recipients or {}).get("scope_ids") or []
    if not ids:
        return []
    return (await session.scalars(
        select(Scope).where(Scope.organization_id == organization.id, Scope.id.in_(ids)).order_by(Scope.code)
    )).all()


async def outbox_progress(session: AsyncSession, newsletter: Newsletter) -> dict[str, int]:
    """Its mails in the outbox by status (pending, sending, sent, failed, cancelled)."""
    rows = await session.execute(
        select(OutboxMessage.status, func.count(OutboxMessage.id))
        .where(OutboxMessage.organization_id == newsletter.organization_id,
               OutboxMessage.key.like(f"{KEY_PREFIX}{newsletter.id}:%"))
        .group_by(OutboxMessage.status)
    )
    return {status: count for status, count in rows}


# ---------------------------------------------------------------- drafts


def _texts(organization: Organization, data: NewsletterForm) -> tuple[dict[str, str], dict[str, str]]:
    languages = set(organization.available_locales)
    subject = {locale: " ".join(text.split()) for locale, text in data.subject.items() if locale in languages}
    body = {locale: text for locale, text in data.body.items() if locale in languages}
    if not plain_text(body.get(organization.default_locale, "")):
        # Sanitising can leave nothing of what was typed (only a script, only markup).
        raise NewsletterError(N_("Write the text at least in the organization's default language."), "body")
    return subject, body


def _require_draft(newsletter: Newsletter) -> None:
    if not newsletter.draft:
        raise NewsletterError(NOT_A_DRAFT)


async def create(session: AsyncSession, organization: Organization, author: User, data: NewsletterForm) -> Newsletter:
    """A new draft."""
    subject, body = _texts(organization, data)
    newsletter = Newsletter(organization_id=organization.id, author_id=author.id, subject=subject, body=body)
    session.add(newsletter)
    await session.flush()
    record(session, organization.id, author, "newsletter.create", translated(subject), newsletter_id=newsletter.id)
    return newsletter


async def update_draft(session: AsyncSession, organization: Organization, actor: User, newsletter: Newsletter,
                       data: NewsletterForm) -> None:
    """Change the texts of a draft; a sent newsletter stays as it was sent."""
    _require_draft(newsletter)
    newsletter.subject, newsletter.body = _texts(organization, data)
    newsletter.updated_at = utcnow()
    record(session, organization.id, actor, "newsletter.update", translated(newsletter.subject),
           newsletter_id=newsletter.id)


async def delete_draft(session: AsyncSession, organization: Organization, actor: User, newsletter: Newsletter) -> None:
    """Delete a draft; a sent newsletter is kept, with its list of recipients."""
    _require_draft(newsletter)
    record(session, organization.id, actor, "newsletter.delete", translated(newsletter.subject))
    await session.delete(newsletter)


# ---------------------------------------------------------------- recipients


def _eligible(organization_id: int) -> tuple[Any, ...]:
    """Who may get a newsletter at all: confirmed, active people of the organization who accepted it."""
    return (User.organization_id == organization_id, User.confirmed_at.is_not(None), User.deleted_at.is_(None),
            User.blocked_at.is_(None), User.newsletter_consent_at.is_not(None))


def participants(registry: Any, spaces: Select[Any]) -> list[Select[Any]]:
    """SELECTs of the ids of the people who took part in these spaces: who commented in any of their
    components, and whom each component type's manifest names (``ComponentManifest.participants``)."""
    components = select(Component.id).where(Component.space_id.in_(spaces))
    found: list[Select[Any]] = [select(Comment.author_id).where(Comment.component_id.in_(components))]
    for name, manifest in registry.component_types.items():
        if manifest.participants is not None:
            found.append(manifest.participants(components.where(Component.component_type == name)))
    return found


def concerned_by_scopes(registry: Any, organization_id: int, scope_ids: Sequence[int]) -> list[Select[Any]]:
    """SELECTs of the ids of the people concerned by these scopes of the organization, or by a scope inside
    one of them (a district's neighbourhoods, today's and those added later): who follows or took part in
    a space of those scopes, and who took part with things of those scopes anywhere (a proposal about the
    district in a city-wide process), as each component type names them (``participants_in_scopes``)."""
    chosen = select(Scope.id).where(Scope.organization_id == organization_id, Scope.id.in_(list(scope_ids)))
    tree = chosen.cte("chosen_scopes", recursive=True)
    # UNION, not UNION ALL: it ends even on a cycle of parents, which the services never let happen.
    tree = tree.union(select(Scope.id).where(Scope.organization_id == organization_id, Scope.parent_id == tree.c.id))
    scopes = select(tree.c.id)
    spaces = select(Space.id).where(Space.organization_id == organization_id, Space.scope_id.in_(scopes))
    found = [select(Follow.user_id).where(Follow.resource_type == "space", Follow.resource_id.in_(spaces)),
             *participants(registry, spaces)]
    for manifest in registry.component_types.values():
        if manifest.participants_in_scopes is not None:
            found.append(manifest.participants_in_scopes(scopes))
    return found


def _chosen(registry: Any, organization_id: int, recipients: dict[str, Any]) -> list[Any]:
    kind = recipients.get("kind")
    if kind == "all":
        return []
    if kind == "scopes":
        return [or_(*(User.id.in_(part) for part in concerned_by_scopes(
            registry, organization_id, recipients.get("scope_ids") or [])))]
    # The organization's own spaces only, whatever ids were stored.
    spaces = select(Space.id).where(Space.organization_id == organization_id,
                                    Space.id.in_(recipients.get("space_ids") or []))
    if kind == "followers":
        return [User.id.in_(select(Follow.user_id).where(Follow.resource_type == "space",
                                                         Follow.resource_id.in_(spaces)))]
    if kind == "participants":
        return [or_(*(User.id.in_(part) for part in participants(registry, spaces)))]
    raise NewsletterError(N_("Choose who gets it first."))


def recipients_of(registry: Any, organization_id: int, recipients: dict[str, Any]) -> Select[Any]:
    """A SELECT of the ids of the people a choice of recipients reaches today."""
    return select(User.id).where(*_eligible(organization_id), *_chosen(registry, organization_id, recipients))


async def count_recipients(session: AsyncSession, registry: Any, organization: Organization,
                           newsletter: Newsletter) -> int:
    """How many people the newsletter's choice of recipients reaches now."""
    chosen = recipients_of(registry, organization.id, newsletter.recipients or {}).subquery()
    return await session.scalar(select(func.count()).select_from(chosen)) or 0


async def choose_recipients(session: AsyncSession, organization: Organization, newsletter: Newsletter, kind: str,
                            space_ids: Sequence[int], scope_ids: Sequence[int] = ()) -> None:
    """Keep who a draft goes to: everyone, the followers or the participants of some of the spaces, or the
    people concerned by some of the scopes (``concerned_by_scopes``)."""
    _require_draft(newsletter)
    if kind not in RECIPIENT_KINDS:
        raise NewsletterError(N_("Choose one of the options."), "kind")
    if kind == "scopes":
        scopes = sorted(set(scope_ids))
        if not scopes:
            raise NewsletterError(N_("Choose at least one scope."), "scope_ids")
        found = (await session.scalars(select(Scope.id).where(Scope.organization_id == organization.id,
                                                              Scope.id.in_(scopes)))).all()
        if len(found) != len(scopes):
            raise NewsletterError(N_("Choose scopes from the list."), "scope_ids")
        newsletter.recipients = {"kind": kind, "space_ids": [], "scope_ids": scopes}
        return
    wanted = sorted(set(space_ids)) if kind != "all" else []
    if kind != "all":
        if not wanted:
            raise NewsletterError(N_("Choose at least one space."), "space_ids")
        found = (await session.scalars(select(Space.id).where(Space.organization_id == organization.id,
                                                              Space.id.in_(wanted)))).all()
        if len(found) != len(wanted):
            raise NewsletterError(N_("Choose spaces from the list."), "space_ids")
    newsletter.recipients = {"kind": kind, "space_ids": wanted}


# ---------------------------------------------------------------- sending


async def _require_recipients(session: AsyncSession, registry: Any, organization: Organization,
                              newsletter: Newsletter) -> int:
    if (newsletter.recipients or {}).get("kind") not in RECIPIENT_KINDS:
        raise NewsletterError(N_("Choose who gets it first."))
    count = await count_recipients(session, registry, organization, newsletter)
    if not count:
        raise NewsletterError(N_("Nobody would get this newsletter: choose other recipients."))
    return count


async def start_sending(session: AsyncSession, registry: Any, organization: Organization, actor: User | None,
                        newsletter: Newsletter, due: datetime | None = None) -> int:
    """Mark the newsletter sent and write its list of recipients, in one transaction; how many they are.

    The caller commits, then queues ``core.send_newsletter``. What the request read is committed
    first, so the transaction below starts with its write (as ``plugins.proposals`` does for supports).
    With ``due`` (the scheduled start), it starts only if it is still scheduled at or before ``due``:
    an admin who unscheduled it first wins. ``actor`` is None when whoever scheduled it is gone.
    """
    _require_draft(newsletter)
    await _require_recipients(session, registry, organization, newsletter)
    await session.commit()
    now = utcnow()
    still_scheduled = [] if due is None else [Newsletter.scheduled_at.is_not(None), Newsletter.scheduled_at <= due]
    # The first statement writes, and only one request can make it: sending twice is impossible.
    started = await session.execute(
        update(Newsletter)
        .where(Newsletter.id == newsletter.id, Newsletter.organization_id == organization.id,
               Newsletter.sent_at.is_(None), *still_scheduled)
        .values(sent_at=now, updated_at=now)
    )
    if started.rowcount != 1:
        await session.commit()  # nothing was written; a rollback would expire what the request holds
        raise NewsletterError(N_("This newsletter has already been sent."))
    people = recipients_of(registry, organization.id, newsletter.recipients).with_only_columns(
        literal(newsletter.id), User.id, literal("pending"))
    await session.execute(insert(NewsletterDelivery).from_select(["newsletter_id", "user_id", "status"], people))
    total = await session.scalar(
        select(func.count(NewsletterDelivery.id)).where(NewsletterDelivery.newsletter_id == newsletter.id)) or 0
    await session.execute(update(Newsletter).where(Newsletter.id == newsletter.id).values(recipients_count=total))
    if actor is not None:
        record(session, organization.id, actor, "newsletter.send", translated(newsletter.subject),
               newsletter_id=newsletter.id, recipients=total)
    return total


async def schedule(session: AsyncSession, registry: Any, organization: Organization, actor: User,
                   newsletter: Newsletter, when: datetime) -> int:
    """Have a draft start sending by itself at ``when`` (aware); how many it would reach now.

    It stays a draft until then: changes saved before it starts are what is sent.
    """
    _require_draft(newsletter)
    if when <= utcnow():
        raise NewsletterError(IN_THE_PAST, "date")
    count = await _require_recipients(session, registry, organization, newsletter)
    newsletter.scheduled_at, newsletter.scheduled_by_id = when, actor.id
    record(session, organization.id, actor, "newsletter.schedule", translated(newsletter.subject),
           newsletter_id=newsletter.id, scheduled_at=when.isoformat(timespec="minutes"))
    return count


async def unschedule(session: AsyncSession, organization: Organization, actor: User, newsletter: Newsletter) -> None:
    """Take a draft off the schedule, unless its sending has started (then it goes on)."""
    _require_draft(newsletter)
    # One write against the scheduled start's (``start_sending`` with ``due``): whichever comes first wins.
    stopped = await session.execute(
        update(Newsletter)
        .where(Newsletter.id == newsletter.id, Newsletter.organization_id == organization.id,
               Newsletter.sent_at.is_(None), Newsletter.scheduled_at.is_not(None))
        .values(scheduled_at=None, scheduled_by_id=None)
        .execution_options(synchronize_session=False)
    )
    if stopped.rowcount != 1:
        await session.commit()  # nothing was written; end the write transaction the UPDATE opened
        raise NewsletterError(N_("This newsletter is not scheduled any more: it may have started sending."))
    record(session, organization.id, actor, "newsletter.unschedule", translated(newsletter.subject),
           newsletter_id=newsletter.id)


async def _batch(ctx: Any, newsletter: Newsletter, organization: Organization, base_url: str) -> tuple[int, int]:
    """Claim up to ``BATCH`` pending deliveries and write their mails; (claimed, mails written)."""
    delivery = NewsletterDelivery
    async with ctx.sessionmaker.begin() as session:
        # The claim is the transaction's first statement, a write (SQLite: the writer's lock from the start).
        due = (select(delivery.id).where(delivery.newsletter_id == newsletter.id, delivery.status == "pending")
               .order_by(delivery.id).limit(BATCH))
        if session.get_bind().dialect.name == "postgresql":
            # Rows another worker holds are skipped, and the selection is run once, as in core.outbox.claim.
            # Not on SQLite, which has one writer anyway: Python's sqlite3 opens a transaction only before a
            # statement that starts with INSERT, UPDATE or DELETE, so a WITH ... UPDATE would commit at once.
            chosen = due.with_for_update(skip_locked=True).cte("due").prefix_with("MATERIALIZED")
            due = select(chosen.c.id)
        claimed = (await session.execute(
            update(delivery)
            .where(delivery.id.in_(due), delivery.status == "pending")
            .values(status="queued", queued_at=utcnow())
            .returning(delivery.user_id)
            .execution_options(synchronize_session=False)
        )).scalars().all()
        if not claimed:
            return 0, 0
        # Who stopped the newsletter, was blocked or left since it was sent is skipped.
        people = (await session.scalars(
            select(User).where(User.id.in_(claimed), *_eligible(organization.id)).order_by(User.id)
        )).all()
        written = 0
        for user in people:
            mail = render(ctx.settings, ctx.registry, organization, newsletter, user, base_url,
                          locale_of(user, organization))
            written += await outbox.enqueue(
                session, key=f"{KEY_PREFIX}{newsletter.id}:{user.id}", organization_id=organization.id,
                user_id=user.id, to=user.email, subject=mail.subject, text=mail.text, html=mail.html,
                headers=mail.headers,
            )
        skipped = set(claimed) - {user.id for user in people}
        if skipped:
            await session.execute(
                update(delivery).where(delivery.newsletter_id == newsletter.id, delivery.user_id.in_(skipped))
                .values(status="skipped", queued_at=None)
            )
        # Counted, not added to: the count stays right whatever happened to an earlier run.
        queued = (select(func.count(delivery.id))
                  .where(delivery.newsletter_id == newsletter.id, delivery.status == "queued").scalar_subquery())
        await session.execute(update(Newsletter).where(Newsletter.id == newsletter.id).values(sent_count=queued))
    return len(claimed), written


async def send(ctx: Any, newsletter_id: int) -> int:
    """Write the mails of a sent newsletter's pending deliveries into the outbox; how many were written.

    Safe to run several times, and at the same time: each delivery is claimed by one run only.
    """
    async with ctx.sessionmaker() as session:
        newsletter = await session.get(Newsletter, newsletter_id)
        if newsletter is None or newsletter.sent_at is None or newsletter.completed_at is not None:
            return 0
        organization = await session.get(Organization, newsletter.organization_id)
        assert organization is not None
        base_url = await site_url(session, organization)
    written = 0
    while True:
        claimed, batch_written = await _batch(ctx, newsletter, organization, base_url)
        if not claimed:
            break
        written += batch_written
        if batch_written and ctx.queue is not None:
            await ctx.queue.enqueue("core.send_outbox")
    async with ctx.sessionmaker.begin() as session:
        pending = (select(NewsletterDelivery.id)
                   .where(NewsletterDelivery.newsletter_id == newsletter_id, NewsletterDelivery.status == "pending")
                   .exists())
        await session.execute(update(Newsletter).where(Newsletter.id == newsletter_id,
                                                       Newsletter.completed_at.is_(None), ~pending)
                              .values(completed_at=utcnow()))
    return written


async def send_newsletter_task(ctx: Any, newsletter_id: int) -> int:
    """Task ``core.send_newsletter``, queued once the newsletter's recipients are committed."""
    return await send(ctx, newsletter_id)


async def resume_newsletters_task(ctx: Any) -> int:
    """Task ``core.resume_newsletters``: finish sendings that a dead worker or an unreachable queue left
    halfway; running beside a sending still under way is harmless."""
    async with ctx.sessionmaker() as session:
        unfinished = (await session.scalars(
            select(Newsletter.id).where(Newsletter.sent_at.is_not(None), Newsletter.completed_at.is_(None))
            .order_by(Newsletter.id)
        )).all()
    return sum([await send(ctx, newsletter_id) for newsletter_id in unfinished])


async def send_scheduled_newsletters_task(ctx: Any) -> int:
    """Task ``core.send_scheduled_newsletters`` (every minute): start the newsletters whose time has come,
    then send them; how many mails were written. One that would reach nobody then is taken off the
    schedule and stays a draft. Running twice at once is harmless: only one run can start each."""
    now = utcnow()
    async with ctx.sessionmaker() as session:
        due = (await session.scalars(
            select(Newsletter.id).where(Newsletter.scheduled_at <= now, Newsletter.sent_at.is_(None))
            .order_by(Newsletter.scheduled_at, Newsletter.id)
        )).all()
    written = 0
    for newsletter_id in due:
        async with ctx.sessionmaker() as session:
            newsletter = await session.get(Newsletter, newsletter_id)
            if newsletter is None or not newsletter.draft:
                continue
            organization = await session.get(Organization, newsletter.organization_id)
            assert organization is not None
            actor = (await session.get(User, newsletter.scheduled_by_id)
                     if newsletter.scheduled_by_id is not None else None)
            try:
                await start_sending(session, ctx.registry, organization, actor, newsletter, due=now)
            except NewsletterError as error:
                log.warning("scheduled newsletter %s not sent: %s", newsletter_id, error.message)
                # Off the schedule only if it is still a due draft (not if someone was quicker).
                await session.execute(update(Newsletter).where(
                    Newsletter.id == newsletter_id, Newsletter.sent_at.is_(None), Newsletter.scheduled_at <= now,
                ).values(scheduled_at=None))
                await session.commit()
                continue
            await session.commit()
        written += await send(ctx, newsletter_id)
    return written


# ---------------------------------------------------------------- previews and tests


async def previews(session: AsyncSession, settings: Settings, registry: Any, organization: Organization,
                   newsletter: Newsletter, reader: User) -> list[dict[str, Any]]:
    """The newsletter in each language of the organization, as ``reader`` would get it, with the texts that
    language lacks (it then shows another language's)."""
    base_url = await site_url(session, organization)
    locales = [organization.default_locale] + [code for code in organization.available_locales
                                               if code != organization.default_locale]
    return [
        {"locale": locale, "language": LANGUAGE_NAMES.get(locale, locale),
         "mail": render(settings, registry, organization, newsletter, reader, base_url, locale),
         "missing": [part for part, texts in (("subject", newsletter.subject), ("body", newsletter.body))
                     if not (texts or {}).get(locale)]}
        for locale in locales
    ]


async def sample(session: AsyncSession, settings: Settings, registry: Any, organization: Organization,
                 newsletter: Newsletter, reader: User, locale: str) -> NewsletterMail:
    """The mail of a test an admin sends to their own address, in ``locale``, marked as a test."""
    if locale not in organization.available_locales:
        raise NewsletterError(N_("Choose one of the options."), "locale")
    return render(settings, registry, organization, newsletter, reader, await site_url(session, organization),
                  locale, sample=True)


# ---------------------------------------------------------------- unsubscribing


async def person_unsubscribing(session: AsyncSession, settings: Settings, organization: Organization,
                               token: str) -> User | None:
    """The person of this organization an unsubscribe token was made for, or None for a forged or foreign one."""
    user_id = unsubscribe_user_id(settings, organization.id, token, purpose="newsletter")
    if user_id is None:
        return None
    return await session.scalar(select(User).where(User.id == user_id, User.organization_id == organization.id,
                                                   User.deleted_at.is_(None)))


async def unsubscribe(session: AsyncSession, user: User) -> None:
    """Stop the newsletter for this person, including mails of one being sent that are not gone yet."""
    user.newsletter_consent_at = None
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.user_id == user.id, OutboxMessage.status == "pending",
               OutboxMessage.key.like(f"{KEY_PREFIX}%"))
        .values(status="cancelled")
    )


TASKS = [
    Task(name="core.send_newsletter", run=send_newsletter_task, retries=3, retry_delay=60),
    Task(name="core.resume_newsletters", run=resume_newsletters_task, schedule=crontab(minute="*/5"), retries=0),
    Task(name="core.send_scheduled_newsletters", run=send_scheduled_newsletters_task, schedule=crontab(minute="*"),
         retries=0),
]
