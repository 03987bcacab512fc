"""HTTP of comments, mounted inside every component whose manifest declares ``commentable`` resources:
``/<space prefix>/<space slug>/<component type>/<component id>/comments/...``.

Core has checked the space and the component before these run (``CurrentComponent``); each handler
then checks the resource with its plugin's ``load`` (404 for another component's, a hidden or an
unpublished one). Every form works without JavaScript: success answers with a redirect to the
comment on its resource's page, a refusal re-renders the form with what was typed.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from core.accounts.models import User
from core.accounts.routes import form_data
from core.auth import flash
from core.comments import services
from core.comments.models import Comment
from core.comments.schemas import EditForm
from core.forms import Form
from core.groups import services as group_services
from core.i18n import N_
from core.manifest import ComponentManifest, ResourceInfo
from core.models import Component
from core.moderation.routes import REPORT_ROUTES
from core.moderation.services import ResourceNotFound, is_hidden, valid_id, visible_resource
from core.ratelimit import RateLimit
from core.spaces.public import CurrentComponent, component_url
from core.web import DB, render

WRITE = {"permission": "comments.create"}
EDIT = {"permission": "comments.edit"}
VOTE = {"permission": "comments.vote"}
COMMENTS_PER_WINDOW, WINDOW = 10, 5 * 60
"""At most 10 comments in 5 minutes per person: a lively conversation, not a flood."""
TOO_MANY = N_("You have written many comments in a short time. Wait a few minutes and send it again; "
              "your text is kept below.")
VOTES = {"up": 1, "down": -1, "none": 0}


def _(request: Request, message: str, **variables: Any) -> str:
    return request.app.state.catalogs.gettext(message, **variables)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


async def _resource(request: Request, component: Component, resource_type: str, resource_id: int | None
                    ) -> ResourceInfo:
    try:
        return await visible_resource(request.state.db, request.app.state.registry, component, resource_type,
                                      resource_id)
    except ResourceNotFound:
        raise NotFoundException() from None


async def _comment(request: Request, component: Component, comment_id: int) -> tuple[Comment, ResourceInfo]:
    """A comment of this component, with its author, whose resource may be seen; else 404."""
    if not valid_id(comment_id):
        raise NotFoundException()
    comment = await request.state.db.scalar(
        select(Comment).where(Comment.id == comment_id, Comment.component_id == component.id)
        .options(joinedload(Comment.author).joinedload(User.avatar)))
    if comment is None:
        raise NotFoundException()
    return comment, await _resource(request, component, comment.resource_type, comment.resource_id)


async def _answerable(request: Request, comment: Comment) -> None:
    """Deleted and hidden comments keep their place in the thread but have no page of their own."""
    if comment.deleted_at is not None or await is_hidden(request.state.db, services.COMMENT, comment.id):
        raise NotFoundException()


def _form_page(request: Request, component: Component, resource: ResourceInfo, form: Form, *, heading: str,
               action: str, button: str, hidden: dict[str, Any], parent: Comment | None = None,
               status_code: int = 200, groups: Any = ()) -> Template:
    return render(
        request, "comments/form.html", component=component, space=component.space, resource=resource, form=form,
        heading=heading, action=action, button=button, hidden=hidden, parent=parent, groups=groups,
        parent_html=services.format_body(parent.body) if parent else "",
        closed=services.closed_reason(request.app.state.registry, component), status_code=status_code,
    )


def _base(request: Request, component: Component) -> str:
    return component_url(request.app.state.registry, component)


async def _back_to(request: Request, resource: ResourceInfo, comment: Comment) -> Redirect:
    page = await services.page_of(request.state.db, comment)
    return Redirect(services.address_of(resource, comment, page), status_code=303)


# ---------------------------------------------------------------- writing


@post("/comments", opt=WRITE)
async def create_comment(request: Request, db: DB, component: CurrentComponent) -> Template | Redirect:
    """A new comment, or a reply when ``parent_id`` is sent."""
    data = await form_data(request)
    registry = request.app.state.registry
    resource_type, resource_id = str(data.get("resource_type") or ""), _int(data.get("resource_id"))
    resource = await _resource(request, component, resource_type, resource_id)
    parent = None
    if data.get("parent_id"):
        parent, _resource_of_parent = await _comment(request, component, _int(data.get("parent_id")) or 0)
        if (parent.resource_type, parent.resource_id) != (resource_type, resource_id):
            raise NotFoundException()
    form = services.comment_form(request.app.state.catalogs.gettext, data)
    if form.validate():
        user = request.state.user
        limit = RateLimit(request.app.state.counters, "comment-user", COMMENTS_PER_WINDOW, WINDOW)
        if await limit.hit(str(user.id)) > limit.limit:
            form.add_error("__all__", _(request, TOO_MANY))
        else:
            try:
                comment = await services.create_comment(
                    db, registry, component, user, resource_type, resource_id, form.result.body,
                    form.result.alignment.value, parent,
                    user_group_id=group_services.parse_group_id(data.get(services.FORM_PREFIX + "user_group_id")))
            except services.CommentError as error:
                form.add_error("__all__", _(request, error.message))
            except ResourceNotFound:
                raise NotFoundException() from None
            else:
                await db.commit()
                flash(request, _(request, N_("Your comment is published.")))
                return await _back_to(request, resource, comment)
    hidden = {"resource_type": resource_type, "resource_id": resource_id}
    if parent is not None:
        hidden["parent_id"] = parent.id
    return _form_page(request, component, resource, form, heading=_(request, N_("Reply")) if parent else
                      _(request, N_("Add a comment")), action=f"{_base(request, component)}/comments",
                      button=_(request, N_("Publish")), hidden=hidden, parent=parent, status_code=400,
                      groups=await group_services.author_groups(db, request.state.user))


@get("/comments/{comment_id:int}/reply", opt=WRITE)
async def reply_page(request: Request, component: CurrentComponent, comment_id: FromPath[int]) -> Template:
    """The form to answer one comment, with that comment quoted."""
    parent, resource = await _comment(request, component, comment_id)
    await _answerable(request, parent)
    return _form_page(
        request, component, resource, services.comment_form(request.app.state.catalogs.gettext),
        heading=_(request, N_("Reply")), action=f"{_base(request, component)}/comments",
        button=_(request, N_("Publish")), parent=parent,
        hidden={"resource_type": parent.resource_type, "resource_id": parent.resource_id, "parent_id": parent.id},
        groups=await group_services.author_groups(request.state.db, request.state.user),
    )


def _edit_form(request: Request, data: Any = None, initial: Any = None) -> Form:
    return Form(EditForm, request.app.state.catalogs.gettext, data, initial=initial, prefix=services.FORM_PREFIX)


def _edit_page(request: Request, component: Component, resource: ResourceInfo, comment: Comment, form: Form,
               status_code: int = 200) -> Template:
    return _form_page(request, component, resource, form, heading=_(request, N_("Edit your comment")),
                      action=f"{_base(request, component)}/comments/{comment.id}/edit",
                      button=_(request, N_("Save")), hidden={}, status_code=status_code)


async def _own(request: Request, component: Component, comment_id: int) -> tuple[Comment, ResourceInfo]:
    comment, resource = await _comment(request, component, comment_id)
    await _answerable(request, comment)
    try:
        services.require_author(comment, request.state.user)
    except services.CommentError:
        raise PermissionDeniedException() from None
    return comment, resource


@get("/comments/{comment_id:int}/edit", opt=EDIT)
async def edit_page(request: Request, component: CurrentComponent, comment_id: FromPath[int]) -> Template:
    """Its author's form to change a comment."""
    comment, resource = await _own(request, component, comment_id)
    return _edit_page(request, component, resource, comment, _edit_form(request, initial={"body": comment.body}))


