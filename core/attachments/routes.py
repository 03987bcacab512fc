"""HTTP of attachments: a space's files and hero image for its admins (``/admin/spaces/<id>/...``), and
the routes mounted inside every component that declares ``attachable`` resources
(``<component address>/attachments...``), where an author attaches files to their resource.

Every upload is a plain multipart form with its CSRF token, so it works without JavaScript; a
refusal shows the page again with the message at the file field and everything else as typed.
The rules are in ``core.attachments.services``; files are checked by ``core.uploads``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from core.accounts.routes import form_data
from core.attachments import services
from core.attachments.models import SPACE
from core.attachments.schemas import AttachmentForm, AttachmentText, CollectionForm
from core.auth import flash
from core.forms import Form
from core.i18n import N_, current_locale
from core.manifest import ComponentManifest
from core.models import Component, Organization, Space
from core.spaces import admin as space_admin
from core.spaces.admin import locales_of
from core.spaces.public import CurrentComponent, component_url
from core.spaces.services import space_of
from core.uploads import KINDS, UploadRefused, check, storage
from core.web import DB, CurrentOrganization, render, safe_next

SPACE_ADMIN = {"permission": "space.admin"}
ATTACH = {"permission": "attachments.attach"}
ATTACHMENT_BODY = KINDS["attachment"].body_limit
HERO_BODY = KINDS["image"].body_limit


def _(request: Request, message: str, **variables: Any) -> str:
    return request.app.state.catalogs.gettext(message, **variables)


def _form(request: Request, schema: type, data: Any = None, initial: Any = None, prefix: str = "") -> Form:
    return Form(schema, request.app.state.catalogs.gettext, data, initial=initial,
                locales=locales_of(request.state.organization), prefix=prefix)


@asynccontextmanager
async def multipart(request: Request) -> AsyncIterator[dict[str, Any]]:
    """The fields of a (multipart) form; its uploaded files are closed when the handler is done."""
    form = await request.form()
    try:
        yield {key: form.get(key) for key in form}
    finally:
        for value in form.values():
            if hasattr(value, "close"):
                await value.close()


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


async def _space(db: DB, organization: Organization, space_id: int) -> Space:
    space = await space_of(db, organization, space_id)
    if space is None:
        raise NotFoundException()
    return space


def _public_url(request: Request, space: Space) -> str:
    return f"/{request.app.state.registry.space_types[space.space_type].url_prefix}/{space.slug}"


def _back(space: Space, part: str = "/attachments") -> Redirect:
    return Redirect(f"/admin/spaces/{space.id}{part}", status_code=303)


# ------------------------------------------------------------------------------------ a space's files


async def _files_page(request: Request, db: DB, space: Space, form: Form | None = None,
                      folder: Form | None = None, file_error: str = "", collection_id: int | None = None,
                      status_code: int = 200) -> Template:
    return render(
        request, "attachments/admin.html", space=space, public_url=_public_url(request, space),
        files=await services.files_of(db, space.organization_id, SPACE, space.id),
        form=form or _form(request, AttachmentForm), folder=folder or _form(request, CollectionForm, prefix="folder."),
        file_error=file_error, collection_id=collection_id, kind=KINDS["attachment"], status_code=status_code,
    )


@get("/admin/spaces/{space_id:int}/attachments", opt=SPACE_ADMIN)
async def space_files(request: Request, db: DB, organization: CurrentOrganization,
                      space_id: FromPath[int]) -> Template:
    """The space's documents, folders and gallery, and the forms to add to them."""
    return await _files_page(request, db, await _space(db, organization, space_id))


