"""The rules of attachments: what a page lists, who may see a file, who may add or remove one, the
limits, and the hero image of a space. Routes call these; files go through ``core.uploads`` only.

Visibility is decided from what the file belongs to, every time it is served: a space's file follows
the space (published and public, or previewed by those who may), a resource's file follows the
component and the resource as its plugin describes it (``Attachable.load``), and moderation. A file
therefore disappears the moment its space is made private or its proposal hidden, with nothing to
re-index or move.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from litestar import Request
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from core.adminlog import record
from core.attachments.models import SPACE, Attachment, AttachmentCollection
from core.i18n import N_, translated
from core.manifest import Attachable, ResourceInfo
from core.models import Component, Space
from core.moderation.services import is_hidden, valid_id
from core.permissions import actor_of, allowed
from core.spaces.public import _may_preview, component_url
from core.spaces.services import settings_of
from core.uploads import KINDS, MEGABYTE, THUMBNAIL_BOX, Checked, Storage, Upload, guard, thumbnail

PURPOSE = "attachment"
"""The purpose of an attachment's file and of its thumbnail in ``core_uploads``."""
HERO_PURPOSE = "space_hero"
HERO_BOX = (1600, 900)
"""A hero image is shown across the top of a space's page: wider is never seen."""
SPACE_MAX_FILES = 200
"""A space's own files: generous, but a bound (a page lists them all)."""


class AttachmentError(Exception):
    """A rule said no; ``message`` is a message id, ``field`` the form field it belongs to."""

    def __init__(self, message: str, field: str = "__all__", **variables: Any) -> None:
        super().__init__(message % variables if variables else message)
        self.message = message
        self.field = field
        self.variables = variables

    def translated(self, gettext: Any) -> str:
        return gettext(self.message, **self.variables)


@dataclass(frozen=True)
class Limits:
    """How many files a resource may have and how large each may be."""

    max_files: int
    max_bytes: int

    @property
    def megabytes(self) -> int:
        return self.max_bytes // MEGABYTE


SPACE_LIMITS = Limits(SPACE_MAX_FILES, KINDS["attachment"].max_bytes)


# ---------------------------------------------------------------- what a page lists


@dataclass
class Files:
    """The files of one resource as a page shows them: a gallery, documents, and folders of documents."""

    images: list[Attachment] = field(default_factory=list)
    documents: list[Attachment] = field(default_factory=list)
    """Documents outside any folder."""
    folders: list[tuple[AttachmentCollection, list[Attachment]]] = field(default_factory=list)
    """Every folder of the resource, with its documents (an admin page shows the empty ones too)."""
    all: list[Attachment] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.all)

    @property
    def collections(self) -> list[AttachmentCollection]:
        return [collection for collection, _ in self.folders]


async def files_of(session: AsyncSession, organization_id: int, resource_type: str, resource_id: int,
                   folders: bool = True) -> Files:
    """Every file of a resource, ordered, with their uploads: two queries, however many files there are
    (one without ``folders``: only a space's admins make folders, so a component's resources have none)."""
    attachments = (await session.scalars(
        select(Attachment).where(Attachment.organization_id == organization_id,
                                 Attachment.resource_type == resource_type, Attachment.resource_id == resource_id)
        .options(joinedload(Attachment.upload), joinedload(Attachment.thumbnail))
        .order_by(Attachment.weight, Attachment.id)
    )).all()
    collections = [] if not folders else (await session.scalars(
        select(AttachmentCollection).where(AttachmentCollection.organization_id == organization_id,
                                           AttachmentCollection.resource_type == resource_type,
                                           AttachmentCollection.resource_id == resource_id)
        .order_by(AttachmentCollection.weight, AttachmentCollection.id)
    )).all()
    files = Files(all=list(attachments))
    in_folder: dict[int, list[Attachment]] = {collection.id: [] for collection in collections}
    for attachment in attachments:
        if attachment.upload.is_image:
            files.images.append(attachment)
        elif attachment.collection_id in in_folder:
            in_folder[attachment.collection_id].append(attachment)
        else:
            files.documents.append(attachment)
    files.folders = [(collection, in_folder[collection.id]) for collection in collections]
    return files


