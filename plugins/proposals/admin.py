"""HTTP of evaluating and administering a proposals component: the admin list (everything for the space's
admins, "assigned to me" for its valuators), assigning valuators, private notes, answer states, answers
from a CSV file, merging, splitting, importing and the Excel export. The rules are in evaluation.py and
links.py; these routes live inside the component, so the space's guard and the component's checks apply.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath
from litestar.response import Redirect, Response, Template

from core.auth import flash
from core.i18n import N_, current_locale, translated
from core.models import Component
from core.permissions import actor_of
from core.spaces import CurrentComponent
from core.spaces.admin import locales_of
from core.uploads import MEGABYTE, UploadRefused, read_limited
from core.web import DB
from plugins.proposals import admin_log, evaluation, evaluation_page, exports, links, official, services
from plugins.proposals.admin_forms import (
    ImportForm,
    MergeForm,
    NoteForm,
    OfficialForm,
    SplitForm,
    StateEditForm,
    StateForm,
)
from plugins.proposals.models import Proposal
from plugins.proposals.routes import _, _base, _form, _page, _proposal, _show_page

MANAGE = {"permission": "proposals.manage"}
EVALUATE = {"permission": "proposals.evaluate"}
MAX_SELECTED = 500


def _selected(data: Any) -> list[int]:
    return [found for value in data.getall("proposal_ids", []) if (found := evaluation.as_id(value))][:MAX_SELECTED]


def _admin_url(request: Request, component: Component) -> str:
    return f"{_base(request, component)}/admin"


@post("/{proposal_id:int}/notes", opt=EVALUATE)
async def add_note(request: Request, db: DB, component: CurrentComponent,
                   proposal_id: FromPath[int]) -> Template | Redirect:
    """A private note on the proposal, by an admin of the space or a valuator it is assigned to (the page
    offers others no form, so they get a 403)."""
    proposal = await _proposal(db, request, component, proposal_id)
    actor = await actor_of(request)
    if not await evaluation.may_write_notes(db, component, proposal, actor):
        raise PermissionDeniedException()
    form = _form(request, NoteForm, dict(await request.form()))
    if form.validate():
        try:
            await evaluation.add_note(db, component, proposal, actor, form.result.body)
        except services.ProposalError as error:
            form.add_error(error.field, _(request, error.message))
        else:
            await db.commit()
            flash(request, _(request, N_("The note is saved.")))
            return Redirect(f"{_base(request, component)}/{proposal.id}#notes", status_code=303)
    return await _show_page(db, request, component, proposal, note=form)


# ------------------------------------------------------------------------------------ the admin list

async def _admin_page(request: Request, db: DB, component: Component, error: str = "",
                      checked: frozenset[int] = frozenset(), status_code: int = 200) -> Template:
    actor = await actor_of(request)
    filters = evaluation.AdminFilters.parse(request.query_params)
    proposals, total = await evaluation.admin_listing(db, component, actor, filters)
    ids = [proposal.id for proposal in proposals]
    admin = evaluation.is_admin(actor, component.space)
    return _page(
        request, "proposals/admin/index.html", component, status_code=status_code, proposals=proposals,
        total=total, pages=max(1, -(-total // evaluation.ADMIN_PER_PAGE)), filters=filters, admin=admin,
        answer_states=await evaluation.states_of(db, component),
        assignments=await evaluation.assignments_of(db, ids), note_counts=await evaluation.note_counts(db, ids),
        valuators=await evaluation.valuators_of(db, component.space) if admin else [], error=error, checked=checked,
        admin_url=_admin_url(request, component),
    )


@get("/admin", opt=EVALUATE)
async def admin_index(request: Request, db: DB, component: CurrentComponent) -> Template:
    """The component's proposals for its admins, or those assigned to the valuator who asks."""
    return await _admin_page(request, db, component)


