"""Attachments and galleries as people use them: a space's admins attach documents and images, in
folders, and give the space its hero image; an author attaches files to their proposal while writing
it; everybody else sees them only where they may see what they belong to. Files survive a backup.
"""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from core import migrations
from core.adminlog import AdminLogEntry
from core.app import create_app
from core.attachments.models import Attachment, AttachmentCollection
from core.backup import make_backup, restore_backup
from core.db import make_engine, make_sessionmaker, utcnow
from core.demo import create_demo
from core.models import Component, Space
from core.moderation.models import Moderation
from core.plugins import Registry
from core.roles import grant_organization_role, grant_space_role
from core.uploads import Upload, UploadRefused, check
from plugins.proposals.models import Proposal
from tests.conftest import OTHER_HOST, make_settings, other_organization
from tests.test_accounts import PASSWORD, csrf, make_user, submit
from tests.test_admin import log_in
from tests.test_uploads import HTML, PDF, SVG, as_upload, image_bytes, png_declaring, stored_files

MB = 1024 * 1024
SLUG = "pressupostos-2027"
PROPOSALS = f"/processes/{SLUG}/proposals"


def docx_bytes(macros: bool = False) -> bytes:
    buffer = io.BytesIO()
    main = "application/vnd.ms-word.document.macroEnabled.main+xml" if macros else \
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", f'<Types><Override PartName="/word/document.xml" ContentType="{main}"/></Types>')
        archive.writestr("word/document.xml", "<w:document/>")
        if macros:
            archive.writestr("word/vbaProject.bin", b"\x00macro")
    return buffer.getvalue()


