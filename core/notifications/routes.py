"""Pages of notifications: the list, the settings, the unsubscribe link of mails, and the follow button."""

from __future__ import annotations

from typing import Any

from babel.dates import format_date
from litestar import Request, get, post
from litestar.exceptions import HTTPException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.accounts.models import User
from core.auth import flash
from core.follows import follow, followable, unfollow
from core.forms import Form
from core.i18n import N_, current_locale, to_local, translated
from core.models import Organization
from core.notifications import services
from core.notifications.mails import notification_text, unsubscribe_user_id
from core.notifications.schemas import DeliveryChoice
from core.web import DB, CurrentOrganization, render, safe_next

SIGNED_IN = {"permission": "authenticated"}
UNSUBSCRIBE = {"permission": "public", "terms_exempt": True}
"""The link of every notification mail: it works without logging in, and before new terms are accepted."""


def _(request: Request, message: str, **variables: Any) -> str:
    return request.app.state.catalogs.gettext(message, **variables)


# ---------------------------------------------------------------- the list


@get("/notifications", opt=SIGNED_IN)
async def notifications_page(request: Request, db: DB, page: FromQuery[int] = 1) -> Template:
    """A person's notifications, newest first, a page at a time."""
    rows, page, pages = await services.page_of(db, request.state.user.id, page)
    gettext = request.app.state.catalogs.gettext
    items = [
        {"text": notification_text(gettext, event, actor), "title": translated(event.resource_title),
         "path": event.resource_path, "unread": notification.read_at is None,
         "datetime": notification.created_at.strftime("%Y-%m-%dT%H:%MZ"),
         "date": format_date(to_local(notification.created_at), format="medium", locale=current_locale.get())}
        for notification, event, actor in rows
    ]
    return render(request, "notifications/index.html", items=items, page=page, pages=pages)


@post("/notifications/read", opt=SIGNED_IN)
async def mark_all_read(request: Request, db: DB) -> Redirect:
    await services.mark_all_read(db, request.state.user.id)
    await db.commit()
    flash(request, _(request, N_("Your notifications are marked as read.")))
    return Redirect("/notifications", status_code=303)


# ---------------------------------------------------------------- settings


def _settings_page(request: Request, form: Form, status_code: int = 200) -> Template:
    return render(request, "notifications/settings.html", form=form, status_code=status_code)


@get("/account/notifications", opt=SIGNED_IN)
async def settings_page(request: Request, db: DB) -> Template:
    delivery = await services.delivery_of(db, request.state.user.id)
    return _settings_page(request, Form(DeliveryChoice, request.app.state.catalogs.gettext,
                                        initial={"delivery": delivery}))


@post("/account/notifications", opt=SIGNED_IN)
async def save_settings(request: Request, db: DB) -> Template | Redirect:
    data = await request.form()
    form = Form(DeliveryChoice, request.app.state.catalogs.gettext, {key: data.get(key) for key in data})
    if not form.validate():
        return _settings_page(request, form, status_code=400)
    await services.set_delivery(db, request.state.user.id, form.result.delivery)
    await db.commit()
    flash(request, _(request, N_("Your notification settings are saved.")))
    return Redirect("/account/notifications", status_code=303)


# ---------------------------------------------------------------- unsubscribe without logging in


async def _unsubscribing(request: Request, db: AsyncSession, organization: Organization, token: str) -> User | None:
    user_id = unsubscribe_user_id(request.app.state.settings, organization.id, token)
    if user_id is None:
        return None
    return await db.scalar(select(User).where(User.id == user_id, User.organization_id == organization.id,
                                              User.deleted_at.is_(None)))


@get("/notifications/unsubscribe/{token:str}", opt=UNSUBSCRIBE)
async def unsubscribe_page(request: Request, db: DB, organization: CurrentOrganization,
                           token: FromPath[str]) -> Template:
    """A button, not an action: mail scanners that open links must not unsubscribe anybody."""
    valid = await _unsubscribing(request, db, organization, token) is not None
    return render(request, "notifications/unsubscribe.html", token=token, valid=valid, done=False,
                  status_code=200 if valid else 404)


@post("/notifications/unsubscribe/{token:str}", opt=UNSUBSCRIBE)
async def unsubscribe(request: Request, db: DB, organization: CurrentOrganization, token: FromPath[str]) -> Template:
    user = await _unsubscribing(request, db, organization, token)
    if user is None:
        return render(request, "notifications/unsubscribe.html", token=token, valid=False, done=False,
                      status_code=404)
    await services.set_delivery(db, user.id, "never")
    await db.commit()
    return render(request, "notifications/unsubscribe.html", token=token, valid=True, done=True)


# ---------------------------------------------------------------- following


async def _followed(request: Request) -> tuple[str, int, str]:
    form = await request.form()
    try:
        return str(form.get("resource_type") or ""), int(str(form.get("resource_id") or "")), safe_next(form.get("next"))
    except ValueError:
        raise HTTPException(status_code=400) from None


@post("/follow", opt=SIGNED_IN)
async def follow_route(request: Request, db: DB, organization: CurrentOrganization) -> Redirect:
    """The follow button (macros/follow.html): follow, then back to the page it was on."""
    resource_type, resource_id, next_path = await _followed(request)
    user = request.state.user
    if not await followable(db, request.app.state.registry, organization, user, resource_type, resource_id):
        raise HTTPException(status_code=400)
    await follow(db, user.id, resource_type, resource_id)
    await db.commit()
    flash(request, _(request, N_("You follow this now: we will tell you what happens.")))
    return Redirect(next_path, status_code=303)


@post("/unfollow", opt=SIGNED_IN)
async def unfollow_route(request: Request, db: DB) -> Redirect:
    """The same button once following: stop, then back to the page."""
    resource_type, resource_id, next_path = await _followed(request)
    await unfollow(db, request.state.user.id, resource_type, resource_id)
    await db.commit()
    flash(request, _(request, N_("You no longer follow this.")))
    return Redirect(next_path, status_code=303)


ROUTES = [notifications_page, mark_all_read, settings_page, save_settings, unsubscribe_page, unsubscribe,
          follow_route, unfollow_route]