@post("/admin/assign", opt=MANAGE)
async def assign(request: Request, db: DB, component: CurrentComponent) -> Template | Redirect:
    """Give the selected proposals to a valuator of the space, or take them back."""
    data = await request.form()
    selected = _selected(data)
    valuator = evaluation.as_id(data.get("valuator_id"))
    try:
        if valuator is None:
            raise services.ProposalError(N_("Choose a valuator of this space."))
        if data.get("action") == "unassign":
            changed = await evaluation.unassign(db, component, selected, valuator)
            admin_log.log(request, component, "proposals.unassign", proposal_ids=selected, valuator_id=valuator)
            message = request.app.state.catalogs.ngettext(
                "%(num)s proposal is taken back from the valuator.",
                "%(num)s proposals are taken back from the valuator.", changed)
        else:
            changed = await evaluation.assign(db, component, selected, valuator)
            admin_log.log(request, component, "proposals.assign", proposal_ids=selected, valuator_id=valuator)
            message = request.app.state.catalogs.ngettext(
                "%(num)s proposal is assigned to the valuator.", "%(num)s proposals are assigned to the valuator.",
                changed)
    except services.ProposalError as error:
        return await _admin_page(request, db, component, error=_(request, error.message),
                                 checked=frozenset(selected), status_code=400)
    await db.commit()
    flash(request, message)
    return Redirect(f"{_admin_url(request, component)}?valuator={valuator}", status_code=303)


@get("/admin/export.xlsx", opt=MANAGE)
async def export_xlsx(request: Request, db: DB, component: CurrentComponent) -> Response:
    """The component's public export as an Excel workbook."""
    title = translated(component.name, current_locale.get()) or "proposals"
    content = await exports.workbook(db, component, locales_of(request.state.organization), title)
    admin_log.log(request, component, "proposals.export_xlsx")
    await db.commit()
    return Response(content, media_type=exports.CONTENT_TYPE, headers={
        "content-disposition": f'attachment; filename="proposals-{component.id}.xlsx"',
        "cache-control": "no-store"})


# ------------------------------------------------------------------------------------ answer states

async def _states_page(request: Request, db: DB, component: Component, form: Any = None,
                       status_code: int = 200, error: str = "") -> Template:
    return _page(request, "proposals/admin/states.html", component, status_code=status_code,
                 states=await evaluation.custom_states(db, component), form=form or _form(request, StateForm),
                 admin_url=_admin_url(request, component), error=error, kinds=evaluation.KINDS)


@get("/admin/states", opt=MANAGE)
async def states(request: Request, db: DB, component: CurrentComponent) -> Template:
    """The component's own answer states, and a form to add one."""
    return await _states_page(request, db, component)


@post("/admin/states", opt=MANAGE)
async def add_state(request: Request, db: DB, component: CurrentComponent) -> Template | Redirect:
    form = _form(request, StateForm, dict(await request.form()))
    if form.validate():
        try:
            await evaluation.add_state(db, component, form.result.token, form.result.name, form.result.kind)
        except services.ProposalError as error:
            form.add_error(error.field, _(request, error.message))
        else:
            admin_log.log(request, component, "proposals.state_create", form.result.name)
            await db.commit()
            flash(request, _(request, N_("The answer state is added.")))
            return Redirect(f"{_admin_url(request, component)}/states", status_code=303)
    return await _states_page(request, db, component, form=form, status_code=400)


async def _state(db: DB, component: Component, state_id: int) -> Any:
    try:
        return await evaluation.state_for(db, component, state_id)
    except LookupError:
        raise NotFoundException() from None


@get("/admin/states/{state_id:int}", opt=MANAGE)
async def edit_state(request: Request, db: DB, component: CurrentComponent, state_id: FromPath[int]) -> Template:
    state = await _state(db, component, state_id)
    form = _form(request, StateEditForm, initial={"name": state.name, "kind": state.kind})
    return _page(request, "proposals/admin/state.html", component, state=state, form=form,
                 admin_url=_admin_url(request, component))


@post("/admin/states/{state_id:int}", opt=MANAGE)
async def save_state(request: Request, db: DB, component: CurrentComponent,
                     state_id: FromPath[int]) -> Template | Redirect:
    state = await _state(db, component, state_id)
    form = _form(request, StateEditForm, dict(await request.form()))
    if form.validate():
        evaluation.update_state(state, form.result.name, form.result.kind)
        admin_log.log(request, component, "proposals.state_update", form.result.name)
        await db.commit()
        flash(request, _(request, N_("The answer state is saved.")))
        return Redirect(f"{_admin_url(request, component)}/states", status_code=303)
    return _page(request, "proposals/admin/state.html", component, state=state, form=form, status_code=400,
                 admin_url=_admin_url(request, component))


