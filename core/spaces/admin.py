"""HTTP of space administration: spaces, their phases and their components.

Organization admins create and copy spaces; a space's admins (and organization admins) edit it.
The permission guard loads the space named by ``space_id`` in this organization before any
handler runs, so another organization's space is a 404 and someone without the role a 403.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy import select

from core.accounts.routes import form_data
from core.areas import services as area_services
from core.attachments import services as attachments
from core.auth import flash
from core.forms import Form
from core.i18n import N_, translated
from core.models import Component, Organization, Phase, Space
from core.scopes import services as scope_services
from core.spaces import deletion, services
from core.spaces.schemas import (
    POSITIONS,
    ComponentName,
    CopyForm,
    DeleteSpaceForm,
    MemberForm,
    PhaseForm,
    SpaceForm,
)
from core.uploads import KINDS, storage
from core.web import DB, CurrentOrganization, render

ORGANIZATION_ADMIN = {"permission": "organization.admin"}
SPACE_ADMIN = {"permission": "space.admin"}


def _(request: Request, message: str, **variables: Any) -> str:
    return request.app.state.catalogs.gettext(message, **variables)


def locales_of(organization: Organization) -> list[str]:
    """The organization's languages, its default first (the one a translated field requires)."""
    return [organization.default_locale] + [
        code for code in organization.available_locales if code != organization.default_locale
    ]


def _form(request: Request, schema: type, data: Any = None, initial: Any = None, prefix: str = "") -> Form:
    return Form(schema, request.app.state.catalogs.gettext, data, initial=initial,
                locales=locales_of(request.state.organization), prefix=prefix)


def _space_type(request: Request, name: str) -> Any:
    space_type = request.app.state.registry.space_types.get(name)
    if space_type is None:
        raise NotFoundException()
    return space_type


async def _space(db: DB, organization: Organization, space_id: int) -> Space:
    space = await services.space_of(db, organization, space_id)
    if space is None:
        raise NotFoundException()
    return space


def _phase(space: Space, phase_id: int) -> Phase:
    phase = next((phase for phase in space.phases if phase.id == phase_id), None)
    if phase is None:
        raise NotFoundException()
    return phase


def _component(space: Space, component_id: int) -> Component:
    component = next((component for component in space.components if component.id == component_id), None)
    if component is None:
        raise NotFoundException()
    return component


def _back(space: Space, part: str = "") -> Redirect:
    return Redirect(f"/admin/spaces/{space.id}{part}", status_code=303)


def _public_url(request: Request, space: Space) -> str:
    prefix = request.app.state.registry.space_types[space.space_type].url_prefix
    return f"/{prefix}/{space.slug}"


# ------------------------------------------------------------------------------------ spaces

