"""Files people upload: avatars, hero images of spaces, attachments (``core.attachments``).

Every feature that accepts a file goes through here, so the rules are written once:

- **Size.** The body is read in chunks and reading stops as soon as the kind's limit is passed;
  the route also sets ``request_max_body_size`` (``body_limit``) so that a huge request is cut
  before it is parsed.
- **Type.** The real type is sniffed from the first bytes (magic numbers). The file name and the
  browser's ``Content-Type`` are never believed: HTML renamed ``photo.png`` is refused. Each kind
  has an allow-list; SVG is never accepted (it is a document that can carry script). Documents are
  sniffed too: a PDF must end like one and name no script, launch action or embedded file; an
  ODT or DOCX is a zip whose manifest says so and that holds no macros; a text file is UTF-8
  without control characters or markup (HTML renamed ``notes.txt`` is refused).
- **Images are re-encoded with Pillow**, which is why Pillow is a dependency: checking a file's
  header proves nothing (a GIF can end with HTML, a JPEG can carry GPS coordinates in EXIF),
  and decoding the pixels and writing a brand-new file is the only safe way to accept an image.
  Only the decoder of the sniffed format is allowed to run; the EXIF orientation is applied,
  then the image is shrunk to fit a box and written again with no metadata at all (no EXIF, no
  ICC profile, no text chunks). Images with too many pixels (decompression bombs) and damaged
  or truncated files are refused with a clear message. GIF becomes PNG (first frame only).
- **Storage.** Files live under ``<data_dir>/uploads/<organization id>/`` with random names;
  the name the person gave is kept, cleaned, only as metadata for downloads. One row of
  ``core_uploads`` describes each file. A file written in a transaction that is rolled back is
  deleted, and a removed row's file is deleted only once the removal is committed.
- **Serving.** ``file_response`` sends a stored file with ``nosniff``, a sandboxing CSP and a
  ``Content-Disposition`` (inline for images, attachment otherwise). Public files are served by
  ``/uploads/{key}`` within the request's organization; private ones by
  ``/uploads/private/{key}``, to their logged-in owner only (rule ``upload.read``). Files of a
  *guarded* purpose (``guard``: attachments, hero images) belong to something that not everybody
  may see (a private space, a draft proposal): they are served by ``/uploads/guarded/{key}``
  only when the purpose's check says this person may see what the file belongs to.
- **Backups** include the uploads folder (see ``core.backup``).
"""

from __future__ import annotations

import io
import os
import re
import secrets
import unicodedata
import zipfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import anyio.to_thread
from litestar import Request, get
from litestar.datastructures import UploadFile
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import File
from PIL import Image, ImageOps
from sqlalchemy import Boolean, ForeignKey, Integer, String, event, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, Session, SessionTransaction, mapped_column

from core.db import Base, utcnow
from core.i18n import N_
from core.permissions import actor_of, allowed
from core.settings import Settings

MEGABYTE = 1024 * 1024
CHUNK = 64 * 1024
MAX_PIXELS = 40_000_000
"""Larger images are refused before their pixels are decoded (a 30000×30000 PNG of a few KB would
need gigabytes of memory). Pillow's own ``Image.MAX_IMAGE_PIXELS`` guard stays on behind this one."""

JPEG, PNG, WEBP, GIF, PDF = "image/jpeg", "image/png", "image/webp", "image/gif", "application/pdf"
ODT = "application/vnd.oasis.opendocument.text"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TEXT = "text/plain"
IMAGE_TYPES = frozenset({JPEG, PNG, WEBP, GIF})
DOCUMENT_TYPES = frozenset({PDF, ODT, DOCX, TEXT})
EXTENSIONS = {JPEG: ".jpg", PNG: ".png", WEBP: ".webp", PDF: ".pdf", ODT: ".odt", DOCX: ".docx", TEXT: ".txt"}
LABELS = {JPEG: "JPEG", PNG: "PNG", WEBP: "WebP", GIF: "GIF", PDF: "PDF", ODT: "ODT", DOCX: "DOCX", TEXT: "TXT"}
"""How a type is named to people next to a download link (the names are the same in every language)."""
PILLOW_FORMATS = {JPEG: "JPEG", PNG: "PNG", WEBP: "WEBP", GIF: "GIF"}
REENCODED_AS = {JPEG: JPEG, PNG: PNG, WEBP: WEBP, GIF: PNG}
"""What each accepted image type is written as (GIF: its first frame, as PNG)."""

