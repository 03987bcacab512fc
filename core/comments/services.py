"""The rules of comments and the thread a page shows; no HTTP here except ``thread_for``, which only
reads the request's context for a plugin's page.

- A comment is plain text (line breaks kept, web addresses made links, everything else escaped):
  conversations need no markup, and plain text has nothing to sanitise or to get wrong.
- Threads go ``MAX_DEPTH`` levels deep; a reply to a comment at the deepest level is added beside it
  (to the same parent), so a conversation can go on without the page growing ever narrower.
- A page of a thread is ``ROOTS_PER_PAGE`` top-level comments with all their replies, loaded with
  three queries however many comments there are: the counts, the comments with their authors and
  moderation state, and the votes (everybody's counts and the reader's own, together).
- Comments close per component (``comments_enabled = False`` in its settings) and per phase
  (``comments_blocked = True`` in the active phase's settings).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import and_, case, delete, func, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, joinedload

from core import search
from core.accounts.models import User
from core.comments.models import AGAINST, IN_FAVOUR, Comment, CommentVersion, CommentVote
from core.comments.schemas import ALIGNMENTS, MAX_LENGTH, CommentForm
from core.db import dialect_insert, utcnow
from core.events import Resource, publish
from core.follows import Follow
from core.forms import Form
from core.groups import services as groups
from core.i18n import N_
from core.manifest import EventType, ResourceInfo, SearchDocument
from core.models import Component
from core.moderation.models import Moderation
from core.moderation.services import COMMENT, ResourceNotFound, commentable_of, is_hidden, visible_resource
from core.spaces.public import component_url
from core.spaces.services import phase_settings_of, settings_of

MAX_DEPTH = 3
ROOTS_PER_PAGE = 30
PAGE_PARAMETER = "comments_page"
FORM_PREFIX = "comment."

CLOSED = N_("Comments are closed here.")
CLOSED_IN_PHASE = N_("Comments are closed in this phase.")
NOT_YOURS = N_("Only its author can change a comment.")
GONE = N_("This comment was deleted or hidden; it cannot be changed or answered.")
OWN_VOTE = N_("You cannot vote on your own comment.")

EVENT_TYPES = [
    EventType(name="comments.comment_created", title=N_("New comments on what I follow"),
              message=N_("%(actor)s commented on %(resource)s"), public=True, author_followers=True),
    EventType(name="comments.reply_received", title=N_("Replies to my comments"),
              message=N_("%(actor)s replied to your comment on %(resource)s")),
]


class CommentError(Exception):
    """A refused change; ``message`` is a message id, ``forbidden`` when it is not this person's to make."""

    def __init__(self, message: str, forbidden: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.forbidden = forbidden


# ---------------------------------------------------------------- text


URL = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)


def format_body(text: str) -> Markup:
    """A comment as HTML: escaped, paragraphs and line breaks kept, http(s) addresses made links that
    search engines do not follow."""
    paragraphs = [part for part in re.split(r"\n\s*\n", text.strip()) if part.strip()]
    return Markup("").join(
        Markup("<p>{}</p>").format(Markup("<br>").join(_linked(line) for line in paragraph.strip().split("\n")))
        for paragraph in paragraphs
    )


def _linked(line: str) -> Markup:
    parts, last = [], 0
    for match in URL.finditer(line):
        url = match.group(0).rstrip(".,;:!?)»")
        if len(url) <= len("https://"):
            continue
        parts.append(escape(line[last:match.start()]))
        parts.append(Markup('<a href="{0}" rel="nofollow ugc noopener noreferrer">{0}</a>').format(url))
        last = match.start() + len(url)
    parts.append(escape(line[last:]))
    return Markup("").join(parts)