async def count_of(session: AsyncSession, resource_type: str, resource_id: int) -> int:
    return await session.scalar(select(func.count(Attachment.id)).where(
        Attachment.resource_type == resource_type, Attachment.resource_id == resource_id)) or 0


async def attachment_of(session: AsyncSession, organization_id: int, attachment_id: int) -> Attachment | None:
    """An attachment of this organization, with its files; another organization's id is not found."""
    if not valid_id(attachment_id):
        return None
    return await session.scalar(
        select(Attachment).where(Attachment.id == attachment_id, Attachment.organization_id == organization_id)
        .options(joinedload(Attachment.upload), joinedload(Attachment.thumbnail)))


async def collection_of(session: AsyncSession, organization_id: int, resource_type: str, resource_id: int,
                        collection_id: int) -> AttachmentCollection | None:
    """A folder of this very resource; any other id is not found."""
    if not valid_id(collection_id):
        return None
    return await session.scalar(select(AttachmentCollection).where(
        AttachmentCollection.id == collection_id, AttachmentCollection.organization_id == organization_id,
        AttachmentCollection.resource_type == resource_type, AttachmentCollection.resource_id == resource_id))


# ---------------------------------------------------------------- the contract with plugins


def attachable_of(registry: Any, component: Component, resource_type: str) -> Attachable | None:
    """What the component's type declares about this kind of resource, if it takes attachments."""
    manifest = registry.component_types.get(component.component_type)
    if manifest is None:
        return None
    return next((item for item in manifest.attachable if item.resource_type == resource_type), None)


def limits_of(registry: Any, component: Component, declared: Attachable) -> Limits:
    """The declared limits, overridden by the component's settings fields of the same meaning."""
    settings = settings_of(registry, component)
    max_files = getattr(settings, "attachments_max_files", declared.max_files)
    megabytes = getattr(settings, "attachments_max_megabytes", declared.max_megabytes)
    kind_limit = KINDS["attachment"].max_bytes
    return Limits(max(0, int(max_files)), max(MEGABYTE, min(kind_limit, int(megabytes) * MEGABYTE)))


# ---------------------------------------------------------------- who may see and do what


async def may_administer(request: Request, space: Space) -> bool:
    if request.state.get("user") is None:
        return False
    return allowed(request.app.state.registry.permissions, await actor_of(request), "space.admin", space)


async def space_visible(request: Request, space: Space) -> bool:
    """Whether this request may see the space: published and public, or a preview for those who may."""
    if space.organization_id != request.state.organization.id:
        return False
    return (space.published and not space.private) or await _may_preview(request, space)


async def component_visible(request: Request, component: Component) -> bool:
    """The same rule as a component's own pages (``component.space`` loaded)."""
    registry = request.app.state.registry
    if component.archived_at is not None or component.component_type not in registry.component_types:
        return False
    space = component.space
    if space.organization_id != request.state.organization.id:
        return False
    if component.published and space.published and not space.private:
        return True
    return await _may_preview(request, space)


@dataclass(frozen=True)
class Access:
    """What this request may do with the files of one resource of a component."""

    info: ResourceInfo
    declared: Attachable
    limits: Limits
    may_attach: bool
    """May add files, and remove them (the author, while the plugin allows it)."""
    may_remove: bool
    """May remove any of its files (the author while attaching, the space's admins always)."""


async def resource_access(request: Request, component: Component, resource_type: str,
                          resource_id: int | None, shown: ResourceInfo | None = None) -> Access | None:
    """The resource if this request may see it, with what it may do to its files; None: a 404.

    ``component`` has been checked already (it is the request's ``CurrentComponent``). ``shown`` is the
    resource as its own page, which has just decided that this request sees it, describes it: then
    neither the plugin nor moderation is asked again.
    """
    registry = request.app.state.registry
    declared = attachable_of(registry, component, resource_type)
    if declared is None or not valid_id(resource_id):
        return None
    session = request.state.db
    info = shown or await declared.load(session, component, resource_id)
    if info is None:
        return None
    user = request.state.get("user")
    administers = await may_administer(request, component.space)
    author = user is not None and info.author_id is not None and info.author_id == user.id
    if shown is None and await is_hidden(session, resource_type, resource_id) and not administers:
        return None
    if shown is None and not info.visible and not (author or administers):
        return None
    limits = limits_of(registry, component, declared)
    may_attach = bool(author and limits.max_files > 0 and declared.author_may_attach is not None
                      and await declared.author_may_attach(session, registry, component, resource_id, user))
    return Access(info=info, declared=declared, limits=limits, may_attach=may_attach,
                  may_remove=may_attach or administers)