@post("/admin/spaces/{space_id:int}/attachments", opt=SPACE_ADMIN, request_max_body_size=ATTACHMENT_BODY)
async def add_space_file(request: Request, db: DB, organization: CurrentOrganization,
                         space_id: FromPath[int]) -> Template | Redirect:
    space = await _space(db, organization, space_id)
    async with multipart(request) as data:
        form = _form(request, AttachmentForm, data)
        collection_id = _int(data.get("collection_id")) if data.get("collection_id") else None
        valid = form.validate()  # every problem at once: the fields and the file
        file_error = ""
        try:
            checked = await check(data.get("file"), "attachment")
        except UploadRefused as refused:
            file_error, checked = refused.translated(request.app.state.catalogs.gettext), None
        if valid and checked is not None:
            try:
                await services.add_to_space(
                    db, storage(request.app.state.settings), space, request.state.user, checked,
                    languages=organization.available_locales, title=form.result.title,
                    description=form.result.description, weight=form.result.weight, collection_id=collection_id)
            except services.AttachmentError as error:
                if error.field == "file":
                    file_error = error.translated(request.app.state.catalogs.gettext)
                else:
                    form.add_error(error.field, error.translated(request.app.state.catalogs.gettext))
            else:
                await db.commit()
                flash(request, _(request, N_("The file is attached.")))
                return _back(space)
    return await _files_page(request, db, space, form=form, file_error=file_error, collection_id=collection_id,
                             status_code=400)


async def _space_file(db: DB, space: Space, attachment_id: int) -> Any:
    attachment = await services.space_attachment(db, space, attachment_id)
    if attachment is None:
        raise NotFoundException()
    return attachment


def _edit_page(request: Request, space: Space, attachment: Any, files: services.Files, form: Form,
               collection_id: int | None, status_code: int = 200) -> Template:
    return render(request, "attachments/edit.html", space=space, public_url=_public_url(request, space),
                  attachment=attachment, collections=files.collections, form=form, collection_id=collection_id,
                  status_code=status_code)


@get("/admin/spaces/{space_id:int}/attachments/{attachment_id:int}", opt=SPACE_ADMIN)
async def edit_space_file(request: Request, db: DB, organization: CurrentOrganization, space_id: FromPath[int],
                          attachment_id: FromPath[int]) -> Template:
    space = await _space(db, organization, space_id)
    attachment = await _space_file(db, space, attachment_id)
    form = _form(request, AttachmentForm, initial={"title": attachment.title, "description": attachment.description,
                                                   "weight": attachment.weight})
    files = await services.files_of(db, space.organization_id, SPACE, space.id)
    return _edit_page(request, space, attachment, files, form, attachment.collection_id)


@post("/admin/spaces/{space_id:int}/attachments/{attachment_id:int}", opt=SPACE_ADMIN)
async def update_space_file(request: Request, db: DB, organization: CurrentOrganization, space_id: FromPath[int],
                            attachment_id: FromPath[int]) -> Template | Redirect:
    space = await _space(db, organization, space_id)
    attachment = await _space_file(db, space, attachment_id)
    data = await form_data(request)
    form = _form(request, AttachmentForm, data)
    collection_id = _int(data.get("collection_id")) if data.get("collection_id") else None
    if form.validate():
        try:
            await services.update_in_space(
                db, space, request.state.user, attachment, languages=organization.available_locales,
                title=form.result.title, description=form.result.description, weight=form.result.weight,
                collection_id=collection_id)
        except services.AttachmentError as error:
            form.add_error(error.field, error.translated(request.app.state.catalogs.gettext))
        else:
            await db.commit()
            flash(request, _(request, N_("The changes are saved.")))
            return _back(space)
    files = await services.files_of(db, space.organization_id, SPACE, space.id)
    return _edit_page(request, space, attachment, files, form, collection_id, status_code=400)


@post("/admin/spaces/{space_id:int}/attachments/{attachment_id:int}/delete", opt=SPACE_ADMIN)
async def delete_space_file(request: Request, db: DB, organization: CurrentOrganization, space_id: FromPath[int],
                            attachment_id: FromPath[int]) -> Redirect:
    space = await _space(db, organization, space_id)
    attachment = await _space_file(db, space, attachment_id)
    await services.remove_from_space(db, storage(request.app.state.settings), space, request.state.user, attachment)
    await db.commit()
    flash(request, _(request, N_("The file is removed.")))
    return _back(space)