MESSAGES = {
    "missing": N_("Choose a file to upload."),
    "empty": N_("The file is empty."),
    "too_large": N_("The file is larger than %(megabytes)s MB."),
    "too_many_pixels": N_("The image is too large: it may have at most %(megapixels)s million pixels."),
    "damaged": N_("The file could not be read: it may be damaged or incomplete. Try another one."),
    "active": N_("This PDF contains scripts, launch actions or embedded files, which are not accepted: "
                 "save it again as a plain PDF."),
}


@dataclass(frozen=True)
class Kind:
    """What a feature accepts: content types (sniffed), a size limit and, for images, the box they fit in."""

    types: frozenset[str]
    max_bytes: int
    refused: str
    """The message id when the type is not accepted; it says what is."""
    max_box: tuple[int, int] = (2048, 2048)

    @property
    def body_limit(self) -> int:
        """``request_max_body_size`` for a route taking one such file: the file and room for the other fields."""
        return self.max_bytes + MEGABYTE

    @property
    def accept(self) -> str:
        """For the ``accept`` attribute of the file input (a hint to the browser; the server decides)."""
        return ",".join(sorted(self.types))


KINDS = {
    "image": Kind(IMAGE_TYPES, 5 * MEGABYTE,
                  N_("This file type is not accepted: upload a JPEG, PNG, WebP or GIF image.")),
    "document": Kind(IMAGE_TYPES | {PDF}, 10 * MEGABYTE,
                     N_("This file type is not accepted: upload a PDF document or a JPEG, PNG, WebP or GIF image.")),
    # Attachments of spaces and of what people write: documents to read, images for a gallery.
    "attachment": Kind(IMAGE_TYPES | DOCUMENT_TYPES, 10 * MEGABYTE,
                       N_("This file type is not accepted: upload a PDF, ODT, DOCX or plain text document, or a "
                          "JPEG, PNG, WebP or GIF image.")),
}
THUMBNAIL_BOX = (480, 360)
"""Gallery thumbnails fit in this box; the full image keeps the kind's box."""


class UploadRefused(Exception):
    """The file cannot be accepted; ``message`` is a message id, ``variables`` fill its placeholders."""

    def __init__(self, message: str, **variables: Any) -> None:
        super().__init__(message % variables if variables else message)
        self.message = message
        self.variables = variables

    def translated(self, gettext: Any) -> str:
        return gettext(self.message, **self.variables)


# ---------------------------------------------------------------- the table


class Upload(Base):
    """One stored file. Features point at it (``core_users.avatar_upload_id``) rather than at a path."""

    __tablename__ = "core_uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("core_organizations.id", ondelete="CASCADE"), index=True)
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("core_users.id", ondelete="SET NULL"), index=True)
    """Who uploaded it; empty for the organization's own files. Private files are served to this person only."""
    key: Mapped[str] = mapped_column(String(32), unique=True)
    """Random; the file's address (``/uploads/<key>``) and its name on disk."""
    kind: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[str] = mapped_column(String(32))
    """What it is for ("avatar"); ``PERSONAL_PURPOSES`` are deleted with their owner's account."""
    path: Mapped[str] = mapped_column(String(255))
    """Relative to the uploads folder: ``<organization id>/<key[:2]>/<key>.<ext>``."""
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int | None]
    height: Mapped[int | None]
    original_name: Mapped[str] = mapped_column(String(255))
    """The name the person gave, cleaned; only ever used as the download's name."""
    private: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def url(self) -> str:
        if self.private:
            return f"/uploads/private/{self.key}"
        return f"/uploads/guarded/{self.key}" if self.purpose in GUARDS else f"/uploads/{self.key}"

    @property
    def type_label(self) -> str:
        """"PDF", "JPEG"...: what a person sees next to a download link."""
        return LABELS.get(self.content_type, self.content_type)

    @property
    def is_image(self) -> bool:
        return self.content_type in IMAGE_TYPES


PERSONAL_PURPOSES = frozenset({"avatar", "identity_document"})
"""Purposes whose files are deleted when their owner deletes the account."""


# ---------------------------------------------------------------- validation


@dataclass
class Checked:
    """A file that passed every check, ready to be stored: ``content`` is what will be written."""

    content: bytes
    content_type: str
    original_name: str
    width: int | None = None
    height: int | None = None


