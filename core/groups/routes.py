"""HTTP of user groups: the public pages under /groups, what members and admins do there, and the
admin page /admin/groups where groups are verified. The rules are in core.groups.services.

A group is looked up in the request's organization only, so another organization's is a 404. A refused
action (a request already sent, the last admin leaving) comes back as a message on the page it was sent
from; a person who is not an admin of the group gets 403 on the admins' pages.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from core.accounts.routes import form_data
from core.auth import flash
from core.forms import Form
from core.groups import services, succession
from core.groups.models import BELONGS, UserGroup
from core.groups.schemas import GroupForm, InvitationForm
from core.i18n import N_
from core.models import Organization
from core.uploads import KINDS, UploadRefused, check, storage
from core.web import DB, CurrentOrganization, render, safe_next

PUBLIC = {"permission": "public"}
CREATE = {"permission": "groups.create"}
JOIN = {"permission": "groups.join"}
MANAGE = {"permission": "groups.manage"}
VERIFY = {"permission": "groups.verify"}
APPOINT = {"permission": "groups.appoint_admin"}


def _(request: Request, message: str, **variables: Any) -> str:
    return request.app.state.catalogs.gettext(message, **variables)


def _form(request: Request, schema: type, data: Any = None, initial: Any = None) -> Form:
    return Form(schema, request.app.state.catalogs.gettext, data, initial=initial)


async def _group(db: DB, organization: Organization, nickname: str) -> UserGroup:
    group = await services.group_by_nickname(db, organization, nickname)
    if group is None:
        raise NotFoundException()
    return group


def _url(group: UserGroup, tail: str = "") -> str:
    return f"/groups/{group.nickname}{tail}"


async def _admin_only(request: Request, group: UserGroup) -> None:
    try:
        await services.require_admin(request.state.db, group, request.state.user)
    except services.GroupError:
        raise PermissionDeniedException() from None


async def _act(request: Request, db: DB, action: Any, success: str, back: str) -> Redirect:
    """Run one change: commit and say so, or say why not; then back to the page it came from."""
    try:
        await action()
    except services.GroupError as error:
        if error.forbidden:
            raise PermissionDeniedException() from None
        flash(request, _(request, error.message))
    else:
        await db.commit()
        flash(request, _(request, success))
    return Redirect(back, status_code=303)


# ---------------------------------------------------------------- public pages


@get("/groups", opt=PUBLIC)
async def index(request: Request, db: DB, organization: CurrentOrganization, q: FromQuery[str] = "",
                page: FromQuery[int] = 1) -> Template:
    """Every group of the organization, verified ones first, a page at a time."""
    q = " ".join(q.split())[:100]
    groups, total, page, pages = await services.groups_page(db, organization, q, page)
    return render(request, "groups/index.html", groups=groups, total=total, page=page, pages=pages, q=q,
                  excerpt=services.excerpt)


@get("/groups/{group_nickname:str}", opt=PUBLIC)
async def show(request: Request, db: DB, organization: CurrentOrganization, group_nickname: FromPath[str],
               page: FromQuery[int] = 1) -> Template:
    """A group: what it is, its members, and what the visitor can do (join, answer an invitation, leave)."""
    group = await _group(db, organization, group_nickname)
    members, total, page, pages = await services.members_page(db, group, page)
    mine = await services.membership_of(db, group, request.state.get("user"))
    return render(request, "groups/show.html", group=group, members=members, total=total, page=page, pages=pages,
                  mine=mine)


# ---------------------------------------------------------------- creating and editing


@get("/groups/new", opt=CREATE)
async def new(request: Request) -> Template:
    return render(request, "groups/new.html", form=_form(request, GroupForm))


@post("/groups/new", opt=CREATE)
async def create(request: Request, db: DB, organization: CurrentOrganization) -> Template | Redirect:
    form = _form(request, GroupForm, await form_data(request))
    if form.validate():
        try:
            group = await services.create(db, organization, request.state.user, form.result)
        except services.GroupError as error:
            form.add_error(error.field, _(request, error.message))
        else:
            await db.commit()
            flash(request, _(request, N_("The group is created. Invite its members from its page.")))
            return Redirect(_url(group), status_code=303)
    return render(request, "groups/new.html", form=form, status_code=400)


def _edit_page(request: Request, group: UserGroup, form: Form, avatar_error: str = "",
               status_code: int = 200) -> Template:
    return render(request, "groups/edit.html", group=group, form=form, avatar_error=avatar_error,
                  avatar_kind=KINDS["image"], status_code=status_code)


@get("/groups/{group_nickname:str}/edit", opt=MANAGE)
async def edit(request: Request, db: DB, organization: CurrentOrganization, group_nickname: FromPath[str]) -> Template:
    group = await _group(db, organization, group_nickname)
    await _admin_only(request, group)
    return _edit_page(request, group, _form(request, GroupForm, initial={
        "name": group.name, "nickname": group.nickname, "description": group.description}))


@post("/groups/{group_nickname:str}/edit", opt=MANAGE)
async def update(request: Request, db: DB, organization: CurrentOrganization,
                 group_nickname: FromPath[str]) -> Template | Redirect:
    group = await _group(db, organization, group_nickname)
    await _admin_only(request, group)
    form = _form(request, GroupForm, await form_data(request))
    if form.validate():
        try:
            await services.update(db, organization, group, request.state.user, form.result)
        except services.GroupError as error:
            form.add_error(error.field, _(request, error.message))
        else:
            await db.commit()
            flash(request, _(request, N_("The changes are saved.")))
            return Redirect(_url(group), status_code=303)
    return _edit_page(request, group, form, status_code=400)


@post("/groups/{group_nickname:str}/avatar", opt=MANAGE, request_max_body_size=KINDS["image"].body_limit)
async def upload_avatar(request: Request, db: DB, organization: CurrentOrganization,
                        group_nickname: FromPath[str]) -> Template | Redirect:
    """A new logo from a multipart form (its CSRF token is a field of the form, as everywhere)."""
    group = await _group(db, organization, group_nickname)
    await _admin_only(request, group)
    form = await request.form()
    try:
        checked = await check(form.get("avatar"), "image", box=services.AVATAR_BOX)
        await services.set_avatar(db, storage(request.app.state.settings), group, request.state.user, checked)
    except UploadRefused as refused:
        return _edit_page(request, group, _form(request, GroupForm, initial={
            "name": group.name, "nickname": group.nickname, "description": group.description}),
            avatar_error=refused.translated(request.app.state.catalogs.gettext), status_code=400)
    finally:
        for value in form.values():
            if hasattr(value, "close"):
                await value.close()
    await db.commit()
    flash(request, _(request, N_("The group's logo is saved.")))
    return Redirect(_url(group, "/edit"), status_code=303)


@post("/groups/{group_nickname:str}/avatar/delete", opt=MANAGE)
async def remove_avatar(request: Request, db: DB, organization: CurrentOrganization,
                        group_nickname: FromPath[str]) -> Redirect:
    group = await _group(db, organization, group_nickname)
    return await _act(request, db, lambda: services.remove_avatar(db, storage(request.app.state.settings), group,
                                                                  request.state.user),
                      N_("The group's logo is removed."), _url(group, "/edit"))


# ---------------------------------------------------------------- the admins' page


def _members_page(request: Request, group: UserGroup, memberships: list, form: Form,
                  status_code: int = 200) -> Template:
    return render(request, "groups/members.html", group=group, split=services.roles_by_group(memberships),
                  invitation=form, status_code=status_code)


@get("/groups/{group_nickname:str}/members", opt=MANAGE)
async def members(request: Request, db: DB, organization: CurrentOrganization,
                  group_nickname: FromPath[str]) -> Template:
    """The admins' page: requests to answer, invitations sent, members and admins, and the invitation form."""
    group = await _group(db, organization, group_nickname)
    await _admin_only(request, group)
    return _members_page(request, group, await services.memberships_of_group(db, group),
                         _form(request, InvitationForm))


