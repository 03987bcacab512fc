"""Process groups: organization admins bundle related processes; visitors see a group's page with its
published, public processes only, the group on each process page and the groups on the list of processes."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select

from core.adminlog import AdminLogEntry
from core.models import Space
from core.process_groups.models import ProcessGroup, ProcessGroupProcess
from core.roles import grant_organization_role
from core.uploads import Upload
from tests.conftest import OTHER_HOST, other_organization
from tests.test_accounts import csrf, make_user
from tests.test_notifications import log_in, translated_in
from tests.test_uploads import image_bytes


@pytest.fixture(autouse=True)
async def without_the_demo_group(demo, db):
    """Each test starts without the demo's own group (participa demo makes one), so it counts only its own."""
    await db.execute(delete(ProcessGroup))
    await db.commit()


@pytest.fixture
async def admin(demo, db):
    user = await make_user(db, demo, email="boss@example.org", nickname="boss", name="Rosa Admin", locale="en")
    await grant_organization_role(db, demo.id, user.id, "admin")
    await db.commit()
    return user


async def process(db, organization, slug, published=True, private=False, title=None) -> Space:
    space = Space(organization_id=organization.id, space_type="process", slug=slug,
                  title={"ca": title or f"Procés {slug}"}, published=published, private=private)
    db.add(space)
    await db.commit()
    return space


async def post(client, page: str, action: str | None = None, data=None, files=None, **fields):
    """Open ``page``, then post to ``action`` (default: the page) with its CSRF token, like a browser."""
    html = (await client.get(page)).text
    return await client.post(action or page, data={"_csrf_token": csrf(html), **(data or {}), **fields},
                             files=files, follow_redirects=False)


def fields(title="Pressupostos participatius", description="<p>Cada any, el veïnat decideix.</p>", **more):
    return {"title.ca": title, "title.es": "", "title.en": "", "description.ca": description, "description.es": "",
            "description.en": "", "weight": "0", **more}


async def members(db, group_id: int) -> set[int]:
    return set((await db.scalars(select(ProcessGroupProcess.space_id).where(
        ProcessGroupProcess.group_id == group_id).execution_options(populate_existing=True))).all())


async def test_an_admin_groups_processes_and_visitors_see_only_the_public_ones(app, client, demo, db, admin):
    budgets = await db.scalar(select(Space).where(Space.slug == "pressupostos-2027"))
    draft = await process(db, demo, "pressupostos-2028", published=False, title="Pressupostos 2028 (esborrany)")
    secret = await process(db, demo, "pressupostos-interns", private=True, title="Pressupostos interns")
    await log_in(client, admin)
    listing = await client.get("/admin/process-groups")
    assert listing.status_code == 200 and 'href="/admin/process-groups" aria-current="page"' in listing.text

    created = await post(client, "/admin/process-groups/new", data={"space_ids": [str(budgets.id), str(draft.id),
                                                                                  str(secret.id)]},
                         files={"hero": ("portada.jpg", image_bytes("JPEG", (2400, 1200)), "image/jpeg")}, **fields())
    assert created.status_code == 303, created.text
    group = await db.scalar(select(ProcessGroup).where(ProcessGroup.organization_id == demo.id))
    assert group.title == {"ca": "Pressupostos participatius"}
    assert await members(db, group.id) == {budgets.id, draft.id, secret.id}
    hero = await db.get(Upload, group.hero_upload_id)
    assert hero.purpose == "process_group_hero" and (hero.width, hero.height) == (1600, 800)

    client.cookies.clear()  # a visitor
    page = await client.get(f"/process-groups/{group.id}")
    assert page.status_code == 200
    assert "Cada any, el veïnat decideix." in page.text and f'src="/uploads/{hero.key}"' in page.text
    assert 'href="/processes/pressupostos-2027"' in page.text
    assert "Pressupostos 2028" not in page.text and "Pressupostos interns" not in page.text
    assert (await client.get(f"/uploads/{hero.key}")).status_code == 200

    process_page = await client.get("/processes/pressupostos-2027")
    assert f'href="/process-groups/{group.id}"' in process_page.text
    processes = await client.get("/processes")
    assert f'href="/process-groups/{group.id}"' in processes.text
    assert translated_in(app, "ca", "%(num)s process", num=1) in processes.text  # drafts and private ones do not count
    # Another process type's list (assemblies) does not show process groups.
    assert f'href="/process-groups/{group.id}"' not in (await client.get("/assemblies")).text


async def test_a_group_whose_processes_are_all_hidden_is_not_listed(client, demo, db, admin):
    draft = await process(db, demo, "esborrany", published=False)
    group = ProcessGroup(organization_id=demo.id, title={"ca": "Grup buit"})
    db.add(group)
    await db.flush()
    db.add(ProcessGroupProcess(group_id=group.id, space_id=draft.id))
    await db.commit()
    assert "Grup buit" not in (await client.get("/processes")).text
    page = await client.get(f"/process-groups/{group.id}")
    assert page.status_code == 200 and "Procés esborrany" not in page.text