def sniff(head: bytes) -> str | None:
    """The type that the first bytes of a file announce, among those we ever accept."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"%PDF-"):
        return PDF
    return None


MAX_ZIP_ENTRIES = 2000
PDF_ACTIVE = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFiles?|RichMedia|XFA)\b")
MARKUP = re.compile(r"<\s*[!?/a-zA-Z]")


def sniff_document(data: bytes) -> str | None:
    """The document type of a whole file that announces no image or PDF: an ODT, a DOCX or plain text.

    ODT and DOCX are zip files: what makes one an ODT is its first entry ``mimetype`` holding that
    type, a DOCX its ``[Content_Types].xml`` naming a word-processing main part. Anything else in a
    zip (an archive, a spreadsheet, a macro-enabled document) is not accepted.
    """
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                entries = archive.infolist()
                if not entries or len(entries) > MAX_ZIP_ENTRIES:
                    return None
                names = {entry.filename for entry in entries}
                if any(name.startswith(("Basic/", "Scripts/")) or name.lower().endswith("vbaproject.bin")
                       for name in names):
                    return None  # macros: a document that runs code when it is opened
                if entries[0].filename == "mimetype" and entries[0].file_size < 100:
                    if archive.read("mimetype").strip() == ODT.encode():
                        return ODT
                    return None
                if "[Content_Types].xml" in names and "word/document.xml" in names:
                    if archive.getinfo("[Content_Types].xml").file_size > MEGABYTE:
                        return None  # a manifest is a few KB; this one would expand like a bomb
                    types = archive.read("[Content_Types].xml")
                    if b"wordprocessingml.document.main+xml" in types and b"macroEnabled" not in types:
                        return DOCX
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, NotImplementedError, EOFError):
            return None
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if any(ord(char) < 32 and char not in "\t\n\r\f" for char in text) or "\x7f" in text:
        return None
    if MARKUP.search(text):
        return None  # HTML, SVG or XML under a .txt name: a browser could be talked into running it
    return TEXT


def _pdf_is_passive(data: bytes) -> bool:
    """Whether a PDF names none of the things that make a reader run code or open other files.

    Names may be written with #xx escapes (/J#61vaScript), so they are decoded first. This reads what
    is not compressed; the real protection is that a PDF is only ever served as a download, in a sandbox.
    """
    decoded = re.sub(rb"#([0-9A-Fa-f]{2})", lambda match: bytes([int(match.group(1), 16)]), data)
    return PDF_ACTIVE.search(decoded) is None


UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*;]+')


def clean_name(name: str | None, content_type: str) -> str:
    """The file name to offer on download: no folders, no markup or control characters, the right extension."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[/\\]", name)[-1]
    stem = UNSAFE_NAME.sub("", name.rsplit(".", 1)[0] if "." in name else name)
    stem = " ".join(stem.split()).strip(". ")[:100] or "file"
    return stem + EXTENSIONS[content_type]


