"""Demo content: the pages a municipality would write for a new process."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Component
from plugins.pages.services import add_page

DEMO_PAGES = [
    (
        {"ca": "Què és aquest procés", "es": "Qué es este proceso", "en": "What this process is"},
        {
            "ca": "<p>Durant els propers mesos decidirem junts com invertir part del pressupost municipal.</p>",
            "es": "<p>Durante los próximos meses decidiremos juntos cómo invertir parte del presupuesto municipal.</p>",
            "en": "<p>Over the coming months we will decide together how to spend part of the municipal budget.</p>",
        },
    ),
    (
        {"ca": "Com participar", "es": "Cómo participar", "en": "How to take part"},
        {
            "ca": "<ol><li>Registra't amb el teu correu.</li><li>Fes propostes i comenta les dels altres.</li>"
                  "<li>Vota a la fase de votació.</li></ol><p>També pots venir a l'oficina d'atenció ciutadana.</p>",
            "es": "<ol><li>Regístrate con tu correo.</li><li>Haz propuestas y comenta las de los demás.</li>"
                  "<li>Vota en la fase de votación.</li></ol><p>También puedes venir a la oficina de atención ciudadana.</p>",
            "en": "<ol><li>Sign up with your e-mail.</li><li>Make proposals and comment on others'.</li>"
                  "<li>Vote in the voting phase.</li></ol><p>You can also come to the citizens' service desk.</p>",
        },
    ),
]


async def seed(session: AsyncSession, component: Component, locales: list[str]) -> None:
    """Two pages in every locale the organization offers."""
    component.name = {"ca": "Informació", "es": "Información", "en": "Information"}
    for title, body in DEMO_PAGES:
        await add_page(
            session, component,
            title={k: v for k, v in title.items() if k in locales},
            body={k: v for k, v in body.items() if k in locales},
        )