@post("/admin/states/{state_id:int}/delete", opt=MANAGE)
async def delete_state(request: Request, db: DB, component: CurrentComponent,
                       state_id: FromPath[int]) -> Template | Redirect:
    state = await _state(db, component, state_id)
    try:
        await evaluation.delete_state(db, component, state)
    except services.ProposalError as error:
        return await _states_page(request, db, component, status_code=400, error=_(request, error.message))
    admin_log.log(request, component, "proposals.state_delete", state.name)
    await db.commit()
    flash(request, _(request, N_("The answer state is deleted.")))
    return Redirect(f"{_admin_url(request, component)}/states", status_code=303)


# ------------------------------------------------------------------------------------ answers from a CSV file

def _csv_page(request: Request, component: Component, problems: list[str] | None = None, error: str = "",
              status_code: int = 200) -> Template:
    return _page(request, "proposals/admin/answers.html", component, problems=problems or [], error=error,
                 status_code=status_code, admin_url=_admin_url(request, component),
                 locales=locales_of(request.state.organization), max_megabytes=evaluation.CSV_MAX_BYTES // MEGABYTE)


@get("/admin/answers", opt=MANAGE)
async def answers_form(request: Request, component: CurrentComponent) -> Template:
    """How to answer many proposals at once with a CSV file, and the form to send it."""
    return _csv_page(request, component)


@post("/admin/answers", opt=MANAGE, request_max_body_size=evaluation.CSV_MAX_BYTES + MEGABYTE)
async def answers_upload(request: Request, db: DB, component: CurrentComponent) -> Template | Redirect:
    """Answer the proposals of a CSV file, all or none; each problem is reported with its line."""
    form = await request.form()
    file = form.get("file")
    try:
        if not isinstance(file, UploadFile):
            raise services.ProposalError(N_("Choose a file to upload."))
        data = await read_limited(file, evaluation.CSV_MAX_BYTES)
        answered, problems = await evaluation.answer_from_csv(
            db, request.app.state.registry, component, data, locales_of(request.state.organization))
    except UploadRefused as refused:
        return _csv_page(request, component, error=refused.translated(request.app.state.catalogs.gettext),
                         status_code=400)
    except services.ProposalError as error:
        return _csv_page(request, component, error=_(request, error.message), status_code=400)
    finally:
        for value in form.values():
            if hasattr(value, "close"):
                await value.close()
    if problems:  # nothing was written: every line is checked before the first answer is
        gettext = request.app.state.catalogs.gettext
        lines = [_(request, N_("Line %(line)s: %(problem)s"), line=problem.line,
                   problem=gettext(problem.message, **problem.variables)) for problem in problems]
        return _csv_page(request, component, problems=lines, status_code=400)
    admin_log.log(request, component, "proposals.answer_csv", answered=answered)
    await db.commit()
    flash(request, request.app.state.catalogs.ngettext("%(num)s proposal is answered.",
                                                       "%(num)s proposals are answered.", answered))
    return Redirect(_admin_url(request, component), status_code=303)


# ------------------------------------------------------------------------------------ official proposals

async def _official_form(request: Request, db: DB, component: Component, data: Any = None,
                         initial: Any = None) -> Any:
    assemblies = await official.assemblies_of(db, component)
    choices = {"assembly": [("", _(request, N_("None")))] + [(str(space.id), translated(space.title))
                                                            for space in assemblies] if assemblies else []}
    return _form(request, OfficialForm, data, initial=initial, choices=choices)


@get("/admin/official", opt=MANAGE)
async def official_form(request: Request, db: DB, component: CurrentComponent) -> Template:
    """An official proposal: the organization's own, or brought from a meeting or an assembly."""
    return _page(request, "proposals/admin/official.html", component, form=await _official_form(request, db, component),
                 admin_url=_admin_url(request, component))


@post("/admin/official", opt=MANAGE)
async def publish_official(request: Request, db: DB, component: CurrentComponent) -> Template | Redirect:
    return await _save_official(request, db, component, None)


async def _official_proposal(db: DB, request: Request, component: Component, proposal_id: int) -> Proposal:
    proposal = await _proposal(db, request, component, proposal_id)
    if not proposal.official or proposal.state != "published":
        raise NotFoundException()
    return proposal


@get("/admin/official/{proposal_id:int}", opt=MANAGE)
async def edit_official_form(request: Request, db: DB, component: CurrentComponent,
                             proposal_id: FromPath[int]) -> Template:
    proposal = await _official_proposal(db, request, component, proposal_id)
    form = await _official_form(request, db, component, initial={
        "title": proposal.title, "body": services.html_to_text(proposal.body),
        "origin": proposal.origin or "organization", "assembly": str(proposal.origin_space_id or ""),
        "meeting": proposal.origin_meeting or "",
        "meeting_date": proposal.origin_date.isoformat() if proposal.origin_date else ""})
    return _page(request, "proposals/admin/official.html", component, form=form, proposal=proposal,
                 admin_url=_admin_url(request, component))


@post("/admin/official/{proposal_id:int}", opt=MANAGE)
async def edit_official(request: Request, db: DB, component: CurrentComponent,
                        proposal_id: FromPath[int]) -> Template | Redirect:
    return await _save_official(request, db, component, await _official_proposal(db, request, component, proposal_id))


async def _save_official(request: Request, db: DB, component: Component,
                         proposal: Proposal | None) -> Template | Redirect:
    """Publish a new official proposal, or save the one given."""
    data = await request.form()
    form = await _official_form(request, db, component, {key: data.get(key) for key in (
        "title", "body", "origin", "assembly", "meeting", "meeting_date")})
    if form.validate():
        result = form.result
        origin = {"origin": result.origin, "assembly_id": int(result.assembly) if result.assembly else None,
                  "meeting": result.meeting, "meeting_date": result.meeting_date}
        try:
            if proposal is None:
                proposal = await official.publish_official(
                    db, request.app.state.registry, component, title=result.title, body=result.body,
                    language=current_locale.get(), **origin)
                action, message = "proposals.official", N_("The official proposal is published.")
            else:
                await official.edit_official(db, component, proposal, title=result.title, body=result.body, **origin)
                action, message = "proposals.official_edit", N_("The official proposal is saved.")
        except services.ProposalError as error:
            form.add_error(error.field, _(request, error.message))
        else:
            admin_log.log(request, component, action, proposal.title, proposal_id=proposal.id)
            await db.commit()
            flash(request, _(request, message))
            return Redirect(f"{_base(request, component)}/{proposal.id}", status_code=303)
    return _page(request, "proposals/admin/official.html", component, form=form, proposal=proposal,
                 admin_url=_admin_url(request, component), status_code=400)


# ------------------------------------------------------------------------------------ merge, split, import

@post("/admin/merge", opt=MANAGE)
async def merge(request: Request, db: DB, component: CurrentComponent) -> Template | Redirect:
    """From the list: the form of the new proposal; from that form: the merge itself."""
    data = await request.form()
    selected = _selected(data)
    originals = await links.originals(db, component, selected)
    if len(originals) < 2:
        return await _admin_page(request, db, component, checked=frozenset(selected), status_code=400,
                                 error=_(request, N_("Select at least two proposals of this component.")))
    if "title" not in data:
        form = _form(request, MergeForm, initial={"title": originals[0].title, "body": "\n\n".join(
            services.html_to_text(proposal.body) for proposal in originals)})
        return _page(request, "proposals/admin/merge.html", component, form=form, originals=originals,
                     admin_url=_admin_url(request, component))
    form = _form(request, MergeForm, {key: data.get(key) for key in ("title", "body")})
    if form.validate():
        try:
            merged = await links.merge(db, component, selected, form.result.title, form.result.body,
                                       current_locale.get())
        except services.ProposalError as error:
            form.add_error(error.field, _(request, error.message))
        else:
            admin_log.log(request, component, "proposals.merge", merged.title, proposal_ids=selected,
                          proposal_id=merged.id)
            await db.commit()
            flash(request, _(request, N_("The proposals are merged into this one.")))
            return Redirect(f"{_base(request, component)}/{merged.id}", status_code=303)
    return _page(request, "proposals/admin/merge.html", component, form=form, originals=originals,
                 admin_url=_admin_url(request, component), status_code=400)


async def _splittable(db: DB, request: Request, component: Component, proposal_id: int) -> Proposal:
    proposal = await _proposal(db, request, component, proposal_id)
    if proposal.state == "draft":
        raise NotFoundException()
    return proposal


@get("/admin/split/{proposal_id:int}", opt=MANAGE)
async def split_form(request: Request, db: DB, component: CurrentComponent, proposal_id: FromPath[int]) -> Template:
    """Two to five proposals to write in place of this one."""
    proposal = await _splittable(db, request, component, proposal_id)
    form = _form(request, SplitForm, initial={"title_1": proposal.title, "body_1": services.html_to_text(proposal.body)})
    return _page(request, "proposals/admin/split.html", component, proposal=proposal, form=form,
                 admin_url=_admin_url(request, component))


@post("/admin/split/{proposal_id:int}", opt=MANAGE)
async def split(request: Request, db: DB, component: CurrentComponent,
                proposal_id: FromPath[int]) -> Template | Redirect:
    proposal = await _splittable(db, request, component, proposal_id)
    form = _form(request, SplitForm, dict(await request.form()))
    if form.validate():
        for name in form.result.incomplete():
            form.add_error(name, _(request, N_("Fill in this field.")))
    if form.valid:
        try:
            made = await links.split(db, component, proposal, form.result.parts())
        except services.ProposalError as error:
            form.add_error(error.field, _(request, error.message))
        else:
            admin_log.log(request, component, "proposals.split", proposal.title, proposal_id=proposal.id,
                          proposal_ids=[part.id for part in made])
            await db.commit()
            flash(request, request.app.state.catalogs.ngettext(
                "The proposal is split into %(num)s proposal.", "The proposal is split into %(num)s proposals.",
                len(made)))
            return Redirect(f"{_base(request, component)}/{proposal.id}", status_code=303)
    return _page(request, "proposals/admin/split.html", component, proposal=proposal, form=form, status_code=400,
                 admin_url=_admin_url(request, component))


def _source_choices(request: Request, sources: list[Component]) -> list[tuple[str, str]]:
    locale = current_locale.get()
    return [(str(source.id), f"{translated(source.space.title, locale)} · {translated(source.name, locale)}")
            for source in sources]


@get("/admin/import", opt=MANAGE)
async def import_form(request: Request, db: DB, component: CurrentComponent) -> Template:
    """Import proposals from another proposals component of the organization."""
    sources = await links.import_sources(db, component, await actor_of(request))
    form = evaluation_page.form(request, ImportForm, source_id=_source_choices(request, sources))
    return _page(request, "proposals/admin/import.html", component, form=form, sources=sources,
                 admin_url=_admin_url(request, component))


@post("/admin/import", opt=MANAGE)
async def import_proposals(request: Request, db: DB, component: CurrentComponent) -> Template | Redirect:
    actor = await actor_of(request)
    sources = await links.import_sources(db, component, actor)
    form = evaluation_page.form(request, ImportForm, dict(await request.form()),
                                source_id=_source_choices(request, sources))
    if form.validate():
        try:
            copied = await links.import_from(db, component, actor, form.result.source_id, form.result.only_accepted)
        except services.ProposalError as error:
            form.add_error(error.field, _(request, error.message))
        else:
            admin_log.log(request, component, "proposals.import", source_id=form.result.source_id, imported=copied)
            await db.commit()
            flash(request, request.app.state.catalogs.ngettext(
                "%(num)s proposal is imported.", "%(num)s proposals are imported.", copied))
            return Redirect(_admin_url(request, component), status_code=303)
    return _page(request, "proposals/admin/import.html", component, form=form, sources=sources, status_code=400,
                 admin_url=_admin_url(request, component))


ROUTES = [add_note, admin_index, assign, export_xlsx, states, add_state, edit_state, save_state, delete_state,
          answers_form, answers_upload, merge, split_form, split, import_form, import_proposals, official_form,
          publish_official, edit_official_form, edit_official]
