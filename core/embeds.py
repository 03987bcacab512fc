"""Embeds: a small card of a public thing that a municipality or an association puts on its own website
in an ``<iframe>``, with a link to take part here.

Only embeds may be framed by other sites: their responses carry ``frame-ancestors *`` and no
``X-Frame-Options`` (``core.observability.security_headers`` leaves a response's own policy alone),
while every other page stays ``frame-ancestors 'none'``. An embed shows only what anybody may see: a
published, public space (never an admin's preview, nor a private space to its members, since the
card is shown to whoever visits the other site), and components give theirs the same way
(``render_embed`` with the plugin's template, after their own public checks).

The space page and the components' pages offer the code to copy (``embed_code`` in templates).
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.params import FromPath
from litestar.response import Template
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.models import Space
from core.observability import CONTENT_SECURITY_POLICY
from core.web import DB, CurrentOrganization, render

PUBLIC = {"permission": "public"}
FRAMEABLE_POLICY = CONTENT_SECURITY_POLICY.replace("frame-ancestors 'none'", "frame-ancestors *")


def render_embed(request: Request, template_name: str, **context: Any) -> Template:
    """An embed page: the theme's ``embeds/base.html`` family, which any site may frame."""
    response = render(request, template_name, **context)
    response.headers["content-security-policy"] = FRAMEABLE_POLICY
    return response


def space_routes(space_type: Any) -> list[Any]:
    """The embed of each space of a type, mounted below ``/<url_prefix>/{space_slug}``."""

    @get("/embed", name=f"space_embed:{space_type.name}", opt=PUBLIC)
    async def space_embed(request: Request, db: DB, organization: CurrentOrganization,
                          space_slug: FromPath[str]) -> Template:
        """A card of the space: title, subtitle, its phase now and a link to it; 404 unless public."""
        from core.activity.routes import public_space  # imported here: core.activity imports core.spaces

        found = await public_space(db, organization.id, space_type.name, space_slug)
        space = await db.scalar(select(Space).where(Space.id == found.id)
                                .options(selectinload(Space.active_phase)))
        return render_embed(request, "embeds/space.html", space=space, space_type=space_type,
                            url=f"/{space_type.url_prefix}/{space.slug}")

    return [space_embed]