async def test_editing_moves_processes_between_groups_and_deleting_keeps_them(client, demo, db, admin, settings):
    first = await process(db, demo, "primer")
    second = await process(db, demo, "segon")
    await log_in(client, admin)
    await post(client, "/admin/process-groups/new", data={"space_ids": [str(first.id), str(second.id)]},
               files={"hero": ("a.png", image_bytes(), "image/png")}, **fields(title="Grup A"))
    await post(client, "/admin/process-groups/new", **fields(title="Grup B"))
    group_a, group_b = (await db.scalars(select(ProcessGroup).order_by(ProcessGroup.id))).all()

    edit = await client.get(f"/admin/process-groups/{group_b.id}")
    assert edit.status_code == 200 and "Procés primer" in edit.text
    moved = await post(client, f"/admin/process-groups/{group_b.id}", data={"space_ids": [str(first.id)]},
                       **fields(title="Grup B"))
    assert moved.status_code == 303
    assert await members(db, group_a.id) == {second.id} and await members(db, group_b.id) == {first.id}

    hero = await db.get(Upload, group_a.hero_upload_id)
    hero_file = settings.data_path / "uploads" / hero.path
    assert hero_file.exists()
    unpictured = await post(client, f"/admin/process-groups/{group_a.id}", data={"space_ids": [str(second.id)]},
                            remove_hero="on", **fields(title="Grup A"))
    assert unpictured.status_code == 303
    assert not hero_file.exists() and await db.scalar(select(func.count(Upload.id))) == 0

    confirmation = await client.get(f"/admin/process-groups/{group_a.id}/delete")
    assert confirmation.status_code == 200 and await db.get(ProcessGroup, group_a.id) is not None
    deleted = await post(client, f"/admin/process-groups/{group_a.id}/delete")
    assert deleted.status_code == 303
    assert await db.scalar(select(ProcessGroup.id).where(ProcessGroup.id == group_a.id)) is None
    assert await db.scalar(select(Space.id).where(Space.id == second.id)) is not None
    assert await members(db, group_a.id) == set()
    assert (await client.get(f"/process-groups/{group_a.id}")).status_code == 404
    actions = (await db.scalars(select(AdminLogEntry.action).where(AdminLogEntry.action.like("process_group.%"))
                                .order_by(AdminLogEntry.id))).all()
    assert actions == ["process_group.create", "process_group.create", "process_group.update",
                       "process_group.update", "process_group.delete"]


async def test_errors_keep_what_was_typed(app, client, demo, db, admin):
    budgets = await db.scalar(select(Space).where(Space.slug == "pressupostos-2027"))
    await log_in(client, admin)
    no_title = await post(client, "/admin/process-groups/new", data={"space_ids": [str(budgets.id)]},
                          **fields(title="", description="<p>Text que es queda</p>"))
    assert no_title.status_code == 400 and "Text que es queda" in no_title.text
    assert f'value="{budgets.id}" checked' in no_title.text
    not_a_picture = await post(client, "/admin/process-groups/new", files={"hero": ("x.png", b"GIF89a no", "image/png")},
                               **fields(title="Amb una imatge trencada"))
    assert not_a_picture.status_code == 400 and 'value="Amb una imatge trencada"' in not_a_picture.text
    assert 'href="#field-hero"' in not_a_picture.text
    assert await db.scalar(select(func.count(ProcessGroup.id))) == 0


async def test_another_organizations_groups_and_processes_stay_out_of_reach(app, client, demo, db, admin):
    other = await other_organization(db)
    foreign_process = await process(db, other, "forani")
    foreign_group = ProcessGroup(organization_id=other.id, title={"ca": "Grup d'Altra"})
    db.add(foreign_group)
    await db.flush()
    db.add(ProcessGroupProcess(group_id=foreign_group.id, space_id=foreign_process.id))
    await db.commit()
    assert (await client.get(f"/process-groups/{foreign_group.id}")).status_code == 404
    assert (await client.get(f"http://{OTHER_HOST}/process-groups/{foreign_group.id}")).status_code == 200

    await log_in(client, admin)
    assert (await client.get(f"/admin/process-groups/{foreign_group.id}")).status_code == 404
    assert (await post(client, "/admin/process-groups", f"/admin/process-groups/{foreign_group.id}/delete")
            ).status_code == 404
    stolen = await post(client, "/admin/process-groups/new", data={"space_ids": [str(foreign_process.id)]},
                        **fields(title="Grup lladre"))
    assert stolen.status_code == 400
    assert translated_in(app, "en", "Choose processes from the list.") in stolen.text
    assert await members(db, foreign_group.id) == {foreign_process.id}
    assert "Grup d'Altra" not in (await client.get("/admin/process-groups")).text


async def test_only_organization_admins_manage_groups(client, demo, db):
    citizen = await make_user(db, demo, email="citizen@example.org", nickname="citizen")
    await log_in(client, citizen)
    assert (await client.get("/admin/process-groups")).status_code == 403
    assert (await post(client, "/", "/admin/process-groups/new", **fields())).status_code == 403
    assert await db.scalar(select(func.count(ProcessGroup.id))) == 0


async def test_the_pages_cost_the_same_queries_with_more_groups_and_processes(client, demo, db, count_queries):
    async def add_group(index: int) -> ProcessGroup:
        group = ProcessGroup(organization_id=demo.id, title={"ca": f"Grup {index}"}, weight=index)
        db.add(group)
        await db.flush()
        for number in range(3):
            space = await process(db, demo, f"proces-{index}-{number}")
            db.add(ProcessGroupProcess(group_id=group.id, space_id=space.id))
        await db.commit()
        return group

    group = await add_group(0)
    await client.get("/processes")
    with count_queries() as few_list:
        await client.get("/processes")
    with count_queries() as few_group:
        await client.get(f"/process-groups/{group.id}")
    for index in range(1, 5):
        await add_group(index)
    for number in range(5):
        space = await process(db, demo, f"mes-{number}")
        db.add(ProcessGroupProcess(group_id=group.id, space_id=space.id))
    await db.commit()
    with count_queries() as many_list:
        listing = await client.get("/processes")
    with count_queries() as many_group:
        page = await client.get(f"/process-groups/{group.id}")
    assert "Grup 4" in listing.text and page.text.count('<li class="card') == 8
    assert many_list.count == few_list.count and many_group.count == few_group.count