@post("/comments/{comment_id:int}/edit", opt=EDIT)
async def edit_comment(request: Request, db: DB, component: CurrentComponent,
                       comment_id: FromPath[int]) -> Template | Redirect:
    comment, resource = await _own(request, component, comment_id)
    form = _edit_form(request, await form_data(request))
    if form.validate():
        try:
            await services.edit_comment(db, request.app.state.registry, component, request.state.user, comment,
                                        form.result.body)
        except services.CommentError as error:
            form.add_error("__all__", _(request, error.message))
        else:
            await db.commit()
            flash(request, _(request, N_("Your comment is saved.")))
            return await _back_to(request, resource, comment)
    return _edit_page(request, component, resource, comment, form, status_code=400)


@post("/comments/{comment_id:int}/delete", opt=EDIT)
async def delete_comment(request: Request, db: DB, component: CurrentComponent,
                         comment_id: FromPath[int]) -> Redirect:
    """Its author deletes a comment; a placeholder keeps the replies in place."""
    comment, resource = await _comment(request, component, comment_id)
    try:
        await services.delete_comment(db, request.state.user, comment)
    except services.CommentError:
        raise PermissionDeniedException() from None
    await db.commit()
    flash(request, _(request, N_("Your comment is deleted.")))
    return await _back_to(request, resource, comment)


@post("/comments/{comment_id:int}/vote", opt=VOTE)
async def vote_comment(request: Request, db: DB, component: CurrentComponent, comment_id: FromPath[int]) -> Redirect:
    """Vote a comment up or down (``value``: up, down, or none to withdraw the vote)."""
    comment, resource = await _comment(request, component, comment_id)
    value = VOTES.get(str((await form_data(request)).get("value") or ""))
    if value is None:
        flash(request, _(request, N_("Choose one of the options.")))
    else:
        try:
            await services.vote(db, request.app.state.registry, component, request.state.user, comment, value)
        except services.CommentError as error:
            flash(request, _(request, error.message))
        else:
            await db.commit()
            flash(request, _(request, N_("Your vote is counted.") if value else N_("Your vote is withdrawn.")))
    return await _back_to(request, resource, comment)


COMMENT_ROUTES = [create_comment, reply_page, edit_page, edit_comment, delete_comment, vote_comment]


def routes_for(manifest: ComponentManifest) -> list[Any]:
    """The comment and report routes of a component type that declares commentable resources."""
    return [*COMMENT_ROUTES, *REPORT_ROUTES] if manifest.commentable else []