@get("/admin/spaces", opt=ORGANIZATION_ADMIN)
async def space_list(request: Request, db: DB, organization: CurrentOrganization, type: FromQuery[str] = "",
                     page: FromQuery[int] = 1) -> Template:
    registry = request.app.state.registry
    space_type = type if type in registry.space_types else ""
    spaces, total = await services.spaces_for_admin(db, organization, space_type or None, max(page, 1))
    pages = max(1, -(-total // services.PER_PAGE))
    return render(request, "admin/spaces/list.html", spaces=spaces, total=total, page=min(max(page, 1), pages),
                  pages=pages, space_types=registry.space_types, space_type=space_type)


@get("/admin/my-spaces", opt={"permission": "authenticated"})
async def my_spaces(request: Request, db: DB, organization: CurrentOrganization) -> Template:
    """Where a space's admins, moderators, collaborators and valuators find their way in, whatever
    their organization role: each space they have a role in, with what each role lets them open."""
    roles = request.state.get("space_roles") or {}
    spaces = (await db.scalars(
        select(Space).where(Space.organization_id == organization.id, Space.id.in_(list(roles)))
        .order_by(Space.created_at.desc(), Space.id.desc())
    )).all() if roles else []
    registry = request.app.state.registry
    return render(request, "admin/spaces/mine.html", spaces=[
        (space, sorted(roles[space.id]), registry.space_types.get(space.space_type)) for space in spaces])


async def _space_form(request: Request, db: DB, data: Any = None, initial: Any = None) -> Form:
    """The space's form; its scope and its area are chosen among the organization's (each left out while there
    are none), the areas grouped by area type."""
    scopes = await scope_services.scopes_of(db, request.state.organization)
    areas = await area_services.areas_of(db, request.state.organization)
    area_types = await area_services.area_types_of(db, request.state.organization) if areas else []
    return Form(SpaceForm, request.app.state.catalogs.gettext, data, initial=initial,
                locales=locales_of(request.state.organization), choices={
                    "scope_id": scope_services.choices(scopes, _(request, N_("None: it is about the whole municipality"))),
                    "area_id": area_services.choices(areas, _(request, N_("None"))),
                }, groups={"area_id": area_services.groups(areas, area_types)})


@get("/admin/spaces/new/{space_type:str}", opt=ORGANIZATION_ADMIN)
async def new_space(request: Request, db: DB, space_type: FromPath[str]) -> Template:
    kind = _space_type(request, space_type)
    return render(request, "admin/spaces/new.html", form=await _space_form(request, db), space_type=kind)


@post("/admin/spaces/new/{space_type:str}", opt=ORGANIZATION_ADMIN)
async def create_space(request: Request, db: DB, organization: CurrentOrganization,
                       space_type: FromPath[str]) -> Template | Redirect:
    kind = _space_type(request, space_type)
    form = await _space_form(request, db, await form_data(request))
    if form.validate():
        try:
            space = await services.create_space(db, organization, request.state.user, kind.name, form.result)
        except services.SpaceError as error:
            form.add_error(error.field, _(request, error.message))
        else:
            await db.commit()
            flash(request, _(request, N_("The space is created as a draft. Add its phases and components, "
                                         "then publish it.")))
            return _back(space)
    return render(request, "admin/spaces/new.html", form=form, space_type=kind, status_code=400)


async def _edit_page(request: Request, db: DB, space: Space, form: Form | None = None, copy: Form | None = None,
                     details: Form | None = None, parent_error: str = "", hero_error: str = "",
                     status_code: int = 200) -> Template:
    registry = request.app.state.registry
    space_type = registry.space_types[space.space_type]
    has_details = bool(msgspec_fields(space_type.details))
    return render(
        request, "admin/spaces/edit.html", space=space, space_type=space_type,
        form=form or await _space_form(request, db, initial=_space_values(space)),
        copy=copy or _form(request, CopyForm, initial={"slug": f"{space.slug}-copy", "with_components": True},
                           prefix="copy."),
        details=(details or _form(request, space_type.details, initial=services.details_of(registry, space),
                                  prefix="details.")) if has_details else None,
        parents=await services.parent_choices(db, space) if space_type.members else [], parent_error=parent_error,
        public_url=_public_url(request, space), status_code=status_code,
        hero=await attachments.hero_of(db, space), hero_error=hero_error, hero_kind=KINDS["image"],
    )


def _space_values(space: Space) -> dict[str, Any]:
    return {name: getattr(space, name) for name in (
        "title", "slug", "subtitle", "short_description", "description", "announcement", "start_date",
        "end_date", "private", "promoted", "scope_id", "area_id")}


@get("/admin/spaces/{space_id:int}", opt=SPACE_ADMIN)
async def edit_space(request: Request, db: DB, organization: CurrentOrganization,
                     space_id: FromPath[int]) -> Template:
    return await _edit_page(request, db, await _space(db, organization, space_id))


@post("/admin/spaces/{space_id:int}", opt=SPACE_ADMIN)
async def update_space(request: Request, db: DB, organization: CurrentOrganization,
                       space_id: FromPath[int]) -> Template | Redirect:
    space = await _space(db, organization, space_id)
    form = await _space_form(request, db, await form_data(request))
    if form.validate():
        try:
            await services.update_space(db, space, request.state.user, form.result)
        except services.SpaceError as error:
            form.add_error(error.field, _(request, error.message))
        else:
            await db.commit()
            flash(request, _(request, N_("The changes are saved.")))
            return _back(space)
        space = await _space(db, organization, space_id)  # a failed write rolled the session back
    return await _edit_page(request, db, space, form=form, status_code=400)


@post("/admin/spaces/{space_id:int}/publish", opt=SPACE_ADMIN)
async def publish_space(request: Request, db: DB, organization: CurrentOrganization,
                        space_id: FromPath[int]) -> Redirect:
    space = await _space(db, organization, space_id)
    await services.set_space_published(db, space, request.state.user, True)
    await db.commit()
    flash(request, _(request, N_("The space is published: everyone can see it now.")))
    return _back(space)


@post("/admin/spaces/{space_id:int}/unpublish", opt=SPACE_ADMIN)
async def unpublish_space(request: Request, db: DB, organization: CurrentOrganization,
                          space_id: FromPath[int]) -> Redirect:
    space = await _space(db, organization, space_id)
    await services.set_space_published(db, space, request.state.user, False)
    await db.commit()
    flash(request, _(request, N_("The space is unpublished: only its administrators can see it.")))
    return _back(space)


@post("/admin/spaces/{space_id:int}/copy", opt=ORGANIZATION_ADMIN)
async def copy_space(request: Request, db: DB, organization: CurrentOrganization,
                     space_id: FromPath[int]) -> Template | Redirect:
    space = await _space(db, organization, space_id)
    copy = _form(request, CopyForm, await form_data(request), prefix="copy.")
    if copy.validate():
        try:
            new = await services.copy_space(db, request.app.state.registry, space, request.state.user, copy.result)
        except services.SpaceError as error:
            copy.add_error(error.field, _(request, error.message))
        else:
            await db.commit()
            flash(request, _(request, N_("The copy is ready as a draft.")))
            return _back(new)
        space = await _space(db, organization, space_id)
    return await _edit_page(request, db, space, copy=copy, status_code=400)


@post("/admin/spaces/{space_id:int}/details", opt=SPACE_ADMIN)
async def update_details(request: Request, db: DB, organization: CurrentOrganization,
                         space_id: FromPath[int]) -> Template | Redirect:
    space = await _space(db, organization, space_id)
    space_type = request.app.state.registry.space_types[space.space_type]
    if not msgspec_fields(space_type.details):
        raise NotFoundException()
    details = _form(request, space_type.details, await form_data(request), prefix="details.")
    if not details.validate():
        return await _edit_page(request, db, space, details=details, status_code=400)
    await services.update_details(db, space, request.state.user, details.result)
    await db.commit()
    flash(request, _(request, N_("The changes are saved.")))
    return _back(space)


@post("/admin/spaces/{space_id:int}/parent", opt=SPACE_ADMIN)
async def change_parent(request: Request, db: DB, organization: CurrentOrganization,
                        space_id: FromPath[int]) -> Template | Redirect:
    space = await _space(db, organization, space_id)
    if not request.app.state.registry.space_types[space.space_type].members:
        raise NotFoundException()
    raw = (await form_data(request)).get("parent_id") or ""
    try:
        await services.set_parent(db, space, request.state.user, int(raw) if raw.isdigit() else None)
    except services.SpaceError as error:
        return await _edit_page(request, db, space, parent_error=_(request, error.message), status_code=400)
    await db.commit()
    flash(request, _(request, N_("The changes are saved.")))
    return _back(space)


# ------------------------------------------------------------------------------------ members

async def _members_page(request: Request, db: DB, space: Space, form: Form | None = None,
                        status_code: int = 200) -> Template:
    if not request.app.state.registry.space_types[space.space_type].members:
        raise NotFoundException()
    return render(request, "admin/spaces/members.html", space=space, members=await services.members_of(db, space),
                  form=form or _form(request, MemberForm), positions=POSITIONS,
                  public_url=_public_url(request, space), status_code=status_code)


@get("/admin/spaces/{space_id:int}/members", opt=SPACE_ADMIN)
async def members(request: Request, db: DB, organization: CurrentOrganization, space_id: FromPath[int]) -> Template:
    return await _members_page(request, db, await _space(db, organization, space_id))


@post("/admin/spaces/{space_id:int}/members", opt=SPACE_ADMIN)
async def add_member(request: Request, db: DB, organization: CurrentOrganization,
                     space_id: FromPath[int]) -> Template | Redirect:
    space = await _space(db, organization, space_id)
    form = _form(request, MemberForm, await form_data(request))
    if form.validate():
        try:
            await services.add_member(db, space, request.state.user, form.result)
        except services.SpaceError as error:
            form.add_error(error.field, _(request, error.message))
        else:
            await db.commit()
            flash(request, _(request, N_("The member is added.")))
            return _back(space, "/members")
    return await _members_page(request, db, space, form, status_code=400)


@post("/admin/spaces/{space_id:int}/members/{member_id:int}/delete", opt=SPACE_ADMIN)
async def remove_member(request: Request, db: DB, organization: CurrentOrganization, space_id: FromPath[int],
                        member_id: FromPath[int]) -> Redirect:
    space = await _space(db, organization, space_id)
    try:
        await services.remove_member(db, space, request.state.user, member_id)
    except LookupError:
        raise NotFoundException() from None
    await db.commit()
    flash(request, _(request, N_("The member is removed.")))
    return _back(space, "/members")


# ------------------------------------------------------------------------------------ phases

def _phases_page(request: Request, space: Space, form: Form | None = None, status_code: int = 200) -> Template:
    return render(request, "admin/spaces/phases.html", space=space, phases=sorted(space.phases,
                  key=lambda phase: (phase.weight, phase.id)), form=form or _form(request, PhaseForm),
                  public_url=_public_url(request, space), status_code=status_code)


@get("/admin/spaces/{space_id:int}/phases", opt=SPACE_ADMIN)
async def phases(request: Request, db: DB, organization: CurrentOrganization, space_id: FromPath[int]) -> Template:
    return _phases_page(request, await _space(db, organization, space_id))


@post("/admin/spaces/{space_id:int}/phases", opt=SPACE_ADMIN)
async def add_phase(request: Request, db: DB, organization: CurrentOrganization,
                    space_id: FromPath[int]) -> Template | Redirect:
    space = await _space(db, organization, space_id)
    form = _form(request, PhaseForm, await form_data(request))
    if form.validate():
        try:
            await services.add_phase(db, space, request.state.user, form.result)
        except services.SpaceError as error:
            form.add_error(error.field, _(request, error.message))
        else:
            await db.commit()
            flash(request, _(request, N_("The phase is added.")))
            return _back(space, "/phases")
    return _phases_page(request, space, form, status_code=400)


@get("/admin/spaces/{space_id:int}/phases/{phase_id:int}", opt=SPACE_ADMIN)
async def edit_phase(request: Request, db: DB, organization: CurrentOrganization, space_id: FromPath[int],
                     phase_id: FromPath[int]) -> Template:
    space = await _space(db, organization, space_id)
    phase = _phase(space, phase_id)
    form = _form(request, PhaseForm, initial={"title": phase.title, "description": phase.description,
                                              "start_date": phase.start_date, "end_date": phase.end_date})
    return render(request, "admin/spaces/phase.html", space=space, phase=phase, form=form,
                  public_url=_public_url(request, space))


@post("/admin/spaces/{space_id:int}/phases/{phase_id:int}", opt=SPACE_ADMIN)
async def update_phase(request: Request, db: DB, organization: CurrentOrganization, space_id: FromPath[int],
                       phase_id: FromPath[int]) -> Template | Redirect:
    space = await _space(db, organization, space_id)
    phase = _phase(space, phase_id)
    form = _form(request, PhaseForm, await form_data(request))
    if form.validate():
        try:
            await services.update_phase(db, space, phase, request.state.user, form.result)
        except services.SpaceError as error:
            form.add_error(error.field, _(request, error.message))
        else:
            await db.commit()
            flash(request, _(request, N_("The changes are saved.")))
            return _back(space, "/phases")
    return render(request, "admin/spaces/phase.html", space=space, phase=phase, form=form,
                  public_url=_public_url(request, space), status_code=400)


@post("/admin/spaces/{space_id:int}/phases/{phase_id:int}/activate", opt=SPACE_ADMIN)
async def activate_phase(request: Request, db: DB, organization: CurrentOrganization, space_id: FromPath[int],
                         phase_id: FromPath[int]) -> Redirect:
    space = await _space(db, organization, space_id)
    phase = _phase(space, phase_id)
    await services.activate_phase(db, space, phase, request.state.user)
    await db.commit()
    flash(request, _(request, N_("%(phase)s is now the active phase."), phase=translated(phase.title)))
    return _back(space, "/phases")


@post("/admin/spaces/{space_id:int}/phases/{phase_id:int}/move", opt=SPACE_ADMIN)
async def move_phase(request: Request, db: DB, organization: CurrentOrganization, space_id: FromPath[int],
                     phase_id: FromPath[int]) -> Redirect:
    space = await _space(db, organization, space_id)
    phase = _phase(space, phase_id)
    direction = (await form_data(request)).get("direction")
    await services.move_phase(db, space, phase, request.state.user, -1 if direction == "up" else 1)
    await db.commit()
    return _back(space, "/phases")


@post("/admin/spaces/{space_id:int}/phases/{phase_id:int}/delete", opt=SPACE_ADMIN)
async def delete_phase(request: Request, db: DB, organization: CurrentOrganization, space_id: FromPath[int],
                       phase_id: FromPath[int]) -> Redirect:
    space = await _space(db, organization, space_id)
    phase = _phase(space, phase_id)
    await services.delete_phase(db, space, phase, request.state.user)
    await db.commit()
    flash(request, _(request, N_("The phase %(phase)s is deleted."), phase=translated(phase.title)))
    return _back(space, "/phases")


# ------------------------------------------------------------------------------------ components

def _components_page(request: Request, space: Space, error: str = "", status_code: int = 200) -> Template:
    registry = request.app.state.registry
    components = sorted(space.components, key=lambda component: (component.weight, component.id))
    return render(request, "admin/spaces/components.html", space=space, components=components,
                  component_types=registry.component_types, error=error, public_url=_public_url(request, space),
                  status_code=status_code)


@get("/admin/spaces/{space_id:int}/components", opt=SPACE_ADMIN)
async def components(request: Request, db: DB, organization: CurrentOrganization,
                     space_id: FromPath[int]) -> Template:
    return _components_page(request, await _space(db, organization, space_id))


@post("/admin/spaces/{space_id:int}/components", opt=SPACE_ADMIN)
async def add_component(request: Request, db: DB, organization: CurrentOrganization,
                        space_id: FromPath[int]) -> Template | Redirect:
    space = await _space(db, organization, space_id)
    component_type = (await form_data(request)).get("component_type") or ""
    try:
        component = await services.add_component(db, request.app.state.registry, space, request.state.user,
                                                 component_type)
    except services.SpaceError as error:
        return _components_page(request, space, _(request, error.message), status_code=400)
    await db.commit()
    flash(request, _(request, N_("The component is added, unpublished. Name it and set it up.")))
    return _back(space, f"/components/{component.id}")


class ComponentForms:
    """The forms of one component's page: its name, its settings and its settings in each phase."""

    def __init__(self, request: Request, space: Space, component: Component, data: dict[str, Any] | None = None):
        registry = request.app.state.registry
        manifest = registry.component_types[component.component_type]
        self.name = _form(request, ComponentName, data, initial={"name": component.name})
        self.settings = _form(request, manifest.settings, data,
                              initial=services.settings_of(registry, component), prefix="settings.")
        space_type = registry.space_types.get(space.space_type)
        phases = sorted(space.phases, key=lambda phase: (phase.weight, phase.id)) if space_type.phases else []
        self.phases = [
            (phase, _form(request, manifest.phase_settings, data,
                          initial=services.phase_settings_of(registry, component, phase.id),
                          prefix=f"phase-{phase.id}."))
            for phase in phases
        ] if msgspec_fields(manifest.phase_settings) else []

    @property
    def all(self) -> list[Form]:
        return [self.name, self.settings, *(form for _, form in self.phases)]

    def validate(self) -> bool:
        results = [form.validate() for form in self.all]  # every form, so every problem shows at once
        return all(results)


def msgspec_fields(schema: type) -> tuple[str, ...]:
    return getattr(schema, "__struct_fields__", ())


def _component_page(request: Request, space: Space, component: Component, forms: ComponentForms,
                    status_code: int = 200) -> Template:
    registry = request.app.state.registry
    return render(request, "admin/spaces/component.html", space=space, component=component, forms=forms,
                  manifest=registry.component_types[component.component_type],
                  active_phase_id=space.active_phase_id, public_url=_public_url(request, space),
                  status_code=status_code)


def _known_component(request: Request, space: Space, component_id: int) -> Component:
    component = _component(space, component_id)
    if component.component_type not in request.app.state.registry.component_types:
        raise NotFoundException()  # its plugin is disabled: nothing to configure until it is back
    return component


@get("/admin/spaces/{space_id:int}/components/{component_id:int}", opt=SPACE_ADMIN)
async def edit_component(request: Request, db: DB, organization: CurrentOrganization, space_id: FromPath[int],
                         component_id: FromPath[int]) -> Template:
    space = await _space(db, organization, space_id)
    component = _known_component(request, space, component_id)
    return _component_page(request, space, component, ComponentForms(request, space, component))


@post("/admin/spaces/{space_id:int}/components/{component_id:int}", opt=SPACE_ADMIN)
async def update_component(request: Request, db: DB, organization: CurrentOrganization, space_id: FromPath[int],
                           component_id: FromPath[int]) -> Template | Redirect:
    space = await _space(db, organization, space_id)
    component = _known_component(request, space, component_id)
    forms = ComponentForms(request, space, component, await form_data(request))
    if not forms.validate():
        return _component_page(request, space, component, forms, status_code=400)
    await services.update_component(
        db, space, component, request.state.user, forms.name.result.name, forms.settings.result,
        {phase.id: form.result for phase, form in forms.phases},
    )
    await db.commit()
    flash(request, _(request, N_("The changes are saved.")))
    return _back(space, f"/components/{component.id}")


@post("/admin/spaces/{space_id:int}/components/{component_id:int}/publish", opt=SPACE_ADMIN)
async def publish_component(request: Request, db: DB, organization: CurrentOrganization, space_id: FromPath[int],
                            component_id: FromPath[int]) -> Template | Redirect:
    space = await _space(db, organization, space_id)
    component = _component(space, component_id)
    try:
        await services.set_component_published(db, space, component, request.state.user, True)
    except services.SpaceError as error:
        return _components_page(request, space, _(request, error.message), status_code=400)
    await db.commit()
    flash(request, _(request, N_("%(name)s is published."), name=translated(component.name)))
    return _back(space, "/components")


@post("/admin/spaces/{space_id:int}/components/{component_id:int}/unpublish", opt=SPACE_ADMIN)
async def unpublish_component(request: Request, db: DB, organization: CurrentOrganization,
                              space_id: FromPath[int], component_id: FromPath[int]) -> Redirect:
    space = await _space(db, organization, space_id)
    component = _component(space, component_id)
    await services.set_component_published(db, space, component, request.state.user, False)
    await db.commit()
    flash(request, _(request, N_("%(name)s is unpublished."), name=translated(component.name)))
    return _back(space, "/components")


@post("/admin/spaces/{space_id:int}/components/{component_id:int}/move", opt=SPACE_ADMIN)
async def move_component(request: Request, db: DB, organization: CurrentOrganization, space_id: FromPath[int],
                         component_id: FromPath[int]) -> Redirect:
    space = await _space(db, organization, space_id)
    component = _component(space, component_id)
    direction = (await form_data(request)).get("direction")
    await services.move_component(db, space, component, request.state.user, -1 if direction == "up" else 1)
    await db.commit()
    return _back(space, "/components")


@post("/admin/spaces/{space_id:int}/components/{component_id:int}/delete", opt=SPACE_ADMIN)
async def delete_component(request: Request, db: DB, organization: CurrentOrganization, space_id: FromPath[int],
                           component_id: FromPath[int]) -> Redirect:
    space = await _space(db, organization, space_id)
    component = _component(space, component_id)
    name = translated(component.name)
    deleted = await services.remove_component(db, request.app.state.registry, space, component, request.state.user,
                                              storage(request.app.state.settings))
    await db.commit()
    flash(request, _(request, N_("%(name)s is deleted."), name=name) if deleted else _(
        request, N_("%(name)s has participation, so it is archived instead of deleted: it is off the site and "
                    "its data is kept."), name=name))
    return _back(space, "/components")


def _delete_form(request: Request, space: Space, data: Any = None) -> Form:
    return Form(DeleteSpaceForm, request.app.state.catalogs.gettext, data, context={"slug": space.slug},
                locales=locales_of(request.state.organization))


async def _delete_page(request: Request, db: DB, space: Space, form: Form, status_code: int = 200) -> Template:
    return render(request, "admin/spaces/delete.html", space=space, public_url=_public_url(request, space),
                  goes=await deletion.what_goes(db, space), form=form, status_code=status_code)


@get("/admin/spaces/{space_id:int}/delete", opt=ORGANIZATION_ADMIN)
async def confirm_delete_space(request: Request, db: DB, organization: CurrentOrganization,
                               space_id: FromPath[int]) -> Template:
    """What deleting the space takes with it, and the form that does it."""
    space = await _space(db, organization, space_id)
    return await _delete_page(request, db, space, _delete_form(request, space))


@post("/admin/spaces/{space_id:int}/delete", opt=ORGANIZATION_ADMIN)
async def delete_space(request: Request, db: DB, organization: CurrentOrganization,
                       space_id: FromPath[int]) -> Template | Redirect:
    space = await _space(db, organization, space_id)
    form = _delete_form(request, space, await form_data(request))
    if form.validate() and form.result.slug != space.slug:
        form.add_error("slug", _(request, N_("This is not the address of this space.")))
    if not form.valid:
        return await _delete_page(request, db, space, form, status_code=400)
    title = translated(space.title)
    await deletion.delete_space(db, storage(request.app.state.settings), space, request.state.user)
    await db.commit()
    flash(request, _(request, N_("The space %(title)s is deleted, with everything in it."), title=title))
    return Redirect("/admin/spaces", status_code=303)


ROUTES = [
    confirm_delete_space, delete_space,
    space_list, my_spaces, new_space, create_space, edit_space, update_space, publish_space, unpublish_space, copy_space,
    update_details, change_parent, members, add_member, remove_member,
    phases, add_phase, edit_phase, update_phase, activate_phase, move_phase, delete_phase,
    components, add_component, edit_component, update_component, publish_component, unpublish_component,
    move_component, delete_component,
]
