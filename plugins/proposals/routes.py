"""HTTP of a proposals component; core has already checked the space and the component.

Writing a proposal is a wizard that works without JavaScript: write (a draft is saved), see
similar proposals, complete, preview, publish. The draft is kept until it is published or
discarded, so an author can leave and come back.
"""

from __future__ import annotations

import random
from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from core import page_cache
from core.accounts.routes import form_data
from core.attachments import services as attachments
from core.auth import flash
from core.categories import services as category_services
from core.comments.services import thread_for
from core.forms import Form
from core.groups import services as group_services
from core.i18n import N_, current_locale
from core.manifest import ResourceInfo
from core.models import Component
from core.observability import content_security_policy
from core.permissions import actor_of, allowed
from core.ratelimit import RateLimit
from core.scopes import services as scope_services
from core.spaces import CurrentComponent, component_url
from core.spaces.admin import locales_of
from core.uploads import storage
from core.verifications.permissions import require_authorization
from core.web import DB, render, safe_next
from plugins.proposals import (
    admin_log,
    amendment_routes,
    collaborative_drafts,
    endorsement_routes,
    evaluation,
    evaluation_page,
    geolocation,
    links,
    official,
    participatory_texts,
    services,
)
from plugins.proposals.models import AnswerState, Proposal
from plugins.proposals.schemas import ClassificationForm, ProposalText

READ = {"permission": "public"}
CACHED = {**READ, "page_cache": True}
"""Public pages whose answers to anonymous visitors are kept for a few seconds (core.page_cache)."""
CREATE = {"permission": "proposals.create"}
SUPPORT = {"permission": "proposals.support"}
ANSWER = {"permission": "proposals.answer"}
EVALUATE = {"permission": "proposals.evaluate"}
CLASSIFY = {"permission": "proposals.classify"}
SEED_COOKIE = "proposals_seed"
UNREAD = object()
"""What ``_show_page`` was given for something the page has not read yet."""


def _(request: Request, message: str, **variables: Any) -> str:
    return request.app.state.catalogs.gettext(message, **variables)


def _form(request: Request, schema: type, data: Any = None, initial: Any = None, choices: Any = None) -> Form:
    return Form(schema, request.app.state.catalogs.gettext, data, initial=initial,
                locales=locales_of(request.state.organization), choices=choices)


def _classification_choices(request: Request, categories: list[Any], scopes: list[Any]) -> dict[str, Any]:
    """The options of the category and scope fields: the space's categories, the organization's scopes."""
    return {"category_id": category_services.choices(categories, _(request, N_("No category"))),
            "scope_id": scope_services.choices(scopes, _(request, N_("The space's own")))}


def _base(request: Request, component: Component) -> str:
    return component_url(request.app.state.registry, component)


def _page(request: Request, template: str, component: Component, status_code: int = 200, **context: Any) -> Template:
    registry = request.app.state.registry
    return render(request, template, component=component, space=component.space, base_url=_base(request, component),
                  settings=services.settings(registry, component), phase=services.phase(registry, component),
                  status_code=status_code, **context)


async def _proposal(db: DB, request: Request, component: Component, proposal_id: int) -> Proposal:
    try:
        return await services.proposal_for(db, component, proposal_id, request.state.get("user"))
    except LookupError:
        raise NotFoundException() from None


async def _draft(db: DB, request: Request, component: Component, proposal_id: int) -> Proposal:
    proposal = await _proposal(db, request, component, proposal_id)
    if proposal.state != "draft":
        raise NotFoundException()
    return proposal


async def _attachments(request: Request, component: Component, proposal: Proposal) -> attachments.Panel:
    """The proposal's files for its page; the page has checked who may see it, so core does not ask again."""
    shown = ResourceInfo(title=proposal.title, path=f"/{proposal.id}", author_id=proposal.author_id)
    return await attachments.panel_for(request, component, services.RESOURCE_TYPE, proposal.id, shown=shown)


def _error(request: Request, error: services.ProposalError) -> str:
    return _(request, error.message)


# ------------------------------------------------------------------------------------ list and page

