"""Deleting a whole space, and the files of a space or a component that goes.

The database deletes a space's rows by cascade (components, phases, categories, members and, through
the components, what plugins keep), but not two things:

- **Files.** Attachments and the hero image point at ``core_uploads`` rows, each with a file on disk.
  Their rows are deleted in the transaction and their files only once it is committed
  (``core.uploads.Storage.remove``, the pattern of ``core.exports.delete_with_files``): a rollback
  keeps both, and a file whose row is gone is never offered.
- **Order.** Proposals point at core categories with no ``ON DELETE`` on purpose (a category in use
  is never deleted alone), and PostgreSQL may check that reference before the cascade through the
  components has reached the proposals. So the components go first, in their own statement, taking
  every plugin's rows with them; then the space, taking the categories.

Follows name what they follow by type and id, with no reference the database could cascade, so they are
deleted here too (``remove_follows``): those of the space, and those of the resources of its components
that core knows of (see there).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, select, union
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from core import adminlog
from core.attachments.models import Attachment, AttachmentCollection
from core.comments.models import Comment
from core.events import Event
from core.follows import Follow
from core.i18n import translated
from core.models import Component, Space
from core.search.models import IndexedDocument
from core.uploads import Storage, Upload


async def remove_files(session: AsyncSession, files: Storage, space: Space,
                       component_ids: Sequence[int] | None = None) -> int:
    """Delete the attachments and folders of a space (of everything in it), or only of these components of
    it; their files go once the transaction is committed. How many attachments."""
    scope = [Attachment.space_id == space.id]
    folders = [AttachmentCollection.space_id == space.id]
    if component_ids is not None:
        if not component_ids:
            return 0
        scope.append(Attachment.component_id.in_(list(component_ids)))
        folders.append(AttachmentCollection.component_id.in_(list(component_ids)))
    attachments = (await session.scalars(
        select(Attachment).where(*scope).options(joinedload(Attachment.upload), joinedload(Attachment.thumbnail))
    )).all()
    uploads = [upload for attachment in attachments for upload in (attachment.upload, attachment.thumbnail)
               if upload is not None]
    await session.execute(delete(Attachment).where(Attachment.id.in_([each.id for each in attachments]))
                          .execution_options(synchronize_session=False))
    await session.execute(delete(AttachmentCollection).where(*folders).execution_options(synchronize_session=False))
    for upload in uploads:
        await files.remove(session, upload)
    await session.flush()
    return len(attachments)


async def remove_follows(session: AsyncSession, space: Space) -> None:
    """Delete the follows of a space and of the resources of its components (before the components go).

    A plugin's resources ("proposals.proposal") are in tables core does not read, so they are found where
    core keeps them with their component: the search index (what is public), the events (what something
    happened to, drafts included) and the comments (what was commented on). A resource that is in none of
    them (a draft nobody commented on, of a plugin that publishes no event for it) keeps its follows: they
    name an id that no longer exists and nobody is told anything about it.
    """
    await session.execute(delete(Follow).where(Follow.resource_type == "space", Follow.resource_id == space.id))
    components = select(Component.id).where(Component.space_id == space.id).scalar_subquery()
    found = union(
        select(IndexedDocument.resource_type, IndexedDocument.resource_id)
        .where(IndexedDocument.component_id.in_(components)),
        select(Event.resource_type, Event.resource_id).where(Event.component_id.in_(components)),
        select(Comment.resource_type, Comment.resource_id).where(Comment.component_id.in_(components)),
    ).subquery()
    kinds = (await session.scalars(select(found.c.resource_type).distinct()
                                   .where(found.c.resource_type.not_in(("space", "user"))))).all()
    # One statement per kind of resource, on the index of follows by (resource_type, resource_id).
    for kind in kinds:
        await session.execute(delete(Follow).where(
            Follow.resource_type == kind,
            Follow.resource_id.in_(select(found.c.resource_id).where(found.c.resource_type == kind)),
        ).execution_options(synchronize_session=False))


async def what_goes(session: AsyncSession, space: Space) -> dict[str, int]:
    """What deleting the space takes with it, for the page that asks to confirm: components and files."""
    components = await session.scalar(select(func.count(Component.id)).where(Component.space_id == space.id))
    attachments = await session.scalar(select(func.count(Attachment.id)).where(Attachment.space_id == space.id))
    return {"components": components or 0, "files": attachments or 0}


async def delete_space(session: AsyncSession, files: Storage, space: Space, admin: Any) -> None:
    """Delete a space and everything in it: its components with what people contributed there, its phases,
    categories, members, files and hero image. The caller commits; the files go then."""
    await remove_files(session, files, space)
    if space.hero_upload_id is not None:
        hero = await session.get(Upload, space.hero_upload_id)
        space.hero_upload_id = None
        await session.flush()
        if hero is not None:
            await files.remove(session, hero)
    await remove_follows(session, space)  # while the components, and so where their resources are, still exist
    # Components before categories: see the module's docstring.
    await session.execute(delete(Component).where(Component.space_id == space.id)
                          .execution_options(synchronize_session=False))
    adminlog.record(session, space.organization_id, admin, "space.delete", translated(space.title),
                    space_id=space.id)
    await session.execute(delete(Space).where(Space.id == space.id).execution_options(synchronize_session=False))
    session.expunge(space)