async def may_see(request: Request, attachment: Attachment) -> bool:
    """Whether this request may see the thing an attachment belongs to (space, component, component loaded)."""
    if attachment.component_id is None:
        return await space_visible(request, attachment.space)
    component = attachment.component
    if component is None or not await component_visible(request, component):
        return False
    return await resource_access(request, component, attachment.resource_type, attachment.resource_id) is not None


@guard(PURPOSE)
async def attachment_file_visible(request: Request, upload: Upload) -> bool:
    """``core.uploads`` serves an attachment's file, or its thumbnail, only to who may see its resource."""
    attachment = await request.state.db.scalar(
        select(Attachment).where(or_(Attachment.upload_id == upload.id, Attachment.thumbnail_upload_id == upload.id),
                                 Attachment.organization_id == upload.organization_id)
        .options(joinedload(Attachment.space), joinedload(Attachment.component).joinedload(Component.space)))
    return attachment is not None and await may_see(request, attachment)


@guard(HERO_PURPOSE)
async def hero_file_visible(request: Request, upload: Upload) -> bool:
    """A hero image is seen by who may see its space (a draft's by its admins, for the preview)."""
    space = await request.state.db.scalar(select(Space).where(Space.hero_upload_id == upload.id,
                                                              Space.organization_id == upload.organization_id))
    return space is not None and await space_visible(request, space)


# ---------------------------------------------------------------- changing


def _texts(languages: Sequence[str], values: dict[str, str]) -> dict[str, str]:
    return {locale: " ".join(text.split()) for locale, text in values.items() if locale in languages and text.strip()}


async def add(session: AsyncSession, files: Storage, checked: Checked, *, space: Space,
              component: Component | None, resource_type: str, resource_id: int, owner_user_id: int | None,
              title: dict[str, str], description: dict[str, str] | None = None, weight: int = 0,
              collection_id: int | None = None, limits: Limits = SPACE_LIMITS) -> Attachment:
    """Store a checked file as an attachment of a resource, with a thumbnail for a large image.

    Refuses (``AttachmentError``) beyond the resource's number of files, and a folder of another resource.
    The caller commits; a rollback deletes the written files again (``core.uploads``).
    """
    if await count_of(session, resource_type, resource_id) >= limits.max_files:
        raise AttachmentError(N_("No more files can be attached here: the limit is %(count)s."), "file",
                              count=limits.max_files)
    if collection_id is not None and await collection_of(session, space.organization_id, resource_type,
                                                         resource_id, collection_id) is None:
        raise AttachmentError(N_("Choose one of the folders."), "collection_id")
    upload = await files.save(session, checked, organization_id=space.organization_id, owner_user_id=owner_user_id,
                              kind="attachment", purpose=PURPOSE)
    small = None
    if checked.width and checked.height and (checked.width > THUMBNAIL_BOX[0] or checked.height > THUMBNAIL_BOX[1]):
        small = await files.save(session, await thumbnail(checked), organization_id=space.organization_id,
                                 owner_user_id=owner_user_id, kind="attachment", purpose=PURPOSE)
    attachment = Attachment(
        organization_id=space.organization_id, space_id=space.id,
        component_id=component.id if component is not None else None, resource_type=resource_type,
        resource_id=resource_id, collection_id=collection_id, upload_id=upload.id,
        thumbnail_upload_id=small.id if small else None, title=title, description=description or {},
        weight=weight,
    )
    session.add(attachment)
    await session.flush()
    attachment.upload, attachment.thumbnail = upload, small
    return attachment


async def update(session: AsyncSession, attachment: Attachment, *, title: dict[str, str],
                 description: dict[str, str], weight: int, collection_id: int | None) -> None:
    """Change what is said about a file (not the file: a new one is a new attachment)."""
    if collection_id is not None and await collection_of(session, attachment.organization_id,
                                                         attachment.resource_type, attachment.resource_id,
                                                         collection_id) is None:
        raise AttachmentError(N_("Choose one of the folders."), "collection_id")
    attachment.title, attachment.description = title, description
    attachment.weight, attachment.collection_id = weight, collection_id


