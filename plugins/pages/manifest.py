"""The pages component type: pages of text inside a space."""

from __future__ import annotations

from core.i18n import N_
from core.manifest import Commentable, ComponentManifest, EmptySettings, Export, Statistic
from plugins.pages import routes, seeds, services
from plugins.pages.schemas import PagesSettings

manifest = ComponentManifest(
    name="pages",
    title=N_("Pages"),
    description=N_("Pages of text about a space: what it is, how to take part, frequent questions."),
    settings=PagesSettings,
    phase_settings=EmptySettings,
    actions=(),
    public_routes=(routes.index, routes.show),
    exports=(Export(name="pages", rows=services.export_rows, public=True),),
    statistics=(Statistic(name="pages", title=N_("Pages"), count=services.count_pages),),
    search=services.search_documents,
    seed=seeds.seed,
    # Pages are the organization's own texts: people comment on them, but report only the comments.
    commentable=(Commentable(resource_type="pages.page", load=services.commentable_page, reportable=False),),
)
