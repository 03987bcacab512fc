"""An organization's logo: an uploaded image (core.uploads), re-encoded, shown beside the platform's.

System administrators set it when they set up an organization, and the organization's own admins on
their appearance page; both go through these two functions. ``Organization.logo`` keeps the address
of the file (``/uploads/<key>``), so the header shows it without a query; the upload row's purpose
finds the file again when the logo is replaced or removed, and its file goes once that commits.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Organization
from core.uploads import Checked, Storage, Upload

PURPOSE = "organization_logo"
BOX = (512, 512)
"""The header shows the logo at 40 pixels; a larger box keeps it sharp on dense screens, no more."""


async def _remove_files(session: AsyncSession, storage: Storage, organization: Organization) -> None:
    for upload in (await session.scalars(select(Upload).where(
            Upload.organization_id == organization.id, Upload.purpose == PURPOSE))).all():
        await storage.remove(session, upload)


async def set_logo(session: AsyncSession, storage: Storage, organization: Organization, checked: Checked,
                   uploader_id: int | None = None) -> Upload:
    """Store a checked image as the organization's logo; the previous one is deleted with this commit."""
    await _remove_files(session, storage, organization)
    upload = await storage.save(session, checked, organization_id=organization.id, owner_user_id=uploader_id,
                                kind="image", purpose=PURPOSE)
    organization.logo = upload.url
    return upload


async def remove_logo(session: AsyncSession, storage: Storage, organization: Organization) -> None:
    """Show only the platform's logo again; the file goes with this commit."""
    await _remove_files(session, storage, organization)
    organization.logo = None