@post("/groups/{group_nickname:str}/invite", opt=MANAGE)
async def invite(request: Request, db: DB, organization: CurrentOrganization,
                 group_nickname: FromPath[str]) -> Template | Redirect:
    group = await _group(db, organization, group_nickname)
    await _admin_only(request, group)
    form = _form(request, InvitationForm, await form_data(request))
    if form.validate():
        try:
            person, membership = await services.invite(db, group, request.state.user, form.result.person)
        except services.GroupError as error:
            form.add_error(error.field, _(request, error.message))
        else:
            await db.commit()
            flash(request, _(request, N_("%(name)s is now a member of the group.") if membership.role in BELONGS
                             else N_("%(name)s is invited; they will find the invitation in their notifications."),
                             name=person.name))
            return Redirect(_url(group, "/members"), status_code=303)
    return _members_page(request, group, await services.memberships_of_group(db, group), form, status_code=400)


async def _change_member(request: Request, db: DB, organization: Organization, nickname: str, change: Any,
                         success: str) -> Redirect:
    """A button of the admins' page: one change to one person's membership, then back to that page."""
    group = await _group(db, organization, nickname)
    return await _act(request, db, lambda: change(group), success, _url(group, "/members"))


@post("/groups/{group_nickname:str}/members/{user_id:int}/accept", opt=MANAGE)
async def accept_request(request: Request, db: DB, organization: CurrentOrganization, group_nickname: FromPath[str],
                         user_id: FromPath[int]) -> Redirect:
    return await _change_member(request, db, organization, group_nickname, lambda group: services.answer_request(
        db, group, request.state.user, user_id, accept=True), N_("The request is accepted."))