def clean_body(text: str) -> str:
    """What is stored: Windows and old Mac line ends made one, spaces around the text removed."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()[:MAX_LENGTH]


# ---------------------------------------------------------------- rules


def closed_reason(registry: Any, component: Component) -> str:
    """Why new comments are refused in this component now ("" when they are welcome).

    Core reads two optional fields, so a plugin switches comments off by declaring them:
    ``comments_enabled: bool`` in its settings Struct and ``comments_blocked: bool`` in its phase
    settings Struct (``component.space`` must be loaded).
    """
    if getattr(settings_of(registry, component), "comments_enabled", True) is False:
        return CLOSED
    if getattr(phase_settings_of(registry, component), "comments_blocked", False) is True:
        return CLOSED_IN_PHASE
    return ""


async def comment_of(session: AsyncSession, component: Component, comment_id: int) -> Comment | None:
    """A comment of this component (None for another component's)."""
    return await session.scalar(select(Comment).where(Comment.id == comment_id, Comment.component_id == component.id))


async def resource_of_comment(session: AsyncSession, registry: Any, component: Component,
                              comment: Comment) -> ResourceInfo:
    """The resource a comment is about, when it may still be seen; else ``ResourceNotFound``."""
    return await visible_resource(session, registry, component, comment.resource_type, comment.resource_id)


async def _changeable(session: AsyncSession, comment: Comment) -> None:
    if comment.deleted_at is not None or await is_hidden(session, COMMENT, comment.id):
        raise CommentError(GONE)


async def create_comment(session: AsyncSession, registry: Any, component: Component, author: User,
                         resource_type: str, resource_id: int | None, body: str, alignment: str = "neutral",
                         parent: Comment | None = None, user_group_id: int | None = None) -> Comment:
    """Add a comment (or a reply to ``parent``) to a visible resource of the component; the caller commits.

    Raises ``ResourceNotFound`` for a resource that is not this component's or may not be seen, and
    ``CommentError`` when comments are closed, the parent cannot be answered or the author does not
    belong to the group they write on behalf of (``user_group_id``). Followers of the resource hear of
    it, and so does the author of the comment answered.
    """
    resource = await visible_resource(session, registry, component, resource_type, resource_id)
    assert resource_id is not None
    closed = closed_reason(registry, component)
    if closed:
        raise CommentError(closed)
    depth, parent_id, root_id = 1, None, None
    if parent is not None:
        if (parent.component_id, parent.resource_type, parent.resource_id) != (component.id, resource_type,
                                                                              resource_id):
            raise ResourceNotFound(resource_type)
        await _changeable(session, parent)
        root_id = parent.root_id or parent.id
        if parent.depth >= MAX_DEPTH:  # beside the deepest comment, not below it
            depth, parent_id = parent.depth, parent.parent_id
        else:
            depth, parent_id = parent.depth + 1, parent.id
    if user_group_id is not None and not await groups.may_act_for(session, author, user_group_id):
        raise CommentError(groups.NOT_A_MEMBER)
    comment = Comment(
        component_id=component.id, resource_type=resource_type, resource_id=resource_id, author_id=author.id,
        user_group_id=user_group_id,
        parent_id=parent_id, root_id=root_id, depth=depth, body=clean_body(body),
        alignment=ALIGNMENTS.get(alignment, 0), created_at=utcnow(),
    )
    session.add(comment)
    await session.flush()
    relative = resource.path.removeprefix(component_url(registry, component))
    await search.index(session, component, [search_document(comment, relative)])
    await _publish(session, component, author, resource_type, resource_id, resource, comment, parent)
    return comment


async def _publish(session: AsyncSession, component: Component, author: User, resource_type: str,
                   resource_id: int, resource: ResourceInfo, comment: Comment, parent: Comment | None) -> None:
    """Followers of the resource and of the comment's author hear of every comment; the author of the
    comment answered hears of the reply, unless they follow the resource or the person who replied and so
    hear of it already."""
    about = Resource(type=resource_type, id=resource_id, title=resource.title, path=resource.path)
    organization_id = component.space.organization_id
    data = {"comment_id": comment.id}
    await publish(session, "comments.comment_created", organization_id=organization_id, resource=about,
                  actor_id=author.id, data=data)
    if parent is None or parent.author_id == author.id:
        return
    follows = await session.scalar(select(Follow.id).where(Follow.user_id == parent.author_id, or_(
        and_(Follow.resource_type == resource_type, Follow.resource_id == resource_id),
        and_(Follow.resource_type == "user", Follow.resource_id == author.id))).limit(1))
    if follows is None:
        await publish(session, "comments.reply_received", organization_id=organization_id, resource=about,
                      actor_id=author.id, data=data, recipients=[parent.author_id])


async def edit_comment(session: AsyncSession, registry: Any, component: Component, user: User, comment: Comment,
                       body: str) -> None:
    """The author changes their comment's text; the previous text is kept as a version. The caller commits."""
    require_author(comment, user)
    await _changeable(session, comment)
    closed = closed_reason(registry, component)
    if closed:
        raise CommentError(closed)
    body = clean_body(body)
    if body == comment.body:
        return
    now = utcnow()
    session.add(CommentVersion(comment_id=comment.id, body=comment.body,
                               written_at=comment.edited_at or comment.created_at, replaced_at=now))
    comment.body, comment.edited_at = body, now
    commentable = commentable_of(registry, component, comment.resource_type)
    resource = await commentable.load(session, component, comment.resource_id) if commentable else None
    if resource is not None:
        await search.index(session, component, [search_document(comment, resource.path)])


async def delete_comment(session: AsyncSession, user: User, comment: Comment) -> None:
    """The author deletes their comment: its text and earlier versions go, a placeholder keeps the
    thread's replies in place. The caller commits."""
    require_author(comment, user)
    if comment.deleted_at is not None:
        return
    comment.deleted_at, comment.body = utcnow(), ""
    await search.remove(session, COMMENT, [comment.id])
    await session.execute(delete(CommentVersion).where(CommentVersion.comment_id == comment.id))


def require_author(comment: Comment, user: User) -> None:
    """Only the author changes or deletes a comment."""
    if comment.author_id != user.id:
        raise CommentError(NOT_YOURS, forbidden=True)


async def vote(session: AsyncSession, registry: Any, component: Component, user: User, comment: Comment,
               value: int) -> None:
    """Vote a comment up (1) or down (-1), or withdraw the vote (0); the caller commits.

    One vote per person and comment: the unique constraint holds it, and an upsert replaces a
    changed vote in one statement, so parallel clicks never count twice.
    """
    if comment.author_id == user.id:
        raise CommentError(OWN_VOTE)
    await _changeable(session, comment)
    closed = closed_reason(registry, component)
    if closed:
        raise CommentError(closed)
    if value == 0:
        await session.execute(delete(CommentVote).where(CommentVote.comment_id == comment.id,
                                                        CommentVote.user_id == user.id))
        return
    statement = dialect_insert(session)(CommentVote).values(
        comment_id=comment.id, user_id=user.id, value=1 if value > 0 else -1, created_at=utcnow())
    await session.execute(statement.on_conflict_do_update(
        index_elements=["comment_id", "user_id"], set_={"value": statement.excluded.value}))


async def vote_counts(session: AsyncSession, comment_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(up, down) per comment, counted from the votes themselves."""
    if not comment_ids:
        return {}
    rows = await session.execute(
        select(CommentVote.comment_id, func.count(case((CommentVote.value > 0, 1))),
               func.count(case((CommentVote.value < 0, 1))))
        .where(CommentVote.comment_id.in_(comment_ids)).group_by(CommentVote.comment_id)
    )
    return {comment_id: (up, down) for comment_id, up, down in rows}


async def versions_of(session: AsyncSession, comment: Comment) -> list[CommentVersion]:
    """The earlier texts of a comment, oldest first."""
    return list(await session.scalars(
        select(CommentVersion).where(CommentVersion.comment_id == comment.id).order_by(CommentVersion.id)))


async def page_of(session: AsyncSession, comment: Comment) -> int:
    """The page of its thread a comment is on (its top-level comment's position)."""
    root_id = comment.root_id or comment.id
    before = await session.scalar(select(func.count(Comment.id)).where(
        Comment.component_id == comment.component_id, Comment.resource_type == comment.resource_type,
        Comment.resource_id == comment.resource_id, Comment.parent_id.is_(None), Comment.id <= root_id))
    return max(1, -(-(before or 1) // ROOTS_PER_PAGE))


def search_document(comment: Comment, resource_path: str) -> SearchDocument:
    """A comment as search finds it: its text, at its anchor on the page of what it is about (its
    language is unknown, so the text is given for every language, under "")."""
    return SearchDocument(
        resource_type=COMMENT, resource_id=comment.id, path=f"{resource_path}#comment-{comment.id}",
        title={}, text={"": comment.body}, parent=(comment.resource_type, comment.resource_id),
        published_at=comment.created_at,
    )


def address_of(resource: ResourceInfo, comment: Comment, page: int = 1) -> str:
    """The address of a comment: its resource's page, the page of the thread, the comment's anchor."""
    query = f"?{PAGE_PARAMETER}={page}" if page > 1 else ""
    return f"{resource.path}{query}#comment-{comment.id}"


# ---------------------------------------------------------------- the thread of a page


@dataclass
class CommentView:
    """One comment as the thread shows it, with its replies."""

    comment: Comment
    hidden: bool
    up: int = 0
    down: int = 0
    my_vote: int = 0
    replies: list[CommentView] = field(default_factory=list)

    @property
    def id(self) -> int:
        return self.comment.id

    @property
    def deleted(self) -> bool:
        return self.comment.deleted_at is not None

    @property
    def html(self) -> Markup:
        return format_body(self.comment.body)

    @property
    def alignment(self) -> str:
        return {IN_FAVOUR: "in_favour", AGAINST: "against"}.get(self.comment.alignment, "neutral")


@dataclass
class Thread:
    """What the ``comment_thread`` macro renders: a page of the comments of one resource, and the form."""

    component: Component
    resource_type: str
    resource_id: int
    url: str
    """The component's address: the forms post to ``url + "/comments"``."""
    comments: list[CommentView]
    total: int
    page: int
    pages: int
    closed: str
    """Why new comments are refused, or ""."""
    user: User | None
    form: Any = None
    max_depth: int = MAX_DEPTH
    groups: list[Any] = field(default_factory=list)
    """The groups the reader may write on behalf of (core.groups), offered in the form."""


async def load_thread(session: AsyncSession, registry: Any, component: Component, resource_type: str,
                      resource_id: int, *, user: User | None = None, page: int = 1, form: Any = None) -> Thread:
    """A page of the thread of one resource, with vote counts and the reader's votes, in one query (two
    when ``page`` is past the last page, which is shown instead).

    ``component.space`` must be loaded (``CurrentComponent`` has it). The resource itself is the
    plugin's to check: call this for a resource the page shows anyway.
    """
    of_resource = [Comment.component_id == component.id, Comment.resource_type == resource_type,
                   Comment.resource_id == resource_id]
    hidden = and_(Moderation.resource_type == COMMENT, Moderation.resource_id == Comment.id)
    counted, verdict = aliased(Comment), aliased(Moderation)
    of_counted = [counted.component_id == component.id, counted.resource_type == resource_type,
                  counted.resource_id == resource_id]
    counts = [  # the thread's comments shown and its first-level ones, the same on every row
        select(func.count(case((and_(counted.deleted_at.is_(None), verdict.hidden_at.is_(None)), 1))))
        .outerjoin(verdict, and_(verdict.resource_type == COMMENT, verdict.resource_id == counted.id))
        .where(*of_counted).correlate(None).scalar_subquery(),
        select(func.count(counted.id)).where(*of_counted, counted.parent_id.is_(None))
        .correlate(None).scalar_subquery(),
    ]
    # The votes come with the comments (small correlated counts along the votes' unique index), and the
    # counts too, so a thread costs one query however many comments and votes it has.
    votes = select(func.count(CommentVote.id)).where(CommentVote.comment_id == Comment.id)
    mine = (select(CommentVote.value).where(CommentVote.comment_id == Comment.id, CommentVote.user_id == user.id)
            .scalar_subquery() if user else literal(0))

    async def rows_of(page: int) -> Sequence[Any]:
        shown = (select(Comment.id).where(*of_resource, Comment.parent_id.is_(None)).order_by(Comment.id)
                 .limit(ROOTS_PER_PAGE).offset((page - 1) * ROOTS_PER_PAGE))
        return (await session.execute(
            select(Comment, Moderation.hidden_at, votes.where(CommentVote.value > 0).scalar_subquery(),
                   votes.where(CommentVote.value < 0).scalar_subquery(), mine, *counts)
            .outerjoin(Moderation, hidden)
            .where(*of_resource, or_(Comment.id.in_(shown), Comment.root_id.in_(shown)))
            .options(joinedload(Comment.author).joinedload(User.avatar))
            .order_by(Comment.id)
        )).all()

    page = max(page, 1)
    rows = await rows_of(page)
    if rows:
        total, roots = rows[0][5], rows[0][6]
    elif page == 1:
        total = roots = 0  # every comment has a first-level one: none on the first page, none at all
    else:  # past the last page: count, then show the last one
        total, roots = (await session.execute(select(*counts))).one()
        page = max(1, -(-roots // ROOTS_PER_PAGE))
        rows = await rows_of(page) if roots else []
    pages = max(1, -(-roots // ROOTS_PER_PAGE))
    views = {}
    for comment, hidden_at, up, down, my_vote, *_ in rows:
        view = views[comment.id] = CommentView(comment, hidden_at is not None)
        view.up, view.down, view.my_vote = up, down, int(my_vote or 0)
    top: list[CommentView] = []
    for view in views.values():  # ordered by id: a parent always comes before its replies
        parent = views.get(view.comment.parent_id) if view.comment.parent_id else None
        (parent.replies if parent else top).append(view)
    return Thread(component=component, resource_type=resource_type, resource_id=resource_id,
                  url=component_url(registry, component), comments=top, total=total, page=page, pages=pages,
                  closed=closed_reason(registry, component), user=user, form=form)


async def thread_for(request: Any, component: Component, resource_type: str, resource_id: int) -> Thread:
    """The thread of one resource for a plugin's page: ``await thread_for(request, component, "pages.page",
    page.id)``, then ``{{ comment_thread(thread) }}`` in the template."""
    try:
        page = int(request.query_params.get(PAGE_PARAMETER) or 1)
    except ValueError:
        page = 1
    user = request.state.get("user")
    thread = await load_thread(request.state.db, request.app.state.registry, component, resource_type, resource_id,
                               user=user, page=page,
                               form=comment_form(request.app.state.catalogs.gettext) if user else None)
    if user is not None and not thread.closed:
        thread.groups = await groups.author_groups(request.state.db, user)
    return thread


def comment_form(gettext: Any, data: Any = None) -> Form:
    """The form of a new comment or reply; its fields are named ``comment.body``, ``comment.alignment``."""
    return Form(CommentForm, gettext, data, prefix=FORM_PREFIX)


async def transfer_votes(session: AsyncSession, from_user_id: int, to_user_id: int) -> None:
    """Make the comment votes of the deleted account ``from_user_id`` those of the same person's new account
    (``transfer_participation``). A comment both voted on keeps the new account's vote, and none is left on
    the new account's own comments (nobody votes on what they wrote). Part of the caller's transaction."""
    voted = select(CommentVote.comment_id).where(CommentVote.user_id == to_user_id)
    own = select(Comment.id).where(Comment.author_id == to_user_id)
    await session.execute(delete(CommentVote).where(
        CommentVote.user_id == from_user_id, or_(CommentVote.comment_id.in_(voted), CommentVote.comment_id.in_(own))))
    await session.execute(update(CommentVote).where(CommentVote.user_id == from_user_id).values(user_id=to_user_id))
