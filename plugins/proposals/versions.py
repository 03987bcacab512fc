"""The version history of proposals: every text a published proposal has had, and what changed.

Publishing writes version 1; an author's edit and an accepted amendment each write the next. A proposal
published before the history existed has no rows until its first change, which first writes the text it
had as version 1 (the migration also starts every such proposal's history), so nothing is lost.

Differences are shown word by word on the plain text (bodies are sanitised HTML): ``difflib`` compares the
words, and each word is escaped before it is wrapped in ``<ins>`` or ``<del>``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import utcnow
from plugins.proposals.amendment_models import Version
from plugins.proposals.models import Proposal

_TOKENS = re.compile(r"\S+\s*|\s+")


def _plain(html: str) -> str:
    # Imported here: services imports this module to record the versions it makes.
    from plugins.proposals.services import html_to_text
    return html_to_text(html)


def diff(old: str, new: str) -> Markup:
    """``new`` against ``old`` (plain texts), word by word: removed words in ``<del>``, added in ``<ins>``."""
    before, after = _TOKENS.findall(old), _TOKENS.findall(new)
    parts: list[str] = []
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for operation, start, end, new_start, new_end in matcher.get_opcodes():
        if operation == "equal":
            parts.append(str(escape("".join(after[new_start:new_end]))))
            continue
        if operation in ("delete", "replace"):
            parts.append(f"<del>{escape(''.join(before[start:end]))}</del>")
        if operation in ("insert", "replace"):
            parts.append(f"<ins>{escape(''.join(after[new_start:new_end]))}</ins>")
    return Markup("".join(parts))


@dataclass(frozen=True)
class Change:
    """What one version changed from the one before (nothing for the first): the history page's rows."""

    version: Version
    title: Markup
    body: Markup
    first: bool


def text_diff(old_title: str, old_body: str, new_title: str, new_body: str) -> tuple[Markup, Markup]:
    """The differences of a title and a body (sanitised HTML) from an earlier title and body."""
    return diff(old_title, new_title), diff(_plain(old_body), _plain(new_body))


async def versions_of(session: AsyncSession, proposal: Proposal) -> list[Version]:
    """The proposal's versions, first to last, in one query; a proposal published before the history
    existed has its current text as version 1 (a row not added to the session)."""
    rows = list((await session.scalars(
        select(Version).where(Version.proposal_id == proposal.id).order_by(Version.number))).all())
    if rows or proposal.state == "draft":
        return rows
    return [Version(proposal_id=proposal.id, number=1, title=proposal.title, body=proposal.body,
                    author_id=proposal.author_id, author=proposal.author,
                    created_at=proposal.published_at or proposal.created_at)]


def changes(versions: Sequence[Version]) -> list[Change]:
    """Each version with its differences from the one before, newest first."""
    found = []
    previous: Version | None = None
    for version in versions:
        if previous is None:
            found.append(Change(version, Markup(escape(version.title)), Markup(escape(_plain(version.body))), True))
        else:
            title, body = text_diff(previous.title, previous.body, version.title, version.body)
            found.append(Change(version, title, body, False))
        previous = version
    return list(reversed(found))


async def record(session: AsyncSession, proposal: Proposal, author_id: int | None, amendment_id: int | None = None,
                 before: tuple[str, str] | None = None) -> Version | None:
    """Write the proposal's current text as its next version. ``before`` is the text it had until now: a
    proposal without a history yet gets it as version 1 first. Nothing is written when the text is the
    same as the last version's (an edit of the address alone) or the proposal is a draft."""
    if proposal.state == "draft":
        return None
    last = (await session.execute(
        select(Version.number, Version.title, Version.body).where(Version.proposal_id == proposal.id)
        .order_by(Version.number.desc()).limit(1))).first()
    number = last.number if last else 0
    if last is None and before is not None:
        session.add(Version(proposal_id=proposal.id, number=1, title=before[0], body=before[1],
                            author_id=proposal.author_id, created_at=proposal.published_at or proposal.created_at))
        number, last_text = 1, before
    else:
        last_text = (last.title, last.body) if last else None
    if last_text == (proposal.title, proposal.body):
        return None
    version = Version(proposal_id=proposal.id, number=number + 1, title=proposal.title, body=proposal.body,
                      author_id=author_id, amendment_id=amendment_id, created_at=utcnow())
    session.add(version)
    await session.flush()
    return version