@get("/", opt=CACHED)
async def index(request: Request, db: DB, component: CurrentComponent) -> Template:
    """The proposals, filtered and ordered as asked; the random order keeps its seed per visitor."""
    if services.settings(request.app.state.registry, component).participatory_texts_enabled:
        user = request.state.get("user")
        return _page(request, "proposals/participatory_texts/document.html", component,
                     may_evaluate=user is not None and evaluation.may_evaluate(await actor_of(request), component.space),
                     **await participatory_texts.document(db, request.app.state.registry, component, user))
    kept_seed = _kept_seed(request)
    filters = services.Filters.parse(request.query_params, kept_seed or random.randint(1, 999_999))
    _vary_on_seed(request, filters)
    categories, scopes = await services.classifications(db, component)
    filters.narrow(categories, scopes, component.space.scope_id)
    user = request.state.get("user")
    registry = request.app.state.registry
    proposals, total = await services.listing(db, registry, component, user, filters)
    pages = max(1, -(-total // services.PER_PAGE))
    supported = await services.supported_ids(db, user, [proposal.id for proposal in proposals])
    response = _page(request, "proposals/index.html", component, proposals=proposals, total=total, pages=pages,
                     filters=filters, supported=supported, may_support=services.may_support(registry, component),
                     answer_states=await evaluation.states_of(db, component),
                     may_evaluate=user is not None and evaluation.may_evaluate(await actor_of(request), component.space),
                     category_choices=category_services.choices(categories, "")[1:],
                     scope_choices=scope_services.choices(scopes, "")[1:])
    if filters.order == "random" and filters.seed != kept_seed:
        # The same shuffle for a few hours, so a visitor paging through finds every proposal once. Set only
        # when it changes: an answer that sets no cookie can be kept for the next visitor (core.page_cache).
        response.set_cookie(SEED_COOKIE, str(filters.seed), max_age=6 * 3600, httponly=True, samesite="lax",
                            secure=request.url.scheme == "https", path=_base(request, component))
    return response


def _kept_seed(request: Request) -> int | None:
    """The seed of the random order kept in the visitor's cookie."""
    seed = request.cookies.get(SEED_COOKIE, "")
    return int(seed) if seed.isdigit() and 0 < int(seed) < 1_000_000 else None


def _vary_on_seed(request: Request, filters: services.Filters) -> None:
    """A page in the random order depends on the visitor's seed, unless its address gives one (every link
    of the list does); in any other order the seed is in no link, and the page is the same for everyone."""
    if filters.order == "random" and "seed" not in request.query_params:
        page_cache.vary(request, SEED_COOKIE)


@get("/{proposal_id:int}", opt=CACHED)
async def show(request: Request, db: DB, component: CurrentComponent,
               proposal_id: FromPath[int]) -> Template | Redirect:
    try:
        proposal, supported, state, draft = await services.proposal_and_support(db, component, proposal_id,
                                                                                request.state.get("user"))
    except LookupError:
        raise NotFoundException() from None
    if proposal.state == "draft":
        return Redirect(f"{_base(request, component)}/{proposal.id}/preview")
    return await _show_page(db, request, component, proposal, supported=supported, state=state, draft=draft)


async def _show_page(db: DB, request: Request, component: Component, proposal: Proposal,
                     answer: Form | None = None, note: Form | None = None,
                     classification: Form | None = None, supported: bool | None = None,
                     state: AnswerState | None = None, draft: Any = UNREAD) -> Template:
    """The proposal's page; ``answer`` and ``note`` are the evaluation's forms as sent, when they have errors,
    ``supported``, ``state`` and ``draft`` what the page's reading of the proposal found (else they are read
    here)."""
    user = request.state.get("user")
    registry = request.app.state.registry
    sent = answer if answer is not None and answer.errors else note if note is not None and note.errors else None
    if classification is not None and classification.errors:
        sent = classification
    evaluated = await evaluation_page.evaluation_context(request, db, component, proposal, answer, note, state)
    if collaborative_drafts.enabled(registry, component):
        # The collaborative draft it was written in, first among the proposals it is linked to.
        if draft is UNREAD:
            draft = await services.collaborative_draft_of(db, proposal)
        if draft is not None:
            evaluated["links"] = [links.LinkedProposal(
                N_("Written together in the collaborative draft"), draft[1],
                f"{collaborative_drafts.drafts_url(registry, component)}/{draft[0]}"), *evaluated["links"]]
    return _page(
        request, "proposals/show.html", component, proposal=proposal,
        thread=await thread_for(request, component, services.RESOURCE_TYPE, proposal.id),
        attachments=await _attachments(request, component, proposal),
        supported=supported if supported is not None
        else proposal.id in await services.supported_ids(db, user, [proposal.id]),
        may_support=services.may_support(registry, component),
        editable=services.editable(registry, component, proposal, user), status_code=400 if sent else 200,
        **evaluated,
        **await endorsement_routes.endorsement_context(request, db, component, proposal),
        **await amendment_routes.amendment_context(request, db, component, proposal),
        classification=await _classification(request, db, component, proposal, sent=classification),
        origin=await official.origin_of(db, registry, proposal),
    )


async def _classification(request: Request, db: DB, component: Component, proposal: Proposal,
                          data: Any = None, sent: Form | None = None) -> Form | None:
    """The form in which the space's admins file the proposal under a category and a scope; None for others."""
    if request.state.get("user") is None or not allowed(request.app.state.registry.permissions,
                                                        await actor_of(request), "proposals.classify",
                                                        component.space):
        return None
    if sent is not None:
        return sent
    categories, scopes = await services.classifications(db, component)
    return _form(request, ClassificationForm, data, choices=_classification_choices(request, categories, scopes),
                 initial={"category_id": proposal.category_id, "scope_id": proposal.scope_id})


# ------------------------------------------------------------------------------------ the wizard

@get("/new", opt=CREATE)
async def new(request: Request, db: DB, component: CurrentComponent) -> Template | Redirect:
    if services.settings(request.app.state.registry, component).participatory_texts_enabled:
        flash(request, _(request, services.PARTICIPATORY_TEXT))
        return Redirect(f"{_base(request, component)}/", status_code=303)
    await require_authorization(request, component, "create", _base(request, component) + "/")
    draft = await services.draft_of(db, component, request.state.user)
    initial = {"title": draft.title, "body": services.html_to_text(draft.body)} if draft else None
    return _page(request, "proposals/new.html", component, form=_form(request, ProposalText, initial=initial),
                 draft=draft)


@post("/new", opt=CREATE)
async def save_new(request: Request, db: DB, component: CurrentComponent) -> Template | Redirect:
    await require_authorization(request, component, "create", _base(request, component) + "/")
    form = _form(request, ProposalText, await form_data(request))
    if form.validate():
        try:
            proposal = await services.save_draft(db, request.app.state.registry, component, request.state.user,
                                                 form.result, current_locale.get())
        except services.ProposalError as error:
            form.add_error(error.field, _error(request, error))
        else:
            await db.commit()
            return Redirect(f"{_base(request, component)}/{proposal.id}/compare", status_code=303)
    return _page(request, "proposals/new.html", component, form=form, draft=None, status_code=400)


@get("/{proposal_id:int}/compare", opt=CREATE)
async def compare(request: Request, db: DB, component: CurrentComponent, proposal_id: FromPath[int]) -> Template:
    proposal = await _draft(db, request, component, proposal_id)
    return _page(request, "proposals/compare.html", component, proposal=proposal,
                 similar=await services.similar(db, component, proposal))


async def _details(request: Request, db: DB, component: Component, proposal: Proposal, data: Any = None) -> Form:
    categories, scopes = await services.classifications(db, component)
    schema = geolocation.details_schema(services.settings(request.app.state.registry, component))
    return _form(request, schema, data, choices=_classification_choices(request, categories, scopes),
                 initial={"title": proposal.title, "body": services.html_to_text(proposal.body),
                          "address": proposal.address or "", "category_id": proposal.category_id,
                          "scope_id": proposal.scope_id, "latitude": proposal.latitude,
                          "longitude": proposal.longitude})


async def _details_page(request: Request, template: str, component: Component, status_code: int = 200,
                        **context: Any) -> Template:
    """The complete step or the edit form. Where the component places proposals on a map, it offers a map
    to pick the place on (js/proposals-map-picker.js, which loads Leaflet only when asked): the tiles'
    address and where the map opens go in the page (one query), and only this page's policy lets images
    come from the tile server."""
    if not services.settings(request.app.state.registry, component).geolocation_enabled:
        return _page(request, template, component, status_code=status_code, picker=None, **context)
    app_settings = request.app.state.settings
    picker = {"tiles_url": app_settings.map_tiles_url, "attribution": app_settings.map_attribution,
              "host": app_settings.map_tiles_origin.partition("://")[2].removeprefix("*."),
              "near": await geolocation.near(request.state.db, component.id)}
    response = _page(request, template, component, status_code=status_code, picker=picker, **context)
    response.headers["content-security-policy"] = content_security_policy([app_settings.map_tiles_origin])
    return response


@get("/{proposal_id:int}/complete", opt=CREATE)
async def complete(request: Request, db: DB, component: CurrentComponent, proposal_id: FromPath[int]) -> Template:
    proposal = await _draft(db, request, component, proposal_id)
    return await _details_page(request, "proposals/complete.html", component, proposal=proposal,
                               form=await _details(request, db, component, proposal))


@post("/{proposal_id:int}/complete", opt=CREATE)
async def save_complete(request: Request, db: DB, component: CurrentComponent,
                        proposal_id: FromPath[int]) -> Template | Redirect:
    proposal = await _draft(db, request, component, proposal_id)
    form = await _details(request, db, component, proposal, await form_data(request))
    if form.validate():
        try:
            await services.complete_draft(db, request.app.state.registry, component, proposal, form.result)
        except services.ProposalError as error:
            form.add_error(error.field, _error(request, error))
        else:
            await db.commit()
            return Redirect(f"{_base(request, component)}/{proposal.id}/preview", status_code=303)
    return await _details_page(request, "proposals/complete.html", component, proposal=proposal, form=form,
                               status_code=400)


@get("/{proposal_id:int}/preview", opt=CREATE)
async def preview(request: Request, db: DB, component: CurrentComponent, proposal_id: FromPath[int]) -> Template:
    proposal = await _draft(db, request, component, proposal_id)
    return _page(request, "proposals/preview.html", component, proposal=proposal, error="",
                 author_groups=await group_services.author_groups(db, request.state.user),
                 attachments=await _attachments(request, component, proposal))


@post("/{proposal_id:int}/publish", opt=CREATE)
async def publish(request: Request, db: DB, component: CurrentComponent,
                  proposal_id: FromPath[int]) -> Template | Redirect:
    proposal = await _draft(db, request, component, proposal_id)
    chosen = (await form_data(request)).get("user_group_id") or ""
    try:
        await services.publish(db, request.app.state.registry, component, proposal,
                               user_group_id=group_services.parse_group_id(chosen))
    except services.ProposalError as error:
        return _page(request, "proposals/preview.html", component, proposal=proposal,
                     error=_error(request, error), status_code=400, chosen=chosen,
                     author_groups=await group_services.author_groups(db, request.state.user))
    await db.commit()
    flash(request, _(request, N_("Your proposal is published. Share it so others can support it.")))
    return Redirect(f"{_base(request, component)}/{proposal.id}", status_code=303)


@post("/{proposal_id:int}/discard", opt=CREATE)
async def discard(request: Request, db: DB, component: CurrentComponent, proposal_id: FromPath[int]) -> Redirect:
    proposal = await _draft(db, request, component, proposal_id)
    # Its files go with it: a later proposal may be given the same id.
    await attachments.remove_all(db, storage(request.app.state.settings), services.RESOURCE_TYPE, [proposal.id])
    await services.discard_draft(db, proposal)
    await db.commit()
    flash(request, _(request, N_("The draft is deleted.")))
    return Redirect(f"{_base(request, component)}/", status_code=303)


# ------------------------------------------------------------------------------------ the author

@get("/{proposal_id:int}/edit", opt=CREATE)
async def edit(request: Request, db: DB, component: CurrentComponent, proposal_id: FromPath[int]) -> Template:
    proposal = await _proposal(db, request, component, proposal_id)
    if not services.editable(request.app.state.registry, component, proposal, request.state.user):
        raise NotFoundException()
    return await _details_page(request, "proposals/edit.html", component, proposal=proposal,
                               form=await _details(request, db, component, proposal))


@post("/{proposal_id:int}/edit", opt=CREATE)
async def save_edit(request: Request, db: DB, component: CurrentComponent,
                    proposal_id: FromPath[int]) -> Template | Redirect:
    proposal = await _proposal(db, request, component, proposal_id)
    form = await _details(request, db, component, proposal, await form_data(request))
    if form.validate():
        try:
            await services.edit(db, request.app.state.registry, component, proposal, request.state.user, form.result)
        except services.ProposalError as error:
            form.add_error(error.field, _error(request, error))
        else:
            await db.commit()
            flash(request, _(request, N_("The changes are saved.")))
            return Redirect(f"{_base(request, component)}/{proposal.id}", status_code=303)
    return await _details_page(request, "proposals/edit.html", component, proposal=proposal, form=form,
                               status_code=400)


@post("/{proposal_id:int}/withdraw", opt=CREATE)
async def withdraw(request: Request, db: DB, component: CurrentComponent, proposal_id: FromPath[int]) -> Redirect:
    proposal = await _proposal(db, request, component, proposal_id)
    try:
        await services.withdraw(db, proposal, request.state.user)
    except services.ProposalError as error:
        flash(request, _error(request, error))
    else:
        await db.commit()
        flash(request, _(request, N_("Your proposal is withdrawn.")))
    return Redirect(f"{_base(request, component)}/{proposal.id}", status_code=303)


# ------------------------------------------------------------------------------------ supports

def _support_limit(request: Request) -> RateLimit:
    return RateLimit(request.app.state.counters, "proposals-support", limit=60, window=60)


async def _support_action(request: Request, db: DB, component: Component, proposal_id: int, add: bool) -> Redirect:
    data = await form_data(request)
    back = safe_next(data.get("next"), f"{_base(request, component)}/{proposal_id}")
    if add:  # the verifications the space's admins require for supporting (withdrawing needs none)
        await require_authorization(request, component, "support", back)
    user = request.state.user
    limit = _support_limit(request)
    if await limit.exceeded(str(user.id)):
        flash(request, _(request, N_("Too many attempts; wait a moment and try again")))
        return Redirect(back, status_code=303)
    await limit.hit(str(user.id))
    try:
        if add:
            await services.support(db, request.app.state.registry, component, proposal_id, user)
        else:
            await services.withdraw_support(db, request.app.state.registry, component, proposal_id, user)
    except services.ProposalError as error:
        flash(request, _error(request, error))
    else:
        flash(request, _(request, N_("Your support is counted.") if add else N_("Your support is withdrawn.")))
    return Redirect(back, status_code=303)


@post("/{proposal_id:int}/support", opt=SUPPORT)
async def add_support(request: Request, db: DB, component: CurrentComponent, proposal_id: FromPath[int]) -> Redirect:
    return await _support_action(request, db, component, proposal_id, add=True)


@post("/{proposal_id:int}/unsupport", opt=SUPPORT)
async def remove_support(request: Request, db: DB, component: CurrentComponent,
                         proposal_id: FromPath[int]) -> Redirect:
    return await _support_action(request, db, component, proposal_id, add=False)


# ------------------------------------------------------------------------------------ answers

@post("/{proposal_id:int}/answer", opt=EVALUATE)
async def answer(request: Request, db: DB, component: CurrentComponent,
                 proposal_id: FromPath[int]) -> Template | Redirect:
    """An admin's answer, or a valuator's where the component allows it (evaluation.py has the rules)."""
    proposal = await _proposal(db, request, component, proposal_id)
    form = await evaluation_page.answer_form(request, db, component, await form_data(request))
    if await evaluation_page.save_answer(request, db, component, proposal, form):
        admin_log.log(request, component, "proposals.answer", proposal.title, proposal_id=proposal.id)
        await db.commit()
        flash(request, _(request, N_("The answer is saved.") if proposal.answer_published_at is None
                         else N_("The answer is published.")))
        return Redirect(f"{_base(request, component)}/{proposal.id}", status_code=303)
    return await _show_page(db, request, component, proposal, answer=form)


@post("/publish-answers", opt=ANSWER)
async def publish_answers(request: Request, db: DB, component: CurrentComponent) -> Redirect:
    """Publish every answer of the component kept back, then go back to the page the admin was on."""
    back = safe_next((await form_data(request)).get("next"), f"{_base(request, component)}/")
    published = await services.publish_answers(db, request.app.state.registry, component)
    if published:
        admin_log.log(request, component, "proposals.publish_answers", published=published)
    await db.commit()
    flash(request, request.app.state.catalogs.ngettext("%(num)s answer is published.",
                                                       "%(num)s answers are published.", published))
    return Redirect(back, status_code=303)


@post("/{proposal_id:int}/classify", opt=CLASSIFY)
async def classify(request: Request, db: DB, component: CurrentComponent,
                   proposal_id: FromPath[int]) -> Template | Redirect:
    """An admin of the space files the proposal under one of its categories and one of the scopes."""
    proposal = await _proposal(db, request, component, proposal_id)
    form = await _classification(request, db, component, proposal, await form_data(request))
    if form is not None and form.validate():
        try:
            await services.reclassify(db, component, proposal, form.result.category_id, form.result.scope_id)
        except services.ProposalError as error:
            form.add_error(error.field, _error(request, error))
        else:
            await db.commit()
            flash(request, _(request, N_("The category and the scope are saved.")))
            return Redirect(f"{_base(request, component)}/{proposal.id}", status_code=303)
    return await _show_page(db, request, component, proposal, classification=form)


ROUTES = [index, show, new, save_new, compare, complete, save_complete, preview, publish, discard, edit, save_edit,
          withdraw, add_support, remove_support, answer, publish_answers, classify]
