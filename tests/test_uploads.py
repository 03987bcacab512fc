"""Uploaded files, as people send them and as attackers do: what is refused says why and leaves
nothing behind, what is accepted is re-encoded, stored under a random name and served so that no
browser can run it; private files reach their owner only; replaced files do not linger.
"""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from litestar.datastructures import UploadFile
from PIL import ExifTags, Image
from sqlalchemy import func, select

from core.accounts.models import User
from core.db import make_sessionmaker
from core.uploads import MAX_PIXELS, Upload, UploadRefused, check, storage
from tests.conftest import OTHER_HOST, other_organization
from tests.test_accounts import PASSWORD, csrf, make_user, submit

MB = 1024 * 1024


# ---------------------------------------------------------------- files to send


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (64, 48), **options) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, fmt, **options)
    return buffer.getvalue()


def jpeg_with_gps() -> bytes:
    """A phone photo: taken sideways (EXIF orientation 6) where its GPS coordinates say."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.IFD.GPSInfo] = {ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (41.0, 23.0, 30.0),
                                  ExifTags.GPS.GPSLongitudeRef: "E", ExifTags.GPS.GPSLongitude: (2.0, 10.0, 5.0)}
    data = image_bytes("JPEG", (80, 40), exif=exif)
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the fixture is what it claims
    return data


def png_declaring(width: int, height: int) -> bytes:
    """A few bytes of PNG whose header announces ``width`` x ``height`` pixels (a decompression bomb)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
            + chunk(b"IEND", b""))


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(1)</script></svg>'
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"

IMAGE_TYPES_MESSAGE = "This file type is not accepted: upload a JPEG, PNG, WebP or GIF image."
HOSTILE = {
    "svg with a script": ("avatar.svg", SVG, "image/svg+xml", IMAGE_TYPES_MESSAGE),
    "svg named .png": ("avatar.png", SVG, "image/png", IMAGE_TYPES_MESSAGE),
    "html named .png": ("photo.png", HTML, "image/png", IMAGE_TYPES_MESSAGE),
    "html named .jpg": ("photo.jpg", HTML, "image/jpeg", IMAGE_TYPES_MESSAGE),
    "a truncated jpeg": ("photo.jpg", image_bytes("JPEG", (300, 300))[:700], "image/jpeg",
                         "The file could not be read: it may be damaged or incomplete. Try another one."),
    "a png with a broken body": ("photo.png", png_declaring(100, 100), "image/png",
                                 "The file could not be read: it may be damaged or incomplete. Try another one."),
    "an oversized file": ("big.jpg", b"\xff\xd8\xff" + b"\x00" * (5 * MB), "image/jpeg",
                          "The file is larger than 5 MB."),
    "a decompression bomb (30000x30000)": ("bomb.png", png_declaring(30000, 30000), "image/png",
                                           "The image is too large: it may have at most 40 million pixels."),
    "too many pixels (8000x8000)": ("big.png", png_declaring(8000, 8000), "image/png",
                                    "The image is too large: it may have at most 40 million pixels."),
    "an empty file": ("empty.png", b"", "image/png", "The file is empty."),
    "a pdf where an image is asked": ("cv.pdf", PDF, "application/pdf", IMAGE_TYPES_MESSAGE),
}


def stored_files(settings) -> list:
    root = settings.data_path / "uploads"
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


async def uploads(db) -> int:
    return await db.scalar(select(func.count(Upload.id)))


async def log_in(client, db, organization, host: str = "", **fields) -> User:
    user = await make_user(db, organization, locale="en", **fields)
    response = await submit(client, f"{host}/account/login", email=user.email, password=PASSWORD)
    assert response.status_code == 303
    return user


async def send_avatar(client, name: str, content: bytes, content_type: str = "image/png", **extra):
    page = await client.get("/account/settings")
    return await client.post("/account/avatar", data={"_csrf_token": csrf(page.text), **extra},
                             files={"avatar": (name, content, content_type)}, follow_redirects=False)


async def as_upload(name: str, content: bytes, content_type: str = "image/png") -> UploadFile:
    file = UploadFile(content_type=content_type, filename=name)
    await file.write(content)
    await file.seek(0)
    return file


# ---------------------------------------------------------------- hostile files through the form


