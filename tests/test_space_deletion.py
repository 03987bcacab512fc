"""Deleting a space takes everything in it, on SQLite and PostgreSQL alike: its components with what
people contributed (proposals in its categories too, which reference the categories with no ON DELETE),
its categories, and its files, whose rows go in the transaction and whose files go from the disk once it
is committed. A component deleted alone takes its files too."""

from __future__ import annotations

from sqlalchemy import func, select

from core.adminlog import AdminLogEntry
from core.attachments import services as attachments
from core.attachments.models import Attachment, AttachmentCollection
from core.categories.models import Category
from core.comments.models import Comment
from core.follows import Follow, follow
from core.models import Component, Phase, Space
from core.roles import grant_organization_role, grant_space_role
from core.search import services as search
from core.spaces import deletion
from core.spaces import services as space_services
from core.uploads import Upload, check, storage
from plugins.proposals.models import Proposal, Support
from plugins.proposals.services import search_document
from tests.test_accounts import csrf, make_user
from tests.test_notifications import log_in
from tests.test_uploads import PDF, as_upload, image_bytes, stored_files

SLUG = "a-esborrar"


async def checked_image(size=(1600, 1200)):
    return await check(await as_upload("foto.png", image_bytes("PNG", size)), "attachment")


async def doomed_space(db, settings, demo, admin):
    """A published process with a category, a proposals component with a categorized, supported and
    commented proposal, a folder, files of the space and of the proposal, and a hero image."""
    files = storage(settings)
    space = Space(organization_id=demo.id, space_type="process", slug=SLUG, title={"ca": "A esborrar"},
                  published=True)
    db.add(space)
    await db.flush()
    db.add(Phase(space_id=space.id, title={"ca": "Propostes"}, weight=0))
    category = Category(space_id=space.id, name={"ca": "Medi ambient"})
    child = Category(space_id=space.id, name={"ca": "Arbres"})
    component = Component(space_id=space.id, component_type="proposals", name={"ca": "Propostes"}, published=True)
    db.add_all([category, component])
    await db.flush()
    child.parent_id = category.id
    db.add(child)
    await db.flush()
    proposal = Proposal(component_id=component.id, author_id=admin.id, title="Més arbres", body="<p>Arbres</p>",
                        language="ca", state="published", category_id=child.id)
    db.add(proposal)
    await db.flush()
    db.add(Support(proposal_id=proposal.id, user_id=admin.id, component_id=component.id))
    db.add(Comment(component_id=component.id, resource_type="proposals.proposal", resource_id=proposal.id,
                   author_id=admin.id, body="D'acord"))
    folder = await attachments.add_collection(db, space, resource_type="space", resource_id=space.id,
                                              component=None, name={"ca": "Actes"}, description={}, weight=0)
    await attachments.add(db, files, await checked_image(), space=space, component=None, resource_type="space",
                          resource_id=space.id, owner_user_id=admin.id, title={"ca": "Foto"},
                          collection_id=folder.id)
    await attachments.add(db, files, await check(await as_upload("acta.pdf", PDF, "application/pdf"), "attachment"),
                          space=space, component=component, resource_type="proposals.proposal",
                          resource_id=proposal.id, owner_user_id=admin.id, title={"ca": "Acta"})
    await attachments.set_hero(db, files, space, admin, await check(
        await as_upload("hero.png", image_bytes("PNG", (800, 400))), "image"))
    await db.commit()
    return space, component, proposal


async def rows_left(db, space_id: int, component_id: int) -> dict[str, int]:
    counts = {}
    for name, model, condition in (
            ("spaces", Space, Space.id == space_id), ("components", Component, Component.space_id == space_id),
            ("categories", Category, Category.space_id == space_id),
            ("proposals", Proposal, Proposal.component_id == component_id),
            ("supports", Support, Support.component_id == component_id),
            ("comments", Comment, Comment.component_id == component_id),
            ("phases", Phase, Phase.space_id == space_id),
            ("attachments", Attachment, Attachment.space_id == space_id),
            ("folders", AttachmentCollection, AttachmentCollection.space_id == space_id)):
        counts[name] = await db.scalar(select(func.count()).select_from(model).where(condition))
    return counts


async def admin_of(db, demo):
    admin = await make_user(db, demo, email="boss@example.org", nickname="boss", name="Rosa Admin", locale="en")
    await grant_organization_role(db, demo.id, admin.id, "admin")
    await db.commit()
    return admin