def odt_bytes(extra: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", "<office:document-content/>")
        for name, content in (extra or {}).items():
            archive.writestr(name, content)
    return buffer.getvalue()


async def demo_space(db, slug: str = SLUG) -> Space:
    return await db.scalar(select(Space).where(Space.slug == slug))


async def demo_component(db) -> Component:
    return await db.scalar(select(Component).join(Space).options(selectinload(Component.space))
                           .where(Space.slug == SLUG, Component.component_type == "proposals"))


@pytest.fixture
async def people(demo, db):
    """An organization admin, an admin of the process only, the author of a proposal and another citizen."""
    space = await demo_space(db)
    boss = await make_user(db, demo, email="boss@example.org", nickname="boss", locale="en")
    await grant_organization_role(db, demo.id, boss.id, "admin")
    keeper = await make_user(db, demo, email="keeper@example.org", nickname="keeper", locale="en")
    await grant_space_role(db, space.id, keeper.id, "admin")
    author = await make_user(db, demo, email="author@example.org", nickname="author", locale="en")
    other = await make_user(db, demo, email="other@example.org", nickname="other", locale="en")
    await db.commit()
    return {"boss": boss, "keeper": keeper, "author": author, "other": other, "space": space}


async def attach_to_space(client, space_id: int, name: str, content: bytes, content_type: str, *,
                          title: str = "Acta de la sessió", **fields):
    page = await client.get(f"/admin/spaces/{space_id}/attachments")
    data = {"_csrf_token": csrf(page.text), "title.ca": title, **fields}
    return await client.post(f"/admin/spaces/{space_id}/attachments", data=data,
                             files={"file": (name, content, content_type)}, follow_redirects=False)


async def count(db, model) -> int:
    return await db.scalar(select(func.count(model.id)))


def served_as_safe_file(response, inline: bool) -> None:
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert response.headers["content-disposition"].startswith("inline; " if inline else "attachment; ")
    assert "public" not in response.headers["cache-control"]  # never kept by a shared cache


# ---------------------------------------------------------------- a space's files


async def test_a_space_admin_attaches_documents_and_images_that_the_space_page_shows(client, db, settings, people):
    space = people["space"]
    await log_in(client, "keeper@example.org")  # an admin of this space only
    sent = await attach_to_space(client, space.id, "acta 12-3.pdf", PDF, "application/pdf",
                                 **{"title.es": "Acta de la sesión", "description.ca": "Ple del 12 de març",
                                    "weight": "2"})
    assert sent.status_code == 303 and sent.headers["location"] == f"/admin/spaces/{space.id}/attachments"
    photo = image_bytes("JPEG", (1600, 1200))
    assert (await attach_to_space(client, space.id, "placa.jpg", photo, "image/jpeg",
                                  title="La plaça Major")).status_code == 303
    assert (await attach_to_space(client, space.id, "informe.docx", docx_bytes(), "application/octet-stream",
                                  title="Informe tècnic", weight="1")).status_code == 303
    assert (await attach_to_space(client, space.id, "notes.txt", "Notes de la reunió: àèò".encode(),
                                  "text/plain", title="Notes")).status_code == 303

    image = await db.scalar(select(Attachment).where(Attachment.title["ca"].as_string() == "La plaça Major")
                            .options(selectinload(Attachment.upload), selectinload(Attachment.thumbnail)))
    assert (image.upload.width, image.upload.height) == (1600, 1200)
    assert (image.thumbnail.width, image.thumbnail.height) == (480, 360)  # the gallery's small copy
    assert len(stored_files(settings)) == 5

    client.cookies.clear()
    page = (await client.get(f"/processes/{SLUG}", headers={"accept-language": "ca"})).text
    # Documents in their order, with type and size; the image in the gallery, its title as alternative text.
    assert page.index("Informe tècnic") < page.index("Acta de la sessió")
    assert re.search(r'Acta de la sessió</a> <span class="meta">\(PDF, 1 KB\)</span>', page)
    assert "Ple del 12 de març" in page and "(DOCX, 1 KB)" in page and "(TXT, 1 KB)" in page
    assert f'<a href="{image.upload.url}"><img src="{image.thumbnail.url}" alt="La plaça Major" width="480" ' \
           f'height="360" loading="lazy"></a>' in page
    spanish = (await client.get(f"/processes/{SLUG}", headers={"accept-language": "es"})).text
    assert "Acta de la sesión" in spanish

    pdf = await db.scalar(select(Upload).where(Upload.content_type == "application/pdf"))
    download = await client.get(pdf.url)
    assert download.status_code == 200 and download.content == PDF
    served_as_safe_file(download, inline=False)
    assert download.headers["content-disposition"].endswith("filename*=UTF-8''acta%2012-3.pdf")
    text = await client.get((await db.scalar(select(Upload).where(Upload.content_type == "text/plain"))).url)
    assert text.headers["content-type"] == "text/plain; charset=utf-8"
    served_as_safe_file(text, inline=False)
    served_as_safe_file(await client.get(image.thumbnail.url), inline=True)
    # A guarded file is never served by the public (cacheable) address.
    assert (await client.get(f"/uploads/{pdf.key}")).status_code == 404


async def test_editing_folders_and_removing_a_file(client, db, settings, people):
    space = people["space"]
    await log_in(client, "boss@example.org")
    page = await client.get(f"/admin/spaces/{space.id}/attachments")
    created = await client.post(f"/admin/spaces/{space.id}/attachments/folders", data={
        "_csrf_token": csrf(page.text), "folder.name.ca": "Actes", "folder.weight": "0"}, follow_redirects=False)
    assert created.status_code == 303
    folder = await db.scalar(select(AttachmentCollection))
    assert (await attach_to_space(client, space.id, "a.pdf", PDF, "application/pdf", title="Acta primera",
                                  collection_id=str(folder.id))).status_code == 303
    attachment = await db.scalar(select(Attachment))
    assert attachment.collection_id == folder.id

    public = (await client.get(f"/processes/{SLUG}")).text
    assert re.search(r"<h3>Actes</h3>\s*<ul class=\"documents\">\s*<li>\s*<a href=\"/uploads/guarded/", public)

    edit = await client.get(f"/admin/spaces/{space.id}/attachments/{attachment.id}")
    assert 'value="Acta primera"' in edit.text
    changed = await client.post(f"/admin/spaces/{space.id}/attachments/{attachment.id}", data={
        "_csrf_token": csrf(edit.text), "title.ca": "Acta de gener", "weight": "3", "collection_id": ""},
        follow_redirects=False)
    assert changed.status_code == 303
    await db.refresh(attachment)
    assert attachment.title == {"ca": "Acta de gener"} and attachment.collection_id is None

    # A folder of another space cannot be chosen.
    other_space = await demo_space(db, "pla-de-mobilitat")
    foreign = AttachmentCollection(organization_id=space.organization_id, space_id=other_space.id,
                                   resource_type="space", resource_id=other_space.id, name={"ca": "Alienes"})
    db.add(foreign)
    await db.commit()
    wrong = await client.post(f"/admin/spaces/{space.id}/attachments/{attachment.id}", data={
        "_csrf_token": csrf(edit.text), "title.ca": "Acta de gener", "weight": "3",
        "collection_id": str(foreign.id)})
    assert wrong.status_code == 400 and "Choose one of the folders." in wrong.text

    deleted_folder = await client.post(f"/admin/spaces/{space.id}/attachments/folders/{folder.id}/delete",
                                       data={"_csrf_token": csrf(edit.text)}, follow_redirects=False)
    assert deleted_folder.status_code == 303 and await count(db, Attachment) == 1

    path = stored_files(settings)
    removed = await client.post(f"/admin/spaces/{space.id}/attachments/{attachment.id}/delete",
                                data={"_csrf_token": csrf(edit.text)}, follow_redirects=True)
    assert "The file is removed." in removed.text
    assert await count(db, Attachment) == 0 and await count(db, Upload) == 0
    assert path and stored_files(settings) == []
    actions = set(await db.scalars(select(AdminLogEntry.action)))
    assert {"attachment.create", "attachment.update", "attachment.delete", "attachment_collection.create",
            "attachment_collection.delete"} <= actions


async def test_a_refused_file_keeps_what_was_typed_and_says_why(client, db, settings, people):
    space = people["space"]
    await log_in(client, "keeper@example.org")
    cases = [
        (("dibuix.svg", SVG, "image/svg+xml"), "This file type is not accepted"),
        (("foto.png", HTML, "image/png"), "This file type is not accepted"),
        (("notes.txt", HTML, "text/plain"), "This file type is not accepted"),
        (("macro.docx", docx_bytes(macros=True), "application/octet-stream"), "This file type is not accepted"),
        (("macro.odt", odt_bytes({"Basic/Standard/Module1.xml": b"<script/>"}), "application/octet-stream"),
         "This file type is not accepted"),
        (("script.pdf", PDF.replace(b"trailer", b"/OpenAction << /S /J#61vaScript /JS (app.alert(1)) >>\ntrailer"),
          "application/pdf"), "This PDF contains scripts"),
        (("gran.pdf", b"%PDF-1.4\n" + b"0" * (10 * MB), "application/pdf"), "The file is larger than 10 MB."),
        (("bomba.png", png_declaring(30000, 30000), "image/png"), "at most 40 million pixels"),
    ]
    for (name, content, content_type), message in cases:
        response = await attach_to_space(client, space.id, name, content, content_type, title="",
                                         **{"description.ca": "Una descripció que no es perd"})
        assert response.status_code == 400, name
        assert message in response.text, name
        assert "Fill in this field, at least in" in response.text  # the title's problem, at the same time
        assert "Una descripció que no es perd" in response.text
        assert 'aria-invalid="true"' in response.text
    assert await count(db, Attachment) == 0 and stored_files(settings) == []
    # An ODT is recognised by its manifest, whatever its name says.
    assert (await attach_to_space(client, space.id, "document", odt_bytes(), "application/octet-stream",
                                  title="Document obert")).status_code == 303
    assert (await db.scalar(select(Upload))).original_name == "document.odt"


async def test_uploads_check_documents_by_their_content():
    assert (await check(await as_upload("a.docx", docx_bytes()), "attachment")).content_type.endswith("document")
    assert (await check(await as_upload("a.odt", odt_bytes()), "attachment")).content_type.endswith("text")
    for name, content in (("a.zip", _zip({"readme.txt": b"hi"})), ("a.txt", b"\x00\x01binary"),
                          ("a.txt", b"<svg onload=alert(1)>"), ("a.txt", "é".encode("latin-1"))):
        with pytest.raises(UploadRefused):
            await check(await as_upload(name, content, "application/octet-stream"), "attachment")
    # Documents are not images: an image field still takes only images.
    with pytest.raises(UploadRefused):
        await check(await as_upload("a.txt", b"plain words"), "image")


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


# ---------------------------------------------------------------- who sees a space's files


async def test_files_of_private_or_unpublished_spaces_are_not_served_to_outsiders(client, db, people):
    space = people["space"]
    await log_in(client, "keeper@example.org")
    await attach_to_space(client, space.id, "a.pdf", PDF, "application/pdf")
    await attach_to_space(client, space.id, "b.png", image_bytes(), "image/png", title="Imatge")
    files = (await db.scalars(select(Upload).order_by(Upload.id))).all()
    hero = await client.post(f"/admin/spaces/{space.id}/hero", data={
        "_csrf_token": csrf((await client.get(f"/admin/spaces/{space.id}")).text)},
        files={"hero": ("hero.png", image_bytes("PNG", (800, 400)), "image/png")}, follow_redirects=False)
    assert hero.status_code == 303
    files = (await db.scalars(select(Upload).order_by(Upload.id))).all()
    assert len(files) == 3

    for state in ({"private": True}, {"published": False}):
        await db.execute(update(Space).where(Space.id == space.id).values(**state))
        await db.commit()
        # Its admin previews it, with its files.
        for upload in files:
            assert (await client.get(upload.url)).status_code == 200
        await log_in(client, "other@example.org")
        for upload in files:
            assert (await client.get(upload.url)).status_code == 404, state
        client.cookies.clear()
        for upload in files:
            assert (await client.get(upload.url)).status_code == 404, state
        await db.execute(update(Space).where(Space.id == space.id).values(private=False, published=True))
        await db.commit()
        await log_in(client, "keeper@example.org")

    # Another organization's host never serves them, whoever asks.
    await other_organization(db)
    await db.commit()
    for upload in files:
        assert (await client.get(f"http://{OTHER_HOST}{upload.url}")).status_code == 404
        assert (await client.get(f"http://{OTHER_HOST}/uploads/{upload.key}")).status_code == 404


async def test_another_organizations_admin_cannot_touch_a_spaces_files(client, db, people):
    space = people["space"]
    await log_in(client, "keeper@example.org")
    await attach_to_space(client, space.id, "a.pdf", PDF, "application/pdf")
    attachment = await db.scalar(select(Attachment))
    other = await other_organization(db)
    stranger = await make_user(db, other, email="boss@altra.test", nickname="boss")
    await grant_organization_role(db, other.id, stranger.id, "admin")
    await db.commit()
    client.cookies.clear()
    assert (await submit(client, f"http://{OTHER_HOST}/account/login", email="boss@altra.test",
                         password=PASSWORD)).status_code == 303
    page = await client.get(f"http://{OTHER_HOST}/account/settings")
    for url in (f"/admin/spaces/{space.id}/attachments", f"/admin/spaces/{space.id}/attachments/{attachment.id}"):
        assert (await client.get(f"http://{OTHER_HOST}{url}")).status_code == 404
    deleted = await client.post(f"http://{OTHER_HOST}/admin/spaces/{space.id}/attachments/{attachment.id}/delete",
                                data={"_csrf_token": csrf(page.text)})
    assert deleted.status_code == 404 and await count(db, Attachment) == 1
    # A citizen of the demo is no admin of the space.
    await log_in(client, "other@example.org")
    assert (await client.get(f"/admin/spaces/{space.id}/attachments")).status_code == 403


# ---------------------------------------------------------------- the hero image


async def test_the_hero_image_is_shown_on_the_space_page_and_its_card(client, db, settings, people):
    space = people["space"]
    await log_in(client, "keeper@example.org")
    edit = await client.get(f"/admin/spaces/{space.id}")
    assert 'enctype="multipart/form-data"' in edit.text and 'name="hero"' in edit.text
    refused = await client.post(f"/admin/spaces/{space.id}/hero", data={"_csrf_token": csrf(edit.text)},
                                files={"hero": ("hero.png", SVG, "image/png")})
    assert refused.status_code == 400
    assert "This file type is not accepted: upload a JPEG, PNG, WebP or GIF image." in refused.text
    assert 'id="field-hero"' in refused.text and stored_files(settings) == []

    sent = await client.post(f"/admin/spaces/{space.id}/hero", data={"_csrf_token": csrf(edit.text)},
                             files={"hero": ("hero.jpg", image_bytes("JPEG", (3200, 1800)), "image/jpeg")},
                             follow_redirects=False)
    assert sent.status_code == 303
    hero = await db.scalar(select(Upload))
    assert (hero.width, hero.height) == (1600, 900) and hero.purpose == "space_hero"
    client.cookies.clear()
    title = "Pressupostos participatius 2027"
    image = f'src="{hero.url}" alt="{title}" width="1600" height="900"'
    assert image in (await client.get(f"/processes/{SLUG}", headers={"accept-language": "ca"})).text
    assert image in (await client.get("/", headers={"accept-language": "ca"})).text

    # A new image replaces the old one, whose file goes.
    await log_in(client, "keeper@example.org")
    edit = await client.get(f"/admin/spaces/{space.id}")
    await client.post(f"/admin/spaces/{space.id}/hero", data={"_csrf_token": csrf(edit.text)},
                      files={"hero": ("new.png", image_bytes("PNG", (640, 360)), "image/png")})
    assert len(stored_files(settings)) == 1 and (await client.get(hero.url)).status_code == 404
    removed = await client.post(f"/admin/spaces/{space.id}/hero/delete", data={"_csrf_token": csrf(edit.text)},
                                follow_redirects=True)
    assert "The image of the space is removed." in removed.text
    assert stored_files(settings) == [] and await count(db, Upload) == 0


async def test_listing_pages_do_not_grow_in_queries_with_files(client, db, people, count_queries):
    space = people["space"]
    await log_in(client, "keeper@example.org")
    await attach_to_space(client, space.id, "a.pdf", PDF, "application/pdf")
    await attach_to_space(client, space.id, "a.png", image_bytes(), "image/png")
    client.cookies.clear()
    with count_queries() as few:
        assert (await client.get(f"/processes/{SLUG}")).status_code == 200
    await log_in(client, "keeper@example.org")
    page = await client.get(f"/admin/spaces/{space.id}/attachments")
    folder = await client.post(f"/admin/spaces/{space.id}/attachments/folders", data={
        "_csrf_token": csrf(page.text), "folder.name.ca": "Actes"}, follow_redirects=False)
    assert folder.status_code == 303
    for index in range(6):
        await attach_to_space(client, space.id, f"{index}.pdf", PDF, "application/pdf", title=f"Acta {index}")
        await attach_to_space(client, space.id, f"{index}.png", image_bytes("PNG", (900, 700)), "image/png",
                              title=f"Foto {index}")
    client.cookies.clear()
    with count_queries() as many:
        page = await client.get(f"/processes/{SLUG}")
    assert page.status_code == 200 and page.text.count('class="gallery__item"') == 7
    assert many.count == few.count


# ---------------------------------------------------------------- a proposal's files


async def write_draft(client, component) -> int:
    url = f"{PROPOSALS}/{component.id}"
    written = await submit(client, f"{url}/new", title="Un parc infantil al barri de la Riera",
                           body="Les famílies del barri no tenen cap parc a prop.")
    assert written.status_code == 303
    return int(written.headers["location"].split("/")[-2])


async def attach_to_proposal(client, component, proposal_id: int, name: str, content: bytes, content_type: str,
                             title: str = "Plànol del parc", page: str = "preview"):
    url = f"{PROPOSALS}/{component.id}"
    form = await client.get(f"{url}/{proposal_id}/{page}")
    return await client.post(f"{url}/attachments", data={
        "_csrf_token": csrf(form.text), "resource_type": "proposals.proposal", "resource_id": str(proposal_id),
        "title": title, "next": f"{url}/{proposal_id}/{page}"},
        files={"file": (name, content, content_type)}, follow_redirects=False)


async def test_an_author_attaches_files_while_writing_and_everybody_sees_them_once_published(client, db, people):
    component = await demo_component(db)
    url = f"{PROPOSALS}/{component.id}"
    await log_in(client, "author@example.org")
    proposal_id = await write_draft(client, component)
    preview = await client.get(f"{url}/{proposal_id}/preview")
    assert f'action="{url}/attachments" enctype="multipart/form-data"' in preview.text
    assert "You can attach 3 more files." in preview.text

    sent = await attach_to_proposal(client, component, proposal_id, "parc.png", image_bytes("PNG", (1000, 800)),
                                    "image/png")
    assert sent.status_code == 303 and sent.headers["location"] == f"{url}/{proposal_id}/preview"
    assert (await attach_to_proposal(client, component, proposal_id, "pressupost.pdf", PDF, "application/pdf",
                                     title="Pressupost estimat")).status_code == 303
    preview = await client.get(f"{url}/{proposal_id}/preview")
    assert 'alt="Plànol del parc"' in preview.text and "Pressupost estimat" in preview.text
    assert "You can attach 1 more file." in preview.text
    files = (await db.scalars(select(Upload).order_by(Upload.id))).all()
    assert len(files) == 3  # the image, its thumbnail and the PDF

    # A draft's files are its author's business only.
    await log_in(client, "other@example.org")
    for upload in files:
        assert (await client.get(upload.url)).status_code == 404
    client.cookies.clear()
    assert (await client.get(files[0].url)).status_code == 404

    await log_in(client, "author@example.org")
    preview = await client.get(f"{url}/{proposal_id}/preview")
    published = await client.post(f"{url}/{proposal_id}/publish", data={"_csrf_token": csrf(preview.text)},
                                  follow_redirects=False)
    assert published.status_code == 303
    client.cookies.clear()
    page = (await client.get(f"{url}/{proposal_id}")).text
    assert 'alt="Plànol del parc"' in page and "Pressupost estimat</a>" in page and "(PDF, 1 KB)" in page
    assert f'action="{url}/attachments"' not in page and "Remove" not in page
    for upload in files:
        response = await client.get(upload.url)
        assert response.status_code == 200
        served_as_safe_file(response, inline=upload.is_image)


async def test_limits_of_the_component_are_kept_with_clear_messages(client, db, people):
    component = await demo_component(db)
    await db.execute(update(Component).where(Component.id == component.id).values(settings={
        **component.settings, "attachments_max_files": 1, "attachments_max_megabytes": 1}))
    await db.commit()
    await log_in(client, "author@example.org")
    proposal_id = await write_draft(client, component)
    too_big = await attach_to_proposal(client, component, proposal_id, "gran.pdf", b"%PDF-" + b"0" * (MB + 10),
                                       "application/pdf", title="Un títol que es conserva")
    assert too_big.status_code == 400 and "The file is larger than 1 MB." in too_big.text
    assert 'value="Un títol que es conserva"' in too_big.text and 'aria-invalid="true"' in too_big.text
    no_title = await attach_to_proposal(client, component, proposal_id, "a.pdf", PDF, "application/pdf", title="")
    assert no_title.status_code == 400 and "Fill in this field." in no_title.text
    assert (await attach_to_proposal(client, component, proposal_id, "a.pdf", PDF, "application/pdf")
            ).status_code == 303
    over = await attach_to_proposal(client, component, proposal_id, "b.pdf", PDF, "application/pdf",
                                    title="Un fitxer de més")
    assert over.status_code == 400 and "No more files can be attached here: the limit is 1." in over.text
    assert "You have attached the most files allowed: 1." in over.text  # and no form to fill in vain
    assert await count(db, Attachment) == 1

    await db.execute(update(Component).where(Component.id == component.id).values(settings={
        **component.settings, "attachments_max_files": 0}))
    await db.commit()
    page = (await client.get(f"{PROPOSALS}/{component.id}/{proposal_id}/preview")).text
    assert 'enctype="multipart/form-data"' not in page
    refused = await attach_to_proposal(client, component, proposal_id, "c.pdf", PDF, "application/pdf")
    assert refused.status_code == 400 and "Files cannot be attached to this any more." in refused.text


async def test_who_may_attach_and_remove_a_proposals_files(client, db, people):
    component = await demo_component(db)
    url = f"{PROPOSALS}/{component.id}"
    await log_in(client, "author@example.org")
    proposal_id = await write_draft(client, component)
    await attach_to_proposal(client, component, proposal_id, "a.pdf", PDF, "application/pdf")
    await attach_to_proposal(client, component, proposal_id, "b.pdf", PDF, "application/pdf", title="Segon")
    first, second = (await db.scalars(select(Attachment).order_by(Attachment.id))).all()
    preview = await client.get(f"{url}/{proposal_id}/preview")
    # The author removes a file of their draft.
    removed = await client.post(f"{url}/attachments/{first.id}/delete", data={
        "_csrf_token": csrf(preview.text), "next": f"{url}/{proposal_id}/preview"}, follow_redirects=False)
    assert removed.status_code == 303 and removed.headers["location"] == f"{url}/{proposal_id}/preview"
    await client.post(f"{url}/{proposal_id}/publish", data={"_csrf_token": csrf(preview.text)})

    # Another citizen neither attaches nor removes.
    await log_in(client, "other@example.org")
    token = csrf((await client.get(f"{url}/{proposal_id}")).text)
    assert (await attach_to_proposal(client, component, proposal_id, "x.pdf", PDF, "application/pdf",
                                     page="")).status_code == 400
    assert (await client.get(f"{url}/attachments/new?resource_type=proposals.proposal&resource_id={proposal_id}")
            ).status_code == 404
    assert (await client.post(f"{url}/attachments/{second.id}/delete", data={"_csrf_token": token})
            ).status_code == 404
    # Once the edit window is over, the author cannot change the files either.
    await db.execute(update(Proposal).where(Proposal.id == proposal_id).values(
        published_at=utcnow().replace(year=2020)))
    await db.commit()
    await log_in(client, "author@example.org")
    token = csrf((await client.get(f"{url}/{proposal_id}")).text)
    assert (await client.post(f"{url}/attachments/{second.id}/delete", data={"_csrf_token": token})
            ).status_code == 404
    # The space's admin removes it.
    await log_in(client, "keeper@example.org")
    page = await client.get(f"{url}/{proposal_id}")
    assert f'action="{url}/attachments/{second.id}/delete"' in page.text
    gone = await client.post(f"{url}/attachments/{second.id}/delete", data={"_csrf_token": csrf(page.text)},
                             follow_redirects=False)
    assert gone.status_code == 303 and await count(db, Attachment) == 0 and await count(db, Upload) == 0
    # Ids of another component's resource or of another organization are not found.
    assert (await client.post(f"{url}/attachments/999999/delete", data={"_csrf_token": csrf(page.text)})
            ).status_code == 404


async def test_files_of_a_hidden_proposal_are_not_served_and_a_discarded_draft_leaves_none(client, db, settings,
                                                                                         people):
    component = await demo_component(db)
    url = f"{PROPOSALS}/{component.id}"
    await log_in(client, "author@example.org")
    proposal_id = await write_draft(client, component)
    await attach_to_proposal(client, component, proposal_id, "a.png", image_bytes(), "image/png")
    preview = await client.get(f"{url}/{proposal_id}/preview")
    await client.post(f"{url}/{proposal_id}/publish", data={"_csrf_token": csrf(preview.text)})
    upload = await db.scalar(select(Upload))
    client.cookies.clear()
    assert (await client.get(upload.url)).status_code == 200
    db.add(Moderation(organization_id=component.space.organization_id, space_id=component.space_id,
                      component_id=component.id, resource_type="proposals.proposal", resource_id=proposal_id,
                      hidden_at=utcnow(), report_count=3))
    await db.commit()
    assert (await client.get(upload.url)).status_code == 404
    # An unpublished component hides its proposals' files too.
    await db.execute(update(Moderation).values(hidden_at=None))
    await db.execute(update(Component).where(Component.id == component.id).values(published=False))
    await db.commit()
    assert (await client.get(upload.url)).status_code == 404
    await db.execute(update(Component).where(Component.id == component.id).values(published=True))
    await db.commit()

    await log_in(client, "author@example.org")
    draft_id = await write_draft(client, component)
    await attach_to_proposal(client, component, draft_id, "b.pdf", PDF, "application/pdf")
    assert len(stored_files(settings)) == 2
    preview = await client.get(f"{url}/{draft_id}/preview")
    await client.post(f"{url}/{draft_id}/discard", data={"_csrf_token": csrf(preview.text)})
    assert len(stored_files(settings)) == 1 and await count(db, Attachment) == 1


# ---------------------------------------------------------------- backups


async def test_an_attachment_survives_a_backup_and_restore_on_sqlite(tmp_path):
    """On its own SQLite install: attached, backed up, removed, restored, served again."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'install.sqlite3'}"
    settings = make_settings(tmp_path / "data", url)
    registry = Registry(settings)
    engine = make_engine(url)
    await migrations.upgrade(engine, registry)
    async with make_sessionmaker(engine).begin() as session:
        demo = await create_demo(session, registry, hosts=("vilademo.test",))
    async with make_sessionmaker(engine)() as session:
        admin = await make_user(session, demo, email="boss@example.org", nickname="boss", locale="en")
        await grant_organization_role(session, demo.id, admin.id, "admin")
        await session.commit()
        space = await demo_space(session)
    app = create_app(settings, registry)
    async with AsyncTestClient(app=app, base_url="http://vilademo.test") as client:
        await log_in(client, "boss@example.org")
        photo = image_bytes("PNG", (640, 480))
        assert (await attach_to_space(client, space.id, "foto.png", photo, "image/png")).status_code == 303
        async with make_sessionmaker(engine)() as session:
            upload = await session.scalar(select(Upload))
            attachment_id = await session.scalar(select(Attachment.id))
        served = (await client.get(upload.url)).content

        backup = make_backup(settings)
        page = await client.get(f"/admin/spaces/{space.id}/attachments")
        await client.post(f"/admin/spaces/{space.id}/attachments/{attachment_id}/delete",
                          data={"_csrf_token": csrf(page.text)})
        assert (await client.get(upload.url)).status_code == 404
        assert not (settings.data_path / "uploads" / upload.path).exists()
    await engine.dispose()

    restore_backup(settings, backup)
    async with AsyncTestClient(app=create_app(settings, registry), base_url="http://vilademo.test") as client:
        response = await client.get(upload.url)
        assert response.status_code == 200 and response.content == served
        page = await client.get(f"/processes/{SLUG}")
        assert 'alt="Acta de la sessió"' in page.text