@post("/admin/spaces/{space_id:int}/attachments/folders", opt=SPACE_ADMIN)
async def add_space_folder(request: Request, db: DB, organization: CurrentOrganization,
                           space_id: FromPath[int]) -> Template | Redirect:
    space = await _space(db, organization, space_id)
    folder = _form(request, CollectionForm, await form_data(request), prefix="folder.")
    if not folder.validate():
        return await _files_page(request, db, space, folder=folder, status_code=400)
    await services.add_space_collection(db, space, request.state.user, languages=organization.available_locales,
                                        name=folder.result.name, description=folder.result.description,
                                        weight=folder.result.weight)
    await db.commit()
    flash(request, _(request, N_("The folder is created.")))
    return _back(space)


@post("/admin/spaces/{space_id:int}/attachments/folders/{collection_id:int}/delete", opt=SPACE_ADMIN)
async def delete_space_folder(request: Request, db: DB, organization: CurrentOrganization, space_id: FromPath[int],
                              collection_id: FromPath[int]) -> Redirect:
    space = await _space(db, organization, space_id)
    collection = await services.collection_of(db, organization.id, SPACE, space.id, collection_id)
    if collection is None:
        raise NotFoundException()
    await services.remove_space_collection(db, space, request.state.user, collection)
    await db.commit()
    flash(request, _(request, N_("The folder is deleted; its files are kept outside any folder.")))
    return _back(space)


# ------------------------------------------------------------------------------------ a space's hero image


@post("/admin/spaces/{space_id:int}/hero", opt=SPACE_ADMIN, request_max_body_size=HERO_BODY)
async def upload_hero(request: Request, db: DB, organization: CurrentOrganization,
                      space_id: FromPath[int]) -> Template | Redirect:
    """A new image for the top of the space's page and its card, from the space's details page."""
    space = await _space(db, organization, space_id)
    async with multipart(request) as data:
        try:
            checked = await check(data.get("hero"), "image", box=services.HERO_BOX)
        except UploadRefused as refused:
            return await space_admin._edit_page(
                request, db, space, hero_error=refused.translated(request.app.state.catalogs.gettext),
                status_code=400)
    await services.set_hero(db, storage(request.app.state.settings), space, request.state.user, checked)
    await db.commit()
    flash(request, _(request, N_("The image of the space is saved.")))
    return _back(space, "")


@post("/admin/spaces/{space_id:int}/hero/delete", opt=SPACE_ADMIN)
async def delete_hero(request: Request, db: DB, organization: CurrentOrganization, space_id: FromPath[int]) -> Redirect:
    space = await _space(db, organization, space_id)
    await services.remove_hero(db, storage(request.app.state.settings), space, request.state.user)
    await db.commit()
    flash(request, _(request, N_("The image of the space is removed.")))
    return _back(space, "")


ROUTES = [space_files, add_space_file, edit_space_file, update_space_file, delete_space_file, add_space_folder,
          delete_space_folder, upload_hero, delete_hero]


# ------------------------------------------------------------------------------------ a resource's files


async def _access(request: Request, component: Component, resource_type: str,
                  resource_id: int | None) -> services.Access:
    access = await services.resource_access(request, component, resource_type, resource_id)
    if access is None:
        raise NotFoundException()
    return access


def _attach_page(request: Request, component: Component, access: services.Access, panel: services.Panel,
                 form: Form, back: str, file_error: str = "", status_code: int = 200) -> Template:
    return render(request, "attachments/form.html", component=component, space=component.space, access=access,
                  panel=panel, form=form, back=back, file_error=file_error, status_code=status_code)