@post("/groups/{group_nickname:str}/members/{user_id:int}/reject", opt=MANAGE)
async def reject_request(request: Request, db: DB, organization: CurrentOrganization, group_nickname: FromPath[str],
                         user_id: FromPath[int]) -> Redirect:
    return await _change_member(request, db, organization, group_nickname, lambda group: services.answer_request(
        db, group, request.state.user, user_id, accept=False), N_("The request is rejected."))


@post("/groups/{group_nickname:str}/members/{user_id:int}/promote", opt=MANAGE)
async def promote(request: Request, db: DB, organization: CurrentOrganization, group_nickname: FromPath[str],
                  user_id: FromPath[int]) -> Redirect:
    return await _change_member(request, db, organization, group_nickname, lambda group: services.set_admin(
        db, group, request.state.user, user_id, admin=True), N_("They are an admin of the group now."))


@post("/groups/{group_nickname:str}/members/{user_id:int}/demote", opt=MANAGE)
async def demote(request: Request, db: DB, organization: CurrentOrganization, group_nickname: FromPath[str],
                 user_id: FromPath[int]) -> Redirect:
    return await _change_member(request, db, organization, group_nickname, lambda group: services.set_admin(
        db, group, request.state.user, user_id, admin=False), N_("They are a member of the group, no longer an admin."))


@post("/groups/{group_nickname:str}/members/{user_id:int}/remove", opt=MANAGE)
async def remove_member(request: Request, db: DB, organization: CurrentOrganization, group_nickname: FromPath[str],
                        user_id: FromPath[int]) -> Redirect:
    """Remove a member or an admin, or take back an invitation."""
    return await _change_member(request, db, organization, group_nickname, lambda group: services.remove(
        db, group, request.state.user, user_id), N_("They no longer belong to the group."))


# ---------------------------------------------------------------- joining and leaving


@post("/groups/{group_nickname:str}/join", opt=JOIN)
async def join(request: Request, db: DB, organization: CurrentOrganization, group_nickname: FromPath[str]) -> Redirect:
    """Ask to join (the admins are told), or join at once when already invited."""
    group = await _group(db, organization, group_nickname)
    try:
        role = await services.request_to_join(db, group, request.state.user)
    except services.GroupError as error:
        flash(request, _(request, error.message))
    else:
        await db.commit()
        flash(request, _(request, N_("Your request is sent to the group's admins.") if role != "member"
                         else N_("You are a member of the group now.")))
    return Redirect(_url(group), status_code=303)


@post("/groups/{group_nickname:str}/leave", opt=JOIN)
async def leave(request: Request, db: DB, organization: CurrentOrganization, group_nickname: FromPath[str]) -> Redirect:
    """Leave the group, or take back a request to join."""
    group = await _group(db, organization, group_nickname)
    return await _act(request, db, lambda: services.leave(db, group, request.state.user),
                      N_("You no longer belong to the group."), _url(group))


async def _answer(request: Request, db: DB, organization: Organization, nickname: str, accept: bool) -> Redirect:
    group = await _group(db, organization, nickname)
    back = safe_next((await form_data(request)).get("next"), _url(group))
    return await _act(request, db, lambda: services.answer_invitation(db, group, request.state.user, accept),
                      N_("Welcome to the group.") if accept else N_("The invitation is declined."), back)


@post("/groups/{group_nickname:str}/invitation/accept", opt=JOIN)
async def accept_invitation(request: Request, db: DB, organization: CurrentOrganization,
                            group_nickname: FromPath[str]) -> Redirect:
    return await _answer(request, db, organization, group_nickname, accept=True)