@pytest.mark.parametrize("case", list(HOSTILE), ids=list(HOSTILE))
async def test_hostile_files_are_refused_with_a_clear_message_and_nothing_is_stored(client, demo, db, settings,
                                                                                   case):
    name, content, content_type, message = HOSTILE[case]
    user = await log_in(client, db, demo)
    response = await send_avatar(client, name, content, content_type)
    assert response.status_code == 400
    assert message in response.text  # on the settings page, at the file field
    assert 'aria-invalid="true"' in response.text and "Your account" in response.text
    assert "<script>alert" not in response.text
    assert await uploads(db) == 0 and stored_files(settings) == []
    await db.refresh(user)
    assert user.avatar_upload_id is None


async def test_no_file_chosen_is_said(client, demo, db, settings):
    await log_in(client, db, demo)
    page = await client.get("/account/settings")
    response = await client.post("/account/avatar", data={"_csrf_token": csrf(page.text)},
                                 files={"avatar": ("", b"", "application/octet-stream")})
    assert response.status_code == 400 and "Choose a file to upload." in response.text
    assert stored_files(settings) == []


async def test_a_request_far_over_the_limit_is_cut_before_it_is_read(client, demo, db, settings):
    await log_in(client, db, demo)
    response = await send_avatar(client, "huge.jpg", b"\xff\xd8\xff" + b"\x00" * (7 * MB), "image/jpeg")
    assert response.status_code == 413
    assert await uploads(db) == 0 and stored_files(settings) == []


async def test_a_multipart_form_without_its_csrf_token_is_refused(client, demo, db, settings):
    await log_in(client, db, demo)
    response = await client.post("/account/avatar", files={"avatar": ("a.png", image_bytes(), "image/png")})
    assert response.status_code == 403
    forged = await client.post("/account/avatar", data={"_csrf_token": "0" * 64},
                               files={"avatar": ("a.png", image_bytes(), "image/png")})
    assert forged.status_code == 403
    assert await uploads(db) == 0 and stored_files(settings) == []


# ---------------------------------------------------------------- what is accepted is re-encoded


async def test_a_photo_comes_back_upright_and_without_its_exif_and_gps(client, demo, db, settings):
    user = await log_in(client, db, demo)
    response = await send_avatar(client, "holidays.jpg", jpeg_with_gps(), "image/jpeg")
    assert response.status_code == 303
    [path] = stored_files(settings)
    stored = Image.open(path)
    assert stored.format == "JPEG"
    assert stored.size == (40, 80)  # the orientation was applied to the pixels (80x40 turned)
    assert dict(stored.getexif()) == {} and "exif" not in stored.info
    assert b"PhoneMaker" not in path.read_bytes()
    upload = await db.scalar(select(Upload))
    await db.refresh(user)
    assert user.avatar_upload_id == upload.id
    assert (upload.content_type, upload.width, upload.height, upload.size) == ("image/jpeg", 40, 80,
                                                                              path.stat().st_size)


async def test_a_gif_with_html_appended_is_re_encoded_and_the_html_is_gone(client, demo, db, settings):
    await log_in(client, db, demo)
    polyglot = image_bytes("GIF") + b"<html><script>alert(1)</script></html>"
    response = await send_avatar(client, "funny.gif", polyglot, "image/gif")
    assert response.status_code == 303
    [path] = stored_files(settings)
    content = path.read_bytes()
    assert content.startswith(b"\x89PNG") and b"<script" not in content and b"<html" not in content
    upload = await db.scalar(select(Upload))
    assert upload.content_type == "image/png" and upload.original_name == "funny.png"


async def test_large_pictures_are_shrunk_for_an_avatar(client, demo, db, settings):
    await log_in(client, db, demo)
    assert (await send_avatar(client, "wide.webp", image_bytes("WEBP", (3000, 1500)), "image/webp")).status_code == 303
    [path] = stored_files(settings)
    assert Image.open(path).size == (512, 256) and Image.open(path).format == "WEBP"