async def remove(session: AsyncSession, files: Storage, attachment: Attachment) -> None:
    """Delete an attachment; its files go once the deletion is committed (``attachment.upload`` loaded)."""
    upload, small = attachment.upload, attachment.thumbnail
    await session.delete(attachment)
    await session.flush()
    await files.remove(session, upload)
    if small is not None:
        await files.remove(session, small)


async def remove_all(session: AsyncSession, files: Storage, resource_type: str, resource_ids: Sequence[int]) -> int:
    """Delete every file and folder of these resources: for a plugin that deletes a resource (a draft
    discarded). Its ids may be given again to a new resource, which must not inherit them."""
    if not resource_ids:
        return 0
    attachments = (await session.scalars(
        select(Attachment).where(Attachment.resource_type == resource_type,
                                 Attachment.resource_id.in_(list(resource_ids)))
        .options(joinedload(Attachment.upload), joinedload(Attachment.thumbnail)))).all()
    for attachment in attachments:
        await remove(session, files, attachment)
    for collection in await session.scalars(select(AttachmentCollection).where(
            AttachmentCollection.resource_type == resource_type,
            AttachmentCollection.resource_id.in_(list(resource_ids)))):
        await session.delete(collection)
    return len(attachments)


async def add_collection(session: AsyncSession, space: Space, *, resource_type: str, resource_id: int,
                         component: Component | None, name: dict[str, str], description: dict[str, str],
                         weight: int) -> AttachmentCollection:
    collection = AttachmentCollection(
        organization_id=space.organization_id, space_id=space.id,
        component_id=component.id if component is not None else None, resource_type=resource_type,
        resource_id=resource_id, name=name, description=description, weight=weight)
    session.add(collection)
    await session.flush()
    return collection


async def remove_collection(session: AsyncSession, collection: AttachmentCollection) -> None:
    """Delete a folder; its documents stay, outside any folder."""
    await session.delete(collection)


# ---------------------------------------------------------------- a space's own files (its admins)


async def add_to_space(session: AsyncSession, files: Storage, space: Space, actor: Any, checked: Checked, *,
                       languages: Sequence[str], title: dict[str, str], description: dict[str, str], weight: int,
                       collection_id: int | None) -> Attachment:
    attachment = await add(session, files, checked, space=space, component=None, resource_type=SPACE,
                           resource_id=space.id, owner_user_id=actor.id, title=_texts(languages, title),
                           description=_texts(languages, description), weight=weight, collection_id=collection_id)
    record(session, space.organization_id, actor, "attachment.create", translated(attachment.title),
           space_id=space.id, attachment_id=attachment.id)
    return attachment


async def update_in_space(session: AsyncSession, space: Space, actor: Any, attachment: Attachment, *,
                          languages: Sequence[str], title: dict[str, str], description: dict[str, str], weight: int,
                          collection_id: int | None) -> None:
    await update(session, attachment, title=_texts(languages, title), description=_texts(languages, description),
                 weight=weight, collection_id=collection_id)
    record(session, space.organization_id, actor, "attachment.update", translated(attachment.title),
           space_id=space.id, attachment_id=attachment.id)


async def remove_from_space(session: AsyncSession, files: Storage, space: Space, actor: Any,
                            attachment: Attachment) -> None:
    record(session, space.organization_id, actor, "attachment.delete", translated(attachment.title),
           space_id=space.id)
    await remove(session, files, attachment)


async def space_attachment(session: AsyncSession, space: Space, attachment_id: int) -> Attachment | None:
    """One of the space's own files; a file of another space or of a resource is not found."""
    attachment = await attachment_of(session, space.organization_id, attachment_id)
    if attachment is None or (attachment.resource_type, attachment.resource_id) != (SPACE, space.id):
        return None
    return attachment


