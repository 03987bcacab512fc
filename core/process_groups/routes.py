"""HTTP of process groups: the admin pages under /admin/process-groups and the public page of a group.

The rules are in core.process_groups.services. The admin pages are for organization admins; a group is
looked up in the request's organization only, so another one's is a 404. A group's address is
/process-groups/<id>, beside /processes, so that no process slug can ever collide with it.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from core.auth import flash
from core.forms import Form
from core.i18n import N_
from core.models import Organization
from core.process_groups import services
from core.process_groups.models import ProcessGroup
from core.process_groups.schemas import ProcessGroupForm
from core.spaces.admin import locales_of
from core.uploads import KINDS, Checked, UploadRefused, check, storage
from core.web import DB, CurrentOrganization, render

ADMIN = {"permission": "organization.admin"}
PUBLIC = {"permission": "public"}
UPLOAD_LIMIT = KINDS["image"].body_limit


def _(request: Request, message: str, **variables: Any) -> str:
    return request.app.state.catalogs.gettext(message, **variables)


async def _group(db: DB, organization: Organization, group_id: int) -> ProcessGroup:
    group = await services.group_of(db, organization, group_id)
    if group is None:
        raise NotFoundException()
    return group


class Submitted:
    """What a group's multipart form sent: the fields, the processes ticked and the picture, if any."""

    def __init__(self, request: Request, form: Any) -> None:
        self.fields = {key: form.get(key) for key in form if key not in ("space_ids", "hero")}
        self.space_ids = [str(value) for value in form.getall("space_ids", [])]
        hero = form.get("hero")
        self.hero = hero if isinstance(hero, UploadFile) and hero.filename else None
        self.remove_hero = form.get("remove_hero") in ("on", "1", "true")
        self.hero_error = ""
        self.form = Form(ProcessGroupForm, request.app.state.catalogs.gettext, self.fields,
                         locales=locales_of(request.state.organization))

    async def validate(self, request: Request) -> tuple[list[int], Checked | None] | None:
        """(processes, checked picture) when everything is right; else None, with the errors on the form
        (and the picture's in ``hero_error``, as it is not a field of the Struct)."""
        valid = self.form.validate()
        if not all(value.isdigit() and len(value) < 10 for value in self.space_ids):
            self.form.add_error("space_ids", _(request, N_("Choose processes from the list.")))
            valid = False
        checked = None
        if self.hero is not None:
            try:
                checked = await check(self.hero, "image", box=services.HERO_BOX)
            except UploadRefused as refused:
                self.hero_error = refused.translated(request.app.state.catalogs.gettext)
                return None
        return ([int(value) for value in self.space_ids], checked) if valid else None


async def _read(request: Request) -> Submitted:
    return Submitted(request, await request.form())


async def _close(request: Request) -> None:
    for value in (await request.form()).values():
        if hasattr(value, "close"):
            await value.close()


async def _form_page(request: Request, db: DB, organization: Organization, template: str, form: Form,
                     space_ids: list[str], group: ProcessGroup | None = None, hero_error: str = "",
                     status_code: int = 200) -> Template:
    return render(request, template, form=form, group=group, space_ids=space_ids, hero_error=hero_error,
                  hero_kind=KINDS["image"], choices=await services.processes_to_choose(db, organization),
                  status_code=status_code)


# ---------------------------------------------------------------- administration


@get("/admin/process-groups", opt=ADMIN)
async def group_list(request: Request, db: DB, organization: CurrentOrganization) -> Template:
    return render(request, "admin/process_groups/list.html", groups=await services.groups_for_admin(db, organization))


@get("/admin/process-groups/new", opt=ADMIN)
async def new_group(request: Request, db: DB, organization: CurrentOrganization) -> Template:
    form = Form(ProcessGroupForm, request.app.state.catalogs.gettext, locales=locales_of(organization))
    return await _form_page(request, db, organization, "admin/process_groups/new.html", form, [])