async def _panel(request: Request, component: Component, access: services.Access, resource_type: str,
                 resource_id: int) -> services.Panel:
    files = await services.files_of(request.state.db, component.space.organization_id, resource_type, resource_id,
                                    folders=False)
    return services.Panel(files=files, access=access,
                          action=component_url(request.app.state.registry, component) + "/attachments",
                          resource_type=resource_type, resource_id=resource_id)


@get("/attachments/new", opt=ATTACH)
async def attach_form(request: Request, db: DB, component: CurrentComponent, resource_type: FromQuery[str] = "",
                      resource_id: FromQuery[int] = 0, next: FromQuery[str | None] = None) -> Template:
    """The form to attach a file to a resource, on a page of its own (the resource's page links to it)."""
    access = await _access(request, component, resource_type, resource_id)
    if not access.may_attach:
        raise NotFoundException()
    back = safe_next(next, services.resource_path(request.app.state.registry, component, access))
    panel = await _panel(request, component, access, resource_type, resource_id)
    return _attach_page(request, component, access, panel, Form(AttachmentText, request.app.state.catalogs.gettext),
                        back)


@post("/attachments", opt=ATTACH, request_max_body_size=ATTACHMENT_BODY)
async def attach(request: Request, db: DB, component: CurrentComponent) -> Template | Redirect:
    """An author attaches a document or an image to their resource; back to ``next`` when it is stored."""
    registry = request.app.state.registry
    gettext = request.app.state.catalogs.gettext
    async with multipart(request) as data:
        resource_type, resource_id = str(data.get("resource_type") or ""), _int(data.get("resource_id"))
        access = await _access(request, component, resource_type, resource_id)
        back = safe_next(data.get("next") if isinstance(data.get("next"), str) else None,
                         services.resource_path(registry, component, access))
        form = Form(AttachmentText, gettext, {"title": data.get("title") if isinstance(data.get("title"), str) else ""})
        valid = form.validate()
        file_error = ""
        if not access.may_attach:
            file_error = _(request, N_("Files cannot be attached to this any more."))
        else:
            try:
                checked = await check(data.get("file"), "attachment", max_bytes=access.limits.max_bytes)
            except UploadRefused as refused:
                file_error = refused.translated(gettext)
            else:
                if valid:
                    try:
                        await services.attach_to_resource(
                            db, storage(request.app.state.settings), registry, component, access, resource_id or 0,
                            request.state.user, checked, form.result.title, current_locale.get())
                    except services.AttachmentError as error:
                        file_error = error.translated(gettext)
                    else:
                        await db.commit()
                        flash(request, _(request, N_("The file is attached.")))
                        return Redirect(back, status_code=303)
    panel = await _panel(request, component, access, resource_type, resource_id or 0)
    return _attach_page(request, component, access, panel, form, back, file_error=file_error, status_code=400)


@post("/attachments/{attachment_id:int}/delete", opt=ATTACH)
async def detach(request: Request, db: DB, component: CurrentComponent, attachment_id: FromPath[int]) -> Redirect:
    """The author (while they may attach) or a space admin removes a file of a resource."""
    attachment = await services.resource_attachment(db, component, attachment_id)
    if attachment is None:
        raise NotFoundException()
    access = await _access(request, component, attachment.resource_type, attachment.resource_id)
    if not access.may_remove:
        raise NotFoundException()
    data = await form_data(request)
    back = safe_next(data.get("next"), services.resource_path(request.app.state.registry, component, access))
    await services.remove(db, storage(request.app.state.settings), attachment)
    await db.commit()
    flash(request, _(request, N_("The file is removed.")))
    return Redirect(back, status_code=303)


COMPONENT_ROUTES = [attach_form, attach, detach]


def routes_for(manifest: ComponentManifest) -> list[Any]:
    """The attachment routes of a component type that declares attachable resources."""
    return COMPONENT_ROUTES if manifest.attachable else []