@post("/groups/{group_nickname:str}/invitation/decline", opt=JOIN)
async def decline_invitation(request: Request, db: DB, organization: CurrentOrganization,
                             group_nickname: FromPath[str]) -> Redirect:
    return await _answer(request, db, organization, group_nickname, accept=False)


@get("/groups/invitations", opt=JOIN)
async def invitations(request: Request, db: DB) -> Template:
    """The invitations waiting for the person's answer, and the groups they belong to."""
    user = request.state.user
    return render(request, "groups/invitations.html", invitations=await services.invitations_of(db, user),
                  groups=await services.groups_of_person(db, user.id))


# ---------------------------------------------------------------- administration


@get("/admin/groups", opt=VERIFY)
async def admin_list(request: Request, db: DB, organization: CurrentOrganization, q: FromQuery[str] = "",
                     page: FromQuery[int] = 1) -> Template:
    """Every group, with a search, for admins and user managers to verify."""
    q = " ".join(q.split())[:100]
    groups, total, page, pages = await services.groups_page(db, organization, q, page, per_page=25)
    without_admin = await succession.without_admin(db, [group.id for group, _members in groups])
    return render(request, "admin/groups/list.html", groups=groups, total=total, page=page, pages=pages, q=q,
                  without_admin=without_admin)


async def _verification(request: Request, db: DB, organization: Organization, group_id: int,
                        verified: bool) -> Redirect:
    group = await services.group_of(db, organization, group_id)
    if group is None:
        raise NotFoundException()
    await services.set_verified(db, organization, request.state.user, group, verified)
    await db.commit()
    flash(request, _(request, N_("The group %(name)s is verified.") if verified
                     else N_("The group %(name)s is no longer verified."), name=group.name))
    back = safe_next((await form_data(request)).get("next"), "/admin/groups")
    return Redirect(back if back.startswith("/admin/groups") else "/admin/groups", status_code=303)


@post("/admin/groups/{group_id:int}/verify", opt=VERIFY)
async def verify(request: Request, db: DB, organization: CurrentOrganization, group_id: FromPath[int]) -> Redirect:
    return await _verification(request, db, organization, group_id, verified=True)


@post("/admin/groups/{group_id:int}/unverify", opt=VERIFY)
async def unverify(request: Request, db: DB, organization: CurrentOrganization, group_id: FromPath[int]) -> Redirect:
    return await _verification(request, db, organization, group_id, verified=False)


async def _group_by_id(db: DB, organization: Organization, group_id: int) -> UserGroup:
    group = await services.group_of(db, organization, group_id)
    if group is None:
        raise NotFoundException()
    return group


def _appoint_page(request: Request, group: UserGroup, form: Form, status_code: int = 200) -> Template:
    return render(request, "admin/groups/appoint.html", group=group, form=form, status_code=status_code)


@get("/admin/groups/{group_id:int}/appoint", opt=APPOINT)
async def appoint_form(request: Request, db: DB, organization: CurrentOrganization,
                       group_id: FromPath[int]) -> Template:
    """Give a group that lost its admins (deleted or blocked) someone to run it."""
    return _appoint_page(request, await _group_by_id(db, organization, group_id), _form(request, InvitationForm))


@post("/admin/groups/{group_id:int}/appoint", opt=APPOINT)
async def appoint(request: Request, db: DB, organization: CurrentOrganization,
                  group_id: FromPath[int]) -> Template | Redirect:
    group = await _group_by_id(db, organization, group_id)
    form = _form(request, InvitationForm, await form_data(request))
    if form.validate():
        try:
            person = await succession.appoint(db, organization, request.state.user, group, form.result.person)
        except services.GroupError as error:
            form.add_error(error.field, _(request, error.message))
        else:
            name, group_name = person.name, group.name
            await db.commit()
            flash(request, _(request, N_("%(name)s is now an admin of the group %(group)s."), name=name,
                             group=group_name))
            return Redirect("/admin/groups", status_code=303)
    return _appoint_page(request, group, form, status_code=400)


ROUTES = [index, new, create, invitations, show, edit, update, upload_avatar, remove_avatar, members, invite,
          accept_request, reject_request, promote, demote, remove_member, join, leave, accept_invitation,
          decline_invitation, admin_list, verify, unverify, appoint_form, appoint]