async def add_space_collection(session: AsyncSession, space: Space, actor: Any, *, languages: Sequence[str],
                               name: dict[str, str], description: dict[str, str],
                               weight: int) -> AttachmentCollection:
    collection = await add_collection(session, space, resource_type=SPACE, resource_id=space.id, component=None,
                                      name=_texts(languages, name), description=_texts(languages, description),
                                      weight=weight)
    record(session, space.organization_id, actor, "attachment_collection.create", translated(collection.name),
           space_id=space.id)
    return collection


async def remove_space_collection(session: AsyncSession, space: Space, actor: Any,
                                  collection: AttachmentCollection) -> None:
    record(session, space.organization_id, actor, "attachment_collection.delete", translated(collection.name),
           space_id=space.id)
    await remove_collection(session, collection)


# ---------------------------------------------------------------- a resource's files (its author, the space's admins)


async def attach_to_resource(session: AsyncSession, files: Storage, registry: Any, component: Component,
                             access: Access, resource_id: int, user: Any, checked: Checked, title: str,
                             language: str) -> Attachment:
    """A participant attaches a file to their own resource (a proposal), within the component's limits."""
    if not access.may_attach:
        raise AttachmentError(N_("Files cannot be attached to this any more."))
    return await add(session, files, checked, space=component.space, component=component,
                     resource_type=access.declared.resource_type, resource_id=resource_id, owner_user_id=user.id,
                     title={language: " ".join(title.split())}, limits=access.limits)


async def resource_attachment(session: AsyncSession, component: Component, attachment_id: int) -> Attachment | None:
    """A file of a resource of this component; anything else is not found."""
    attachment = await attachment_of(session, component.space.organization_id, attachment_id)
    if attachment is None or attachment.component_id != component.id:
        return None
    return attachment


def resource_path(registry: Any, component: Component, access: Access) -> str:
    """The address of the resource's page, where its files are shown."""
    return component_url(registry, component) + access.info.path


# ---------------------------------------------------------------- hero image of a space


async def hero_of(session: AsyncSession, space: Space) -> Upload | None:
    if space.hero_upload_id is None:
        return None
    return await session.get(Upload, space.hero_upload_id)


async def set_hero(session: AsyncSession, files: Storage, space: Space, actor: Any, checked: Checked) -> Upload:
    """Make a checked image the space's hero; the one it replaces is deleted with its file."""
    previous = await hero_of(session, space)
    upload = await files.save(session, checked, organization_id=space.organization_id, owner_user_id=actor.id,
                              kind="image", purpose=HERO_PURPOSE)
    space.hero_upload_id = upload.id
    await session.flush()
    if previous is not None:
        await files.remove(session, previous)
    record(session, space.organization_id, actor, "space.hero", translated(space.title), space_id=space.id)
    return upload


async def remove_hero(session: AsyncSession, files: Storage, space: Space, actor: Any) -> None:
    previous = await hero_of(session, space)
    if previous is None:
        return
    space.hero_upload_id = None
    await session.flush()
    await files.remove(session, previous)
    record(session, space.organization_id, actor, "space.hero", translated(space.title), space_id=space.id)


# ---------------------------------------------------------------- what a resource's page needs


@dataclass
class Panel:
    """The files of a resource and what this request may do with them, for ``attachments/macros.html``."""

    files: Files
    access: Access | None
    action: str
    """Where the component's attachment routes are (``<component address>/attachments``)."""
    resource_type: str
    resource_id: int

    def __bool__(self) -> bool:
        return bool(self.files) or bool(self.access and self.access.may_attach)

    @property
    def room(self) -> int:
        """How many more files may be attached."""
        return max(0, self.access.limits.max_files - len(self.files.all)) if self.access else 0


async def panel_for(request: Request, component: Component, resource_type: str, resource_id: int,
                    shown: ResourceInfo | None = None) -> Panel:
    """What a plugin's page passes to its template to show a resource's files.

    A page that has loaded and checked the resource passes ``shown`` (its title, path and author):
    the files then cost one query (two more for its author, whom the plugin asks whether they may attach).
    """
    access = await resource_access(request, component, resource_type, resource_id, shown)
    files = await files_of(request.state.db, component.space.organization_id, resource_type, resource_id,
                           folders=False) if access is not None else Files()
    return Panel(files=files, access=access,
                 action=component_url(request.app.state.registry, component) + "/attachments",
                 resource_type=resource_type, resource_id=resource_id)