@post("/admin/process-groups/new", opt=ADMIN, request_max_body_size=UPLOAD_LIMIT)
async def create_group(request: Request, db: DB, organization: CurrentOrganization) -> Template | Redirect:
    submitted = await _read(request)
    try:
        valid = await submitted.validate(request)
        if valid is not None:
            space_ids, hero = valid
            try:
                await services.create(db, storage(request.app.state.settings), organization, request.state.user,
                                      submitted.form.result, space_ids, hero)
            except services.ProcessGroupError as error:
                submitted.form.add_error(error.field, _(request, error.message))
            else:
                await db.commit()
                flash(request, _(request, N_("The group is saved.")))
                return Redirect("/admin/process-groups", status_code=303)
    finally:
        await _close(request)
    return await _form_page(request, db, organization, "admin/process_groups/new.html", submitted.form,
                            submitted.space_ids, hero_error=submitted.hero_error, status_code=400)


@get("/admin/process-groups/{group_id:int}", opt=ADMIN)
async def edit_group(request: Request, db: DB, organization: CurrentOrganization, group_id: FromPath[int]) -> Template:
    group = await _group(db, organization, group_id)
    form = Form(ProcessGroupForm, request.app.state.catalogs.gettext, locales=locales_of(organization),
                initial={"title": group.title, "description": group.description, "weight": group.weight})
    space_ids = [str(space_id) for space_id in await services.process_ids_of(db, group)]
    return await _form_page(request, db, organization, "admin/process_groups/edit.html", form, space_ids, group)


@post("/admin/process-groups/{group_id:int}", opt=ADMIN, request_max_body_size=UPLOAD_LIMIT)
async def update_group(request: Request, db: DB, organization: CurrentOrganization,
                       group_id: FromPath[int]) -> Template | Redirect:
    group = await _group(db, organization, group_id)
    submitted = await _read(request)
    try:
        valid = await submitted.validate(request)
        if valid is not None:
            space_ids, hero = valid
            try:
                await services.update(db, storage(request.app.state.settings), organization, request.state.user,
                                      group, submitted.form.result, space_ids, hero, submitted.remove_hero)
            except services.ProcessGroupError as error:
                submitted.form.add_error(error.field, _(request, error.message))
            else:
                await db.commit()
                flash(request, _(request, N_("The changes are saved.")))
                return Redirect(f"/admin/process-groups/{group.id}", status_code=303)
    finally:
        await _close(request)
    return await _form_page(request, db, organization, "admin/process_groups/edit.html", submitted.form,
                            submitted.space_ids, group, hero_error=submitted.hero_error, status_code=400)


@get("/admin/process-groups/{group_id:int}/delete", opt=ADMIN)
async def confirm_delete(request: Request, db: DB, organization: CurrentOrganization,
                         group_id: FromPath[int]) -> Template:
    """What deleting means, and the button that does it."""
    return render(request, "admin/process_groups/delete.html", group=await _group(db, organization, group_id))


@post("/admin/process-groups/{group_id:int}/delete", opt=ADMIN)
async def delete_group(request: Request, db: DB, organization: CurrentOrganization,
                       group_id: FromPath[int]) -> Redirect:
    group = await _group(db, organization, group_id)
    await services.delete_group(db, storage(request.app.state.settings), organization, request.state.user, group)
    await db.commit()
    flash(request, _(request, N_("The group is deleted; its processes stay.")))
    return Redirect("/admin/process-groups", status_code=303)


# ---------------------------------------------------------------- public


@get("/process-groups/{group_id:int}", name="process_group", opt=PUBLIC)
async def group_page(request: Request, db: DB, organization: CurrentOrganization, group_id: FromPath[int]) -> Template:
    """A group and its published, public processes."""
    group = await _group(db, organization, group_id)
    return render(request, "process_groups/group.html", group=group,
                  processes=await services.public_processes(db, group))


ROUTES = [group_list, new_group, create_group, edit_group, update_group, confirm_delete, delete_group, group_page]
