"""HTTP of a participatory text's administration: import (a Markdown file or pasted text), preview, edit an
article, publish. The rules are in participatory_texts.py; these routes live inside the component's admin
area, so the space's guard and the component's checks apply, and only the space's admins pass."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from core.auth import flash
from core.forms import Form
from core.i18n import N_, current_locale
from core.models import Component
from core.spaces import CurrentComponent
from core.uploads import MEGABYTE, UploadRefused, read_limited
from core.web import DB
from plugins.proposals import participatory_texts, services
from plugins.proposals.participatory_texts import ArticleForm, TextForm
from plugins.proposals.routes import _, _base, _form, _page

MANAGE = {"permission": "proposals.manage"}


def _url(request: Request, component: Component) -> str:
    return f"{_base(request, component)}/admin/participatory-text"


async def _text_page(request: Request, db: DB, component: Component, form: Form | None = None,
                     status_code: int = 200) -> Template:
    text = await participatory_texts.text_of(db, component)
    if form is None:
        initial = {"title": text.title, "description": text.description, "markdown": text.source} if text else None
        form = _form(request, TextForm, initial=initial)
    pieces = await participatory_texts.drafts(db, component)
    return _page(request, "proposals/participatory_texts/admin.html", component, status_code=status_code,
                 form=form, text=text, pieces=participatory_texts.outline(pieces),
                 admin_url=f"{_base(request, component)}/admin", text_url=_url(request, component),
                 max_megabytes=participatory_texts.MAX_BYTES // MEGABYTE)


@get("/admin/participatory-text", opt=MANAGE)
async def text_form(request: Request, db: DB, component: CurrentComponent) -> Template:
    """The text: the form to import it and, once imported, the preview of its sections and articles."""
    return await _text_page(request, db, component)


def _article_title(request: Request) -> Any:
    return lambda number: _(request, N_("Article %(number)s"), number=number)


# A file and the text already in the form (a file's text comes back in it when it has a problem).
BODY_LIMIT = 2 * participatory_texts.MAX_BYTES + MEGABYTE


@post("/admin/participatory-text", opt=MANAGE, request_max_body_size=BODY_LIMIT)
async def import_text(request: Request, db: DB, component: CurrentComponent) -> Template | Redirect:
    """Import the text from the file chosen or, without one, the Markdown pasted, as drafts to preview."""
    data = await request.form()
    form = _form(request, TextForm, {key: value for key, value in data.items() if isinstance(value, str)})
    file = data.get("file")
    try:
        if isinstance(file, UploadFile) and file.filename:
            # The file's text takes the place of the pasted one, so that a problem shows in what it says.
            form.raw["markdown"] = participatory_texts.decode(
                await read_limited(file, participatory_texts.MAX_BYTES))
        if form.validate():
            made = await participatory_texts.import_text(
                db, request.app.state.registry, component, title=form.result.title,
                description=form.result.description, markdown=form.result.markdown,
                language=current_locale.get(), article_title=_article_title(request))
            await db.commit()
            flash(request, request.app.state.catalogs.ngettext(
                "%(num)s section or article is ready: check them and publish the text.",
                "%(num)s sections and articles are ready: check them and publish the text.", len(made)))
            return Redirect(f"{_url(request, component)}#preview", status_code=303)
    except UploadRefused as refused:
        form.add_error("file", refused.translated(request.app.state.catalogs.gettext))
    except services.ProposalError as error:
        form.add_error(error.field, _(request, error.message))
    finally:
        for value in data.values():
            if hasattr(value, "close"):
                await value.close()
    return await _text_page(request, db, component, form=form, status_code=400)


@post("/admin/participatory-text/publish", opt=MANAGE)
async def publish_text(request: Request, db: DB, component: CurrentComponent) -> Template | Redirect:
    """Publish every section and article of the text at once."""
    try:
        published = await participatory_texts.publish_text(db, component)
    except services.ProposalError as error:
        form = _form(request, TextForm)
        form.add_error("__all__", _(request, error.message))
        return await _text_page(request, db, component, form=form, status_code=400)
    await db.commit()
    flash(request, request.app.state.catalogs.ngettext(
        "The text is published with %(num)s section or article.",
        "The text is published with %(num)s sections and articles.", published))
    return Redirect(f"{_base(request, component)}/", status_code=303)


async def _article(db: DB, component: Component, proposal_id: int) -> Any:
    try:
        return await participatory_texts.draft_article(db, component, proposal_id)
    except LookupError:
        raise NotFoundException() from None


@get("/admin/participatory-text/{proposal_id:int}", opt=MANAGE)
async def article_form(request: Request, db: DB, component: CurrentComponent, proposal_id: FromPath[int]) -> Template:
    """One article's text, to correct before the text is published."""
    proposal = await _article(db, component, proposal_id)
    form = _form(request, ArticleForm,
                 initial={"text": await participatory_texts.article_source(db, component, proposal)})
    return _page(request, "proposals/participatory_texts/article.html", component, proposal=proposal, form=form,
                 text_url=_url(request, component))


@post("/admin/participatory-text/{proposal_id:int}", opt=MANAGE)
async def save_article(request: Request, db: DB, component: CurrentComponent,
                       proposal_id: FromPath[int]) -> Template | Redirect:
    proposal = await _article(db, component, proposal_id)
    form = _form(request, ArticleForm, dict(await request.form()))
    if form.validate():
        try:
            await participatory_texts.edit_article(db, component, proposal, form.result.text)
        except services.ProposalError as error:
            form.add_error(error.field, _(request, error.message))
        else:
            await db.commit()
            flash(request, _(request, N_("The article is saved.")))
            return Redirect(f"{_url(request, component)}#article-{proposal.id}", status_code=303)
    return _page(request, "proposals/participatory_texts/article.html", component, proposal=proposal, form=form,
                 text_url=_url(request, component), status_code=400)


ROUTES = [text_form, import_text, publish_text, article_form, save_article]
