"""Public profiles: ``/profiles/<nickname>`` shows a person of the request's organization.

Only what exists is shown (name, nickname, picture, since when they take part), with the follow button,
the person's followers (the latest ``FOLLOWERS_SHOWN``; all of them at ``/profiles/<nickname>/followers``),
groups and activity in the template's ``sections`` block.
"""

from __future__ import annotations

from babel.dates import format_skeleton
from litestar import Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from core.accounts.models import User
from core.activity.services import timeline
from core.follows import FOLLOWERS_PER_PAGE, FOLLOWERS_SHOWN, followers_of, is_following
from core.groups.services import groups_of_person
from core.i18n import current_locale
from core.web import DB, CurrentOrganization, render

PROFILE_ACTIVITY = 5
"""The latest public activity of the person shown on their profile; the rest is at /profiles/<nickname>/activity."""


async def find_profile(db: AsyncSession, organization_id: int, nickname: str) -> User | None:
    """A person whose profile may be shown: confirmed, neither blocked nor deleted, of this organization."""
    return await db.scalar(
        select(User).options(joinedload(User.avatar)).where(
            User.organization_id == organization_id, User.nickname == nickname.lower(),
            User.confirmed_at.is_not(None), User.blocked_at.is_(None), User.deleted_at.is_(None),
        )
    )


@get("/profiles/{nickname:str}", opt={"permission": "public"})
async def profile(request: Request, db: DB, organization: CurrentOrganization, nickname: FromPath[str]) -> Template:
    person = await find_profile(db, organization.id, nickname)
    if person is None:
        raise NotFoundException()
    viewer = request.state.user
    followers, followers_total = await followers_of(db, person.id, per_page=FOLLOWERS_SHOWN)
    return render(request, "profiles/profile.html", person=person,
                  member_since=format_skeleton("yMMMM", person.created_at, locale=current_locale.get()),
                  groups=await groups_of_person(db, person.id),
                  activity=(await timeline(db, request.app.state.registry, request.app.state.catalogs.gettext,
                                           organization.id, actor_id=person.id, limit=PROFILE_ACTIVITY)).entries,
                  followers=followers, followers_total=followers_total,
                  may_follow=viewer is None or viewer.id != person.id,
                  following=viewer is not None and await is_following(db, viewer, "user", person.id))


@get("/profiles/{nickname:str}/followers", opt={"permission": "public"})
async def followers(request: Request, db: DB, organization: CurrentOrganization, nickname: FromPath[str],
                    page: FromQuery[int] = 1) -> Template:
    """Everybody who follows the person, a page at a time."""
    person = await find_profile(db, organization.id, nickname)
    if person is None:
        raise NotFoundException()
    people, total = await followers_of(db, person.id, page)
    pages = max(1, -(-total // FOLLOWERS_PER_PAGE))
    return render(request, "profiles/followers.html", person=person, followers=people, total=total,
                  page=min(max(page, 1), pages), pages=pages)


ROUTES = [profile, followers]