async def test_a_hostile_file_name_never_reaches_the_disk_or_a_page(client, demo, db, settings):
    user = await log_in(client, db, demo)
    response = await send_avatar(client, "../../<svg onload=alert(1)>.png", image_bytes(), "image/png")
    assert response.status_code == 303
    [path] = stored_files(settings)
    upload = await db.scalar(select(Upload))
    # Stored in the organization's folder under a random name; the given name is only metadata, cleaned.
    assert path.parent.parent == settings.data_path / "uploads" / str(demo.id)
    assert path.name == f"{upload.key}.png" and "svg" not in upload.path
    assert upload.original_name == "svg onload=alert(1).png"
    served = await client.get(upload.url)
    assert served.headers["content-disposition"] == (
        "inline; filename=\"svg onload=alert(1).png\"; filename*=UTF-8''svg%20onload%3Dalert%281%29.png")
    page = await client.get(f"/profiles/{user.nickname}")
    assert "<svg" not in page.text


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
async def test_no_metadata_survives_in_any_format(fmt):
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.IFD.GPSInfo] = {ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (41.0, 23.0, 30.0)}
    original = image_bytes(fmt, exif=exif)
    assert b"PhoneMaker" in original
    checked = await check(await as_upload(f"photo.{fmt.lower()}", original), "image")
    assert b"PhoneMaker" not in checked.content
    assert dict(Image.open(io.BytesIO(checked.content)).getexif()) == {}


async def test_a_transparent_gif_stays_transparent():
    buffer = io.BytesIO()
    frame = Image.new("P", (20, 20), 0)
    frame.putpalette([255, 255, 255] + [200, 30, 30] * 255)
    frame.paste(1, (5, 5, 15, 15))
    frame.save(buffer, "GIF", transparency=0)
    checked = await check(await as_upload("logo.gif", buffer.getvalue(), "image/gif"), "image")
    stored = Image.open(io.BytesIO(checked.content)).convert("RGBA")
    assert stored.getpixel((0, 0))[3] == 0 and stored.getpixel((10, 10)) == (200, 30, 30, 255)


async def test_documents_accept_pdf_and_images_but_nothing_else():
    checked = await check(await as_upload("Acta.pdf", PDF, "application/pdf"), "document")
    assert (checked.content_type, checked.original_name, checked.content) == ("application/pdf", "Acta.pdf", PDF)
    image = await check(await as_upload("scan.png", image_bytes()), "document")
    assert image.content_type == "image/png" and image.width == 64
    for name, content in (("page.pdf", HTML), ("drawing.svg", SVG), ("cut.pdf", PDF[:-7])):
        with pytest.raises(UploadRefused) as refused:
            await check(await as_upload(name, content, "application/pdf"), "document")
        assert refused.value.message in (
            "This file type is not accepted: upload a PDF document or a JPEG, PNG, WebP or GIF image.",
            "The file could not be read: it may be damaged or incomplete. Try another one.")


def test_the_pixel_limit_is_below_pillows_own_guard():
    assert MAX_PIXELS < Image.MAX_IMAGE_PIXELS


# ---------------------------------------------------------------- serving


async def test_public_files_are_served_so_that_no_browser_runs_them(client, demo, db, settings):
    await log_in(client, db, demo)
    await send_avatar(client, "me.png", image_bytes(), "image/png")
    upload = await db.scalar(select(Upload))
    client.cookies.clear()  # anybody may see an avatar
    response = await client.get(f"/uploads/{upload.key}")
    assert response.status_code == 200
    assert response.content == stored_files(settings)[0].read_bytes()
    assert response.headers["content-type"] == "image/png"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert response.headers["content-disposition"].startswith("inline; ")
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert "set-cookie" not in response.headers  # shared caches may keep it
    for wrong in ("0" * 32, "x", upload.key.upper(), f"{upload.key}.png"):
        assert (await client.get(f"/uploads/{wrong}")).status_code == 404
    # Another organization does not serve it.
    await other_organization(db)
    await db.commit()
    assert (await client.get(f"http://{OTHER_HOST}/uploads/{upload.key}")).status_code == 404