async def test_an_admin_deletes_a_space_with_everything_in_it(app, client, settings, demo, db):
    admin = await admin_of(db, demo)
    before_files, before_uploads = stored_files(settings), await db.scalar(select(func.count(Upload.id)))
    space, component, _ = await doomed_space(db, settings, demo, admin)
    space_id, component_id = space.id, component.id
    mine = set(stored_files(settings)) - set(before_files)
    assert len(mine) == 4  # the photo, its thumbnail, the PDF and the hero image
    await log_in(client, admin)

    edit = await client.get(f"/admin/spaces/{space_id}")
    assert f'href="/admin/spaces/{space_id}/delete"' in edit.text
    page = await client.get(f"/admin/spaces/{space_id}/delete")
    assert page.status_code == 200 and "1 component" in page.text and "2 files and images" in page.text
    assert f"Type the address of the space to confirm: {SLUG}" in page.text

    wrong = await client.post(f"/admin/spaces/{space_id}/delete",
                              data={"_csrf_token": csrf(page.text), "slug": "pressupostos-2027"})
    assert wrong.status_code == 400 and 'role="alert"' in wrong.text
    assert "This is not the address of this space." in wrong.text and 'value="pressupostos-2027"' in wrong.text
    assert (await rows_left(db, space_id, component_id))["spaces"] == 1 and set(stored_files(settings)) >= mine

    deleted = await client.post(f"/admin/spaces/{space_id}/delete",
                                data={"_csrf_token": csrf(page.text), "slug": SLUG}, follow_redirects=False)
    assert deleted.status_code == 303 and deleted.headers["location"] == "/admin/spaces"
    assert all(count == 0 for count in (await rows_left(db, space_id, component_id)).values())
    assert await db.scalar(select(func.count(Upload.id))) == before_uploads
    assert not any(path.exists() for path in mine)
    assert stored_files(settings) == before_files  # nobody else's files
    entry = await db.scalar(select(AdminLogEntry).where(AdminLogEntry.action == "space.delete"))
    assert entry.user_id == admin.id and entry.target == "A esborrar"
    assert (await client.get(f"/processes/{SLUG}")).status_code == 404


async def test_only_organization_admins_delete_a_space(app, client, settings, demo, db):
    admin = await admin_of(db, demo)
    space, component, _ = await doomed_space(db, settings, demo, admin)
    space_admin = await make_user(db, demo, email="space@example.org", nickname="spaceboss")
    await grant_space_role(db, space.id, space_admin.id, "admin")
    await db.commit()
    await log_in(client, space_admin)
    assert (await client.get(f"/admin/spaces/{space.id}/delete")).status_code == 403
    html = (await client.get(f"/admin/spaces/{space.id}")).text
    refused = await client.post(f"/admin/spaces/{space.id}/delete", data={"_csrf_token": csrf(html), "slug": SLUG})
    assert refused.status_code == 403
    assert (await rows_left(db, space.id, component.id))["proposals"] == 1


async def test_a_deleted_component_takes_its_files(settings, registry, demo, db):
    admin = await admin_of(db, demo)
    files = storage(settings)
    space = await db.scalar(select(Space).where(Space.slug == "pressupostos-2027"))
    component = Component(space_id=space.id, component_type="pages", name={"ca": "Buida"})
    db.add(component)
    await db.flush()
    attachment = await attachments.add(db, files, await checked_image(), space=space, component=component,
                                       resource_type="pages.page", resource_id=1, owner_user_id=admin.id,
                                       title={"ca": "Foto"})
    await db.commit()
    paths = [files.path_of(attachment.upload), files.path_of(attachment.thumbnail)]
    upload_ids = [attachment.upload_id, attachment.thumbnail_upload_id]
    assert all(path.exists() for path in paths)
    space = await space_services.space_of(db, demo, space.id)
    component = next(each for each in space.components if each.id == component.id)

    assert await space_services.remove_component(db, registry, space, component, admin, files)
    assert all(path.exists() for path in paths)  # not before the commit
    await db.commit()
    assert not any(path.exists() for path in paths)
    assert await db.scalar(select(func.count(Upload.id)).where(Upload.id.in_(upload_ids))) == 0
    assert await db.scalar(select(func.count(Attachment.id)).where(Attachment.component_id == component.id)) == 0


async def test_deleting_a_space_deletes_the_follows_of_it_and_of_what_was_in_it(settings, demo, db):
    """Follows name what they follow by type and id, so no cascade reaches them: the deletion finds the
    resources of the space's components in the search index, the events and the comments."""
    admin = await admin_of(db, demo)
    space, component, commented = await doomed_space(db, settings, demo, admin)
    indexed = Proposal(component_id=component.id, author_id=admin.id, title="Més fonts", body="<p>Fonts</p>",
                       language="ca", state="published")
    db.add(indexed)
    await db.flush()
    await search.index(db, component, [search_document(indexed)])
    elsewhere = await db.scalar(select(Proposal).where(Proposal.component_id != component.id).limit(1))
    follower = await make_user(db, demo, email="follower@example.org", nickname="follower")
    for resource_type, resource_id in (("space", space.id), ("proposals.proposal", commented.id),
                                       ("proposals.proposal", indexed.id), ("proposals.proposal", elsewhere.id),
                                       ("user", admin.id)):
        await follow(db, follower.id, resource_type, resource_id)
    await db.commit()

    await deletion.delete_space(db, storage(settings), await space_services.space_of(db, demo, space.id), admin)
    await db.commit()
    left = set((await db.execute(select(Follow.resource_type, Follow.resource_id)
                                 .where(Follow.user_id == follower.id))).all())
    assert left == {("proposals.proposal", elsewhere.id), ("user", admin.id)}
