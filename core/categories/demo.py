"""Demo categories: the themes of the demo processes, one of them with subcategories."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from core.categories.models import Category
from core.models import Space

CATEGORIES = {
    # space slug: [(name, [subcategory names])]; proposals' demo seeds find them by their English names
    "pressupostos-2027": [
        ({"ca": "Espai públic", "es": "Espacio público", "en": "Public space"},
         [{"ca": "Verd urbà", "es": "Verde urbano", "en": "Urban greenery"}]),
        ({"ca": "Mobilitat", "es": "Movilidad", "en": "Mobility"}, []),
        ({"ca": "Equipaments", "es": "Equipamientos", "en": "Facilities"}, []),
    ],
    "pla-de-mobilitat": [
        ({"ca": "A peu", "es": "A pie", "en": "Walking"}, []),
        ({"ca": "Bicicleta", "es": "Bicicleta", "en": "Cycling"}, []),
        ({"ca": "Transport públic", "es": "Transporte público", "en": "Public transport"}, []),
    ],
}


async def seed_categories(session: AsyncSession, space: Space) -> None:
    """The demo categories of a space, if it has some (before its components are seeded, which use them)."""
    for weight, (name, children) in enumerate(CATEGORIES.get(space.slug, [])):
        parent = Category(space_id=space.id, name=name, weight=weight)
        session.add(parent)
        await session.flush()
        session.add_all([Category(space_id=space.id, parent_id=parent.id, name=child, weight=index)
                         for index, child in enumerate(children)])
    await session.flush()