async def test_a_private_file_reaches_its_owner_only(client, demo, db, settings):
    owner = await make_user(db, demo, email="owner@example.org", nickname="owner")
    await make_user(db, demo, email="other@example.org", nickname="other")
    checked = await check(await as_upload("DNI <escanejat>.pdf", PDF, "application/pdf"), "document")
    upload = await storage(settings).save(db, checked, organization_id=demo.id, owner_user_id=owner.id,
                                          kind="document", purpose="identity_document", private=True)
    await db.commit()
    assert upload.url == f"/uploads/private/{upload.key}"

    anonymous = await client.get(upload.url, follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == f"/account/login?next=%2Fuploads%2Fprivate%2F{upload.key}"

    assert (await submit(client, "/account/login", email="other@example.org", password=PASSWORD)).status_code == 303
    assert (await client.get(upload.url)).status_code == 404  # nobody else learns it exists
    client.cookies.clear()

    assert (await submit(client, "/account/login", email="owner@example.org", password=PASSWORD)).status_code == 303
    response = await client.get(upload.url)
    assert response.status_code == 200 and response.content == PDF
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == (
        "attachment; filename=\"DNI escanejat.pdf\"; filename*=UTF-8''DNI%20escanejat.pdf")
    assert response.headers["cache-control"] == "private, no-store"
    assert response.headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert response.headers["x-content-type-options"] == "nosniff"
    # Not through the public address, not even for its owner.
    assert (await client.get(f"/uploads/{upload.key}")).status_code == 404
    client.cookies.clear()

    # A person of another organization, logged in there, asks for it there.
    other = await other_organization(db)
    await make_user(db, other, email="owner@example.org", nickname="owner")
    assert (await submit(client, f"http://{OTHER_HOST}/account/login", email="owner@example.org",
                         password=PASSWORD)).status_code == 303
    assert (await client.get(f"http://{OTHER_HOST}{upload.url}")).status_code == 404


# ---------------------------------------------------------------- files do not linger


async def test_a_replaced_or_removed_avatar_leaves_no_file_behind(client, demo, db, settings):
    user = await log_in(client, db, demo)
    await send_avatar(client, "first.png", image_bytes(), "image/png")
    [first] = stored_files(settings)
    old_key = (await db.scalar(select(Upload))).key
    assert (await send_avatar(client, "second.jpg", image_bytes("JPEG"), "image/jpeg")).status_code == 303
    [second] = stored_files(settings)
    assert second != first and not first.exists()
    assert await uploads(db) == 1
    assert (await client.get(f"/uploads/{old_key}")).status_code == 404

    page = await client.get("/account/settings")
    removed = await client.post("/account/avatar/delete", data={"_csrf_token": csrf(page.text)}, follow_redirects=True)
    assert "Your picture is removed." in removed.text
    assert stored_files(settings) == [] and await uploads(db) == 0
    await db.refresh(user)
    assert user.avatar_upload_id is None


async def test_a_file_written_in_a_transaction_that_is_rolled_back_is_deleted(db, engine, demo, settings):
    files = storage(settings)
    checked = await check(await as_upload("a.png", image_bytes()), "image")
    await files.save(db, checked, organization_id=demo.id, owner_user_id=None, kind="image", purpose="logo")
    assert len(stored_files(settings)) == 1
    await db.rollback()
    assert stored_files(settings) == []
    # A request's session that is closed without a commit (an error after the file was written).
    async with make_sessionmaker(engine)() as session:
        await files.save(session, checked, organization_id=demo.id, owner_user_id=None, kind="image",
                         purpose="logo")
        assert len(stored_files(settings)) == 1
    assert stored_files(settings) == []

    kept = await files.save(db, checked, organization_id=demo.id, owner_user_id=None, kind="image", purpose="logo")
    await db.commit()
    path = files.path_of(kept)
    await files.remove(db, kept)
    await db.rollback()  # the removal did not happen: the file must still be there
    assert stored_files(settings) == [path]


async def test_deleting_the_account_deletes_the_picture(client, demo, db, settings):
    user = await log_in(client, db, demo)
    await send_avatar(client, "me.png", image_bytes(), "image/png")
    assert len(stored_files(settings)) == 1
    page = await client.get("/account/settings")
    response = await client.post("/account/delete", data={
        "_csrf_token": csrf(page.text), "current_password": PASSWORD, "understood": "on"}, follow_redirects=False)
    assert response.status_code == 303
    assert stored_files(settings) == [] and await uploads(db) == 0
    await db.refresh(user)
    assert user.deleted_at is not None