async def read_limited(file: UploadFile, limit: int) -> bytes:
    """Read an uploaded file in chunks, stopping as soon as it passes ``limit`` bytes."""
    await file.seek(0)
    buffer = bytearray()
    while chunk := await file.read(CHUNK):
        buffer += chunk
        if len(buffer) > limit:
            raise UploadRefused(MESSAGES["too_large"], megabytes=limit // MEGABYTE)
    return bytes(buffer)


def reencode(data: bytes, content_type: str, box: tuple[int, int]) -> tuple[bytes, str, int, int]:
    """Decode an image with the decoder of its sniffed format only, and write a new file from its pixels.

    Returns the new bytes, their type, width and height. Runs in a worker thread (it is CPU work).
    """
    try:
        with Image.open(io.BytesIO(data), formats=[PILLOW_FORMATS[content_type]]) as source:
            width, height = source.size
            if width * height > MAX_PIXELS:
                raise UploadRefused(MESSAGES["too_many_pixels"], megapixels=MAX_PIXELS // 1_000_000)
            source.seek(0)  # the first frame of an animation
            source.load()
            image = ImageOps.exif_transpose(source)
    except Image.DecompressionBombError:
        raise UploadRefused(MESSAGES["too_many_pixels"], megapixels=MAX_PIXELS // 1_000_000) from None
    except UploadRefused:
        raise
    except Exception:  # noqa: BLE001  (hostile input makes Pillow's decoders raise anything: OSError, SyntaxError...)
        raise UploadRefused(MESSAGES["damaged"]) from None
    target = REENCODED_AS[content_type]
    if target == JPEG and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    elif target != JPEG and image.mode not in ("RGB", "RGBA", "L"):
        image = image.convert("RGBA")  # palettes too: their transparency lives in the metadata dropped below
    image.thumbnail(box, Image.Resampling.LANCZOS)
    # Nothing of the original file but its pixels goes into the new one.
    image.info = {}
    output = io.BytesIO()
    if target == JPEG:
        image.save(output, "JPEG", quality=85, optimize=True)
    elif target == WEBP:
        image.save(output, "WEBP", quality=85)
    else:
        image.save(output, "PNG", optimize=True)
    return output.getvalue(), target, image.width, image.height


async def check(file: UploadFile | str | None, kind: str, box: tuple[int, int] | None = None,
                max_bytes: int | None = None) -> Checked:
    """Validate an uploaded file for a kind ("image", "document", "attachment"); UploadRefused says what is wrong.

    ``file`` is what the form holds under the field's name: a browser that sends no file sends
    an empty string there. ``box`` shrinks images further than the kind does (an avatar needs
    no 2048 pixels); ``max_bytes`` lowers the kind's size limit (a component's setting).
    """
    rules = KINDS[kind]
    if not isinstance(file, UploadFile):
        raise UploadRefused(MESSAGES["missing"])
    data = await read_limited(file, min(rules.max_bytes, max_bytes or rules.max_bytes))
    if not data:
        raise UploadRefused(MESSAGES["empty"])
    content_type = sniff(data[:16])
    if content_type is None and rules.types & {ODT, DOCX, TEXT}:
        content_type = sniff_document(data)
    if content_type not in rules.types:
        raise UploadRefused(rules.refused)
    if content_type == PDF:
        # A PDF cannot be re-encoded; it is only ever served as a download, in a sandbox.
        if b"%%EOF" not in data[-1024:]:
            raise UploadRefused(MESSAGES["damaged"])
        if not _pdf_is_passive(data):
            raise UploadRefused(MESSAGES["active"])
        return Checked(data, PDF, clean_name(file.filename, PDF))
    if content_type in DOCUMENT_TYPES:
        return Checked(data, content_type, clean_name(file.filename, content_type))
    content, stored_type, width, height = await anyio.to_thread.run_sync(
        reencode, data, content_type, box or rules.max_box)
    return Checked(content, stored_type, clean_name(file.filename, stored_type), width, height)


async def thumbnail(image: Checked, box: tuple[int, int] = THUMBNAIL_BOX) -> Checked:
    """A smaller copy of an image that was already checked (a gallery's thumbnail), with the same name."""
    content, stored_type, width, height = await anyio.to_thread.run_sync(reencode, image.content,
                                                                          image.content_type, box)
    return Checked(content, stored_type, image.original_name, width, height)


# ---------------------------------------------------------------- storage


@dataclass
class Storage:
    """The uploads folder of an install; one folder per organization inside it."""

    root: Path

    def path_of(self, upload: Upload) -> Path:
        return self.root / upload.path

    async def save(self, session: AsyncSession, checked: Checked, *, organization_id: int,
                   owner_user_id: int | None, kind: str, purpose: str, private: bool = False) -> Upload:
        """Write a checked file under a random name and add its row to the session (flushed).

        If the transaction is rolled back, the file is deleted again.
        """
        key = secrets.token_hex(16)
        relative = f"{organization_id}/{key[:2]}/{key}{EXTENSIONS[checked.content_type]}"
        target = self.root / relative
        await anyio.to_thread.run_sync(_write, target, checked.content)
        _pending(session).written.append(target)
        upload = Upload(
            organization_id=organization_id, owner_user_id=owner_user_id, key=key, kind=kind, purpose=purpose,
            path=relative, content_type=checked.content_type, size=len(checked.content), width=checked.width,
            height=checked.height, original_name=checked.original_name, private=private,
        )
        session.add(upload)
        await session.flush()
        return upload

    async def remove(self, session: AsyncSession, upload: Upload) -> None:
        """Delete the row; its file goes once the deletion is committed (a rollback keeps both)."""
        _pending(session).doomed.append(self.path_of(upload))
        await session.delete(upload)

    async def remove_personal(self, session: AsyncSession, user_id: int) -> None:
        """Every file of a person that is about them (``PERSONAL_PURPOSES``): when their account is deleted."""
        for upload in await session.scalars(select(Upload).where(
                Upload.owner_user_id == user_id, Upload.purpose.in_(PERSONAL_PURPOSES))):
            await self.remove(session, upload)


def storage(settings: Settings) -> Storage:
    return Storage(settings.data_path / "uploads")


def _write(target: Path, content: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    partial.write_bytes(content)
    os.replace(partial, target)  # never a half-written file under the final name


@dataclass
class _Pending:
    written: list[Path] = field(default_factory=list)
    doomed: list[Path] = field(default_factory=list)


def _pending(session: AsyncSession | Session) -> _Pending:
    info = session.info
    return info.setdefault("participa.uploads", _Pending())


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    pending = session.info.pop("participa.uploads", None)
    if pending is not None:
        for path in pending.doomed:
            path.unlink(missing_ok=True)


@event.listens_for(Session, "after_transaction_end")
def _ended(session: Session, transaction: SessionTransaction) -> None:
    """A transaction that ends without a commit (rollback, or a request's session closed): undo its files."""
    if transaction.parent is not None:
        return
    pending = session.info.pop("participa.uploads", None)
    if pending is not None:
        for path in pending.written:
            path.unlink(missing_ok=True)


# ---------------------------------------------------------------- serving


def content_disposition(upload: Upload) -> str:
    """Inline for images (shown by the page), attachment for anything else; the name as RFC 6266/5987 says."""
    disposition = "inline" if upload.is_image else "attachment"
    fallback = upload.original_name.encode("ascii", "replace").decode("ascii").replace("?", "_")
    fallback = re.sub(r'["\\]', "_", fallback)
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(upload.original_name, safe='')}"


def file_response(files: Storage, upload: Upload, cache_control: str | None = None) -> File:
    """Send a stored file: its own type, never sniffed by the browser, and unable to run anything.

    ``cache_control`` replaces the default (a year for public files, nothing kept for private ones).
    """
    path = files.path_of(upload)
    if not path.is_file():
        raise NotFoundException()
    return File(
        path=path, media_type=upload.content_type, filename=upload.original_name,
        content_disposition_type="inline" if upload.is_image else "attachment",
        headers={
            "content-disposition": content_disposition(upload),
            **({"content-type": "text/plain; charset=utf-8"} if upload.content_type == TEXT else {}),
            "x-content-type-options": "nosniff",
            "content-security-policy": "default-src 'none'; sandbox",
            # Public files never change under their random key; private ones are not kept anywhere.
            "cache-control": cache_control or (
                "private, no-store" if upload.private else "public, max-age=31536000, immutable"),
            "cross-origin-resource-policy": "same-origin",
        },
    )


KEY = re.compile(r"^[0-9a-f]{32}$")


async def _find(request: Request, key: str) -> Upload:
    """An upload of the request's organization: another organization's key is simply not found."""
    upload = None
    if KEY.match(key):
        upload = await request.state.db.scalar(
            select(Upload).where(Upload.organization_id == request.state.organization.id, Upload.key == key))
    if upload is None:
        raise NotFoundException()
    return upload


PUBLIC_FILE = {"permission": "public", "skip_session": True, "exclude_from_csrf": True}
"""No session and no CSRF cookie: a public file's response carries no cookie, so caches may keep it."""


Guard = Callable[[Request, Upload], Awaitable[bool]]
GUARDS: dict[str, Guard] = {}
"""Purposes whose files are served only to who may see what they belong to, with the check for each."""


def guard(purpose: str) -> Callable[[Guard], Guard]:
    """Register the check of a guarded purpose: ``await check(request, upload)`` says whether this
    request may see the thing the file belongs to (``core.attachments`` guards its files this way)."""
    def register(check: Guard) -> Guard:
        GUARDS[purpose] = check
        return check

    return register


GUARDED_CACHE = "private, max-age=300"
"""A guarded file may stop being visible (its space made private): no shared cache keeps it, and a
browser asks again after five minutes."""


@get("/uploads/{key:str}", opt=PUBLIC_FILE, include_in_schema=False)
async def public_file(request: Request, key: FromPath[str]) -> File:
    """A public file (an avatar) of this organization; a private or guarded one is not found here."""
    upload = await _find(request, key)
    if upload.private or upload.purpose in GUARDS:
        raise NotFoundException()
    return file_response(storage(request.app.state.settings), upload)


@get("/uploads/private/{key:str}", opt={"permission": "authenticated"}, include_in_schema=False)
async def private_file(request: Request, key: FromPath[str]) -> File:
    """A file served after an authorization check (rule ``upload.read``), never through a bare link.

    Whoever may not read it gets 404: whether a file exists is nobody else's business.
    """
    upload = await _find(request, key)
    if not allowed(request.app.state.registry.permissions, await actor_of(request), "upload.read", upload):
        raise NotFoundException()
    return file_response(storage(request.app.state.settings), upload)


@get("/uploads/guarded/{key:str}", opt={"permission": "public"}, include_in_schema=False)
async def guarded_file(request: Request, key: FromPath[str]) -> File:
    """A file of something not everybody may see (an attachment of a private space, a draft's image):
    served only when its purpose's check says this person may see that thing; else 404, as for a
    file that does not exist."""
    upload = await _find(request, key)
    check = GUARDS.get(upload.purpose)
    if upload.private or check is None or not await check(request, upload):
        raise NotFoundException()
    return file_response(storage(request.app.state.settings), upload, cache_control=GUARDED_CACHE)


ROUTES = [public_file, private_file, guarded_file]
