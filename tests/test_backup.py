"""Backups: what an admin backs up comes back exactly on restore, on SQLite and PostgreSQL.

Restoring replaces a whole database, so every test here works on a database of its own
(never the shared one of the other tests). The tests are synchronous: backups and
restores are synchronous operations run from the CLI or a worker thread.
"""

from __future__ import annotations

import io
import os
import re
import sqlite3
import subprocess
import sys
import tarfile
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.engine import make_url

from core import migrations
from core.backup import BackupError, last_successful, make_backup, prune, restore_backup, uploads_archive_of
from core.cli import main
from core.db import Base, make_engine, make_sessionmaker
from core.demo import create_demo
from core.models import Backup, Component, Organization, OrganizationHost, Space, StoreEntry
from core.plugins import Registry
from core.queue import Queue
from plugins.pages.models import Page
from plugins.proposals.models import Proposal
from tests.conftest import PG_URL, drop_database, make_settings, new_database_url, run_async

SECRET = "backup-secret-" + "x" * 40


async def _migrate(url: str, registry: Registry) -> None:
    engine = make_engine(url)
    try:
        await migrations.upgrade(engine, registry)
    finally:
        await engine.dispose()


async def _populate(url: str, registry: Registry) -> None:
    """The demo organization and more: spaces, pages, binary store entries, a second organization."""
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine).begin() as session:
            demo = await create_demo(session, registry, hosts=("vilademo.test",))
            component = await session.scalar(select(Component).where(Component.component_type == "pages").limit(1))
            for index in range(25):
                session.add(Space(
                    organization_id=demo.id, space_type="process", slug=f"proces-{index}", published=index % 2 == 0,
                    title={"ca": f"Procés «{index}» d'estiu", "es": f"Proceso {index}", "en": f"Process {index}"},
                ))
                session.add(Page(component_id=component.id, title={"ca": f"Pàgina {index}"}, weight=index,
                                 body={"ca": f"<p>Text amb accents: àèéíòóú ç — {index}</p>"}))
            session.add(StoreEntry(key="participa:sessions:abc", value=bytes(range(256)),
                                   expires_at=datetime(2031, 1, 2, 3, 4, 5, tzinfo=timezone.utc)))
            other = Organization(slug="altrapoble", name={"ca": "Altre Poble"})
            session.add(other)
            await session.flush()
            session.add(OrganizationHost(organization_id=other.id, host="altrapoble.test", is_main=True))
    finally:
        await engine.dispose()


async def _snapshot(url: str) -> dict[str, list]:
    """Every row of every table, in primary key order, and the applied migrations."""
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            data: dict[str, list] = {}
            for table in Base.metadata.sorted_tables:
                rows = await connection.execute(select(table).order_by(*table.primary_key.columns))
                data[table.name] = [tuple(row) for row in rows]
            versions = await connection.execute(text("SELECT version_num FROM alembic_version"))
            data["alembic_version"] = sorted(versions.scalars())
        return data
    finally:
        await engine.dispose()


async def _change_everything(url: str) -> None:
    """What happens after a backup and must be undone by the restore."""
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine).begin() as session:
            # A category in use cannot go (its proposals' foreign key has no ON DELETE): unfile them first.
            await session.execute(update(Proposal).values(category_id=None))
            await session.execute(delete(Space).where(Space.slug == "pressupostos-2027"))  # cascades to pages
            await session.execute(update(Organization).where(Organization.slug == "demo")
                                  .values(name={"ca": "Nom canviat"}))
            await session.execute(delete(StoreEntry))
            await session.execute(delete(Organization).where(Organization.slug == "altrapoble"))
            session.add(Organization(slug="nova", name={"ca": "Nova"}))
    finally:
        await engine.dispose()


async def _count(url: str, model) -> int:
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.scalar(select(func.count()).select_from(model))
    finally:
        await engine.dispose()


@pytest.fixture
def own_database(tmp_path: Path):
    """Settings of an install with a database of its own (of the backend under test), migrated."""
    url = new_database_url(tmp_path, "backup")
    settings = make_settings(tmp_path / "data", url)
    run_async(_migrate(url, Registry(settings)))
    yield settings
    drop_database(url)


@pytest.fixture
def populated(own_database):
    run_async(_populate(own_database.effective_database_url, Registry(own_database)))
    return own_database


def missing_database_url(tmp_path: Path) -> str:
    if PG_URL:
        return make_url(PG_URL).set(database=f"participa_missing_{uuid.uuid4().hex[:10]}").render_as_string(
            hide_password=False)
    return f"sqlite+aiosqlite:///{tmp_path / 'nothing.sqlite3'}"


def cli_environment(settings) -> dict[str, str | None]:
    env: dict[str, str | None] = {key: None for key in os.environ if key.startswith("PARTICIPA_")}
    env.update({
        "PARTICIPA_DATA_DIR": settings.data_dir, "PARTICIPA_DATABASE_URL": settings.database_url,
        "PARTICIPA_SECRET_KEY": SECRET, "PARTICIPA_LOG_JSON": "false",
    })
    return env


# ---------------------------------------------------------------- round trip


def test_restore_brings_back_exactly_what_was_backed_up(populated):
    url = populated.effective_database_url
    before = run_async(_snapshot(url))
    assert len(before["core_spaces"]) == 28 and len(before["pages_pages"]) > 25

    path = make_backup(populated)
    assert path.parent == populated.backup_path and path.stat().st_size > 0

    run_async(_change_everything(url))
    changed = run_async(_snapshot(url))
    assert changed != before
    assert len(changed["core_spaces"]) == 27 and changed["core_store_entries"] == []

    restore_backup(populated, path)
    assert run_async(_snapshot(url)) == before

    # The restored database is ready for new rows: keys and sequences continue after the restored ones.
    async def add_space() -> int:
        engine = make_engine(url)
        try:
            async with make_sessionmaker(engine).begin() as session:
                space = Space(organization_id=1, space_type="process", slug="after-restore", title={"ca": "Nou"})
                session.add(space)
                await session.flush()
                return space.id
        finally:
            await engine.dispose()

    assert run_async(add_space()) == max(row[0] for row in before["core_spaces"]) + 1


def test_a_backup_can_be_restored_more_than_once(populated):
    url = populated.effective_database_url
    before = run_async(_snapshot(url))
    path = make_backup(populated)
    for _ in range(2):
        run_async(_change_everything(url))
        restore_backup(populated, path)
        assert run_async(_snapshot(url)) == before


def test_restoring_something_that_is_not_a_backup_leaves_the_database_as_it_was(populated, tmp_path):
    url = populated.effective_database_url
    before = run_async(_snapshot(url))
    garbage = tmp_path / "participa-garbage.dump"
    garbage.write_bytes(b"this is not a backup\n" * 100)
    with pytest.raises(BackupError):
        restore_backup(populated, garbage)
    with pytest.raises(BackupError, match="does not exist"):
        restore_backup(populated, tmp_path / "no-such-backup.dump")
    assert run_async(_snapshot(url)) == before


def test_backing_up_a_missing_database_fails_and_leaves_nothing_behind(tmp_path):
    url = missing_database_url(tmp_path)
    settings = make_settings(tmp_path / "data", url)
    with pytest.raises(BackupError):
        make_backup(settings)
    assert list(settings.backup_path.glob("*")) == []
    if not PG_URL:  # a backup must not create an empty database where none was
        assert not Path(make_url(url).database).exists()


def test_backups_taken_while_people_write_restore_to_a_consistent_state(populated, tmp_path):
    """On the backend under test (pg_dump on PostgreSQL): each transaction writes an organization and
    its host, two tables; every backup must restore to a prefix of those transactions, whole."""
    url = populated.effective_database_url
    stop, written, errors = threading.Event(), [0], []

    async def write() -> None:
        engine = make_engine(url)
        try:
            while not stop.is_set():
                number = written[0] + 1
                async with make_sessionmaker(engine).begin() as session:
                    organization = Organization(slug=f"w{number:06d}", name={"ca": f"Poble {number}"})
                    session.add(organization)
                    await session.flush()
                    session.add(OrganizationHost(organization_id=organization.id, host=f"w{number:06d}.test",
                                                 is_main=True))
                written[0] = number
        except Exception as exc:  # noqa: BLE001  (reported below: the writer must never be blocked out by a backup)
            errors.append(exc)
        finally:
            await engine.dispose()

    thread = threading.Thread(target=lambda: run_async(write()))
    thread.start()

    def wait_for_rows(more_than: int) -> None:
        deadline = time.monotonic() + 60
        while written[0] <= more_than and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.005)
        assert written[0] > more_than, errors or "the writer made no progress"

    backups = []
    try:
        done = 20
        for _ in range(3):
            wait_for_rows(done)
            at_least = written[0]
            backups.append((at_least, make_backup(populated, tmp_path / f"backups-{len(backups)}")))
            done = written[0] + 1  # the writer may have committed one it has not counted yet
    finally:
        stop.set()
        thread.join(timeout=60)
    assert not errors

    async def written_pairs(restored_url: str) -> tuple[list[int], list[int]]:
        engine = make_engine(restored_url)
        try:
            async with engine.connect() as connection:
                slugs = (await connection.scalars(select(Organization.slug).where(Organization.slug.like("w%"))
                                                  .order_by(Organization.slug))).all()
                hosts = (await connection.scalars(
                    select(OrganizationHost.host).join(Organization).where(Organization.slug.like("w%"))
                    .order_by(OrganizationHost.host))).all()
            return [int(slug[1:]) for slug in slugs], [int(host[1:7]) for host in hosts]
        finally:
            await engine.dispose()

    counts = []
    for index, (at_least, path) in enumerate(backups):
        restored = make_settings(tmp_path / f"restored-{index}", new_database_url(tmp_path, f"restored{index}"))
        try:
            restore_backup(restored, path)
            organizations, hosts = run_async(written_pairs(restored.effective_database_url))
        finally:
            drop_database(restored.effective_database_url)
        # Every transaction committed before the backup began, none half: no organization without its host.
        assert len(organizations) >= at_least and organizations == list(range(1, len(organizations) + 1))
        assert hosts == organizations
        counts.append(len(organizations))
    assert counts == sorted(set(counts))  # each backup holds more than the one before


# ---------------------------------------------------------------- SQLite online backups


def sqlite_install(tmp_path: Path):
    """A migrated SQLite install, whatever backend the suite runs on: these are SQLite behaviours."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'live.sqlite3'}"
    settings = make_settings(tmp_path / "data", url)
    run_async(_migrate(url, Registry(settings)))
    run_async(_populate(url, Registry(settings)))
    return settings, tmp_path / "live.sqlite3"


def integrity(path: Path) -> str:
    connection = sqlite3.connect(path)
    try:
        return connection.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        connection.close()


def store_keys(path: Path) -> set[str]:
    connection = sqlite3.connect(path)
    try:
        return {row[0] for row in connection.execute("SELECT key FROM core_store_entries")}
    finally:
        connection.close()


def test_sqlite_backup_is_taken_while_another_process_holds_a_write_transaction(tmp_path):
    settings, live = sqlite_install(tmp_path)
    writer = sqlite3.connect(live, timeout=30, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("INSERT INTO core_store_entries (key, value) VALUES ('participa:uncommitted', x'00')")
        path = make_backup(settings)  # does not wait for the writer, and sees only committed data
        writer.execute("COMMIT")
    finally:
        writer.close()
    assert integrity(path) == "ok"
    assert store_keys(path) == {"participa:sessions:abc"}
    assert "participa:uncommitted" in store_keys(live)


def test_sqlite_backups_taken_while_writes_go_on_are_consistent(tmp_path):
    settings, live = sqlite_install(tmp_path)
    stop, written, errors = threading.Event(), [0], []

    def write() -> None:
        connection = sqlite3.connect(live, timeout=30)
        try:
            while not stop.is_set():
                number = written[0] + 1
                with connection:  # one transaction per row
                    connection.execute("INSERT INTO core_store_entries (key, value) VALUES (?, ?)",
                                       (f"w:{number:06d}", b"x" * 2000))
                written[0] = number
        except Exception as exc:  # reported below: the writer must never be blocked out
            errors.append(exc)
        finally:
            connection.close()

    def wait_for_rows(more_than: int) -> None:
        deadline = time.monotonic() + 60
        while written[0] <= more_than and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.005)
        assert written[0] > more_than, errors or "the writer made no progress"

    thread = threading.Thread(target=write)
    thread.start()
    backups = []
    try:
        done = 50
        for _ in range(5):
            wait_for_rows(done)  # rows keep being written between and during the backups
            at_least = written[0]
            backups.append((at_least, make_backup(settings)))
            done = written[0] + 1  # the writer may have committed one row it has not counted yet
    finally:
        stop.set()
        thread.join(timeout=60)
    assert not errors
    counts = []
    for at_least, path in backups:
        assert integrity(path) == "ok"
        numbers = sorted(int(key[2:]) for key in store_keys(path) if key.startswith("w:"))
        # A consistent snapshot: every row committed before the backup began, and no gaps.
        assert len(numbers) >= at_least and numbers == list(range(1, len(numbers) + 1))
        counts.append(len(numbers))
    assert counts == sorted(set(counts))  # each backup holds more than the one before


def test_sqlite_restore_removes_a_stale_write_ahead_log(tmp_path):
    """A process killed after committing leaves changes in the -wal file; replayed over the
    restored database they would undo the restore."""
    settings, live = sqlite_install(tmp_path)
    before = store_keys(live)
    path = make_backup(settings)
    crash = (
        "import os, sqlite3, sys\n"
        "connection = sqlite3.connect(sys.argv[1])\n"
        "connection.execute('PRAGMA wal_autocheckpoint=0')\n"
        "connection.execute('DELETE FROM core_store_entries')\n"
        "connection.execute(\"INSERT INTO core_store_entries (key, value) VALUES ('after-backup', x'00')\")\n"
        "connection.commit()\n"
        "os._exit(0)  # killed: no checkpoint, the -wal file stays\n"
    )
    subprocess.run([sys.executable, "-c", crash, str(live)], check=True, timeout=60)
    wal = Path(f"{live}-wal")
    assert wal.stat().st_size > 0
    assert store_keys(live) == {"after-backup"}

    restore_backup(settings, path)
    assert not wal.exists() or wal.stat().st_size == 0
    assert store_keys(live) == before
    assert integrity(live) == "ok"


# ---------------------------------------------------------------- the core.backup task


def run_task(settings, name: str = "core.backup"):
    return run_async(Queue(settings, Registry(settings)).run_now(name))


async def _backups(url: str) -> tuple[list[Backup], Backup | None]:
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            rows = list(await session.scalars(select(Backup).order_by(Backup.id)))
            return rows, await last_successful(session)
    finally:
        await engine.dispose()


def test_backup_task_records_each_run(populated):
    url = populated.effective_database_url
    assert run_async(_backups(url)) == ([], None)

    first = Path(run_task(populated))
    second = Path(run_task(populated))
    assert first != second and first.exists() and second.exists()
    rows, last = run_async(_backups(url))
    assert [(row.path, row.succeeded, row.error) for row in rows] == [(str(first), True, None), (str(second), True, None)]
    assert [row.size_bytes for row in rows] == [first.stat().st_size, second.stat().st_size]
    assert all(row.size_bytes > 0 and row.started_at <= row.finished_at for row in rows)
    assert last.id == rows[1].id


def test_failed_backup_is_recorded_with_its_error(populated, tmp_path):
    url = populated.effective_database_url
    good = Path(run_task(populated))
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the backup folder should be")
    failing = make_settings(tmp_path / "data", url, backup_dir=str(blocker))
    with pytest.raises(Exception):
        run_task(failing)
    rows, last = run_async(_backups(url))
    assert len(rows) == 2
    failed = rows[1]
    assert failed.succeeded is False and failed.finished_at is not None
    assert failed.error and "not-a-folder" in failed.error
    assert failed.size_bytes is None
    # The health checks still see when the last good backup was made.
    assert last.id == rows[0].id and last.path == str(good)


def test_backup_task_prunes_old_backups(populated):
    folder = populated.backup_path
    folder.mkdir(parents=True, exist_ok=True)
    old = folder / "participa-20200101T000000000000Z.sqlite3"
    old.write_bytes(b"old")
    os.utime(old, (time.time() - 30 * 86400,) * 2)
    path = Path(run_task(populated))
    assert not old.exists()
    assert sorted(folder.iterdir()) == [path]


def test_prune_deletes_only_backups_older_than_the_retention_period(tmp_path):
    settings = make_settings(tmp_path / "data", f"sqlite+aiosqlite:///{tmp_path / 'x.sqlite3'}",
                             backup_retention_days=7)
    folder = settings.backup_path
    folder.mkdir(parents=True)
    now = time.time()
    ages = {"participa-a.sqlite3": 30, "participa-b.dump": 8, "participa-c.sqlite3": 6, "participa-d.dump": 0,
            "notes.txt": 30}
    for name, days in ages.items():
        (folder / name).write_text(name)
        os.utime(folder / name, (now - days * 86400 - 60,) * 2)
    removed = prune(settings)
    assert sorted(path.name for path in removed) == ["participa-a.sqlite3", "participa-b.dump"]
    assert sorted(path.name for path in folder.iterdir()) == ["notes.txt", "participa-c.sqlite3", "participa-d.dump"]
    # An explicit "now" moves the limit: six days later the six-day-old file goes too.
    later = datetime.now(timezone.utc) + timedelta(days=6)
    assert [path.name for path in prune(settings, now=later)] == ["participa-c.sqlite3"]


# ---------------------------------------------------------------- command line


def test_backup_and_restore_from_the_command_line(populated, tmp_path):
    url = populated.effective_database_url
    before = run_async(_snapshot(url))
    runner = CliRunner()
    env = cli_environment(populated)

    result = runner.invoke(main, ["backup", "--to", str(tmp_path / "elsewhere")], env=env)
    assert result.exit_code == 0, result.output
    path = Path(result.output.strip())
    assert path.parent == tmp_path / "elsewhere" and path.exists()

    run_async(_change_everything(url))
    # Without --yes it asks first, and "no" changes nothing.
    result = runner.invoke(main, ["restore", str(path)], env=env, input="n\n")
    assert result.exit_code == 1 and "Replace the current database" in result.output
    assert run_async(_count(url, Space)) == 27

    result = runner.invoke(main, ["restore", str(path), "--yes"], env=env)
    assert result.exit_code == 0, result.output
    assert "restored" in result.output
    assert run_async(_snapshot(url)) == before


def test_backup_command_defaults_to_the_backup_folder_and_reports_failures(populated, tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["backup"], env=cli_environment(populated))
    assert result.exit_code == 0, result.output
    assert Path(result.output.strip()).parent == populated.backup_path

    missing = make_settings(tmp_path / "other", missing_database_url(tmp_path))
    result = runner.invoke(main, ["backup", "--to", str(tmp_path / "out")], env=cli_environment(missing))
    assert result.exit_code == 1
    assert "Error:" in result.output and isinstance(result.exception, SystemExit)
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []

    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(b"\x00not a backup" * 64)
    result = runner.invoke(main, ["restore", str(garbage), "--yes"], env=cli_environment(populated))
    assert result.exit_code == 1
    assert "Error:" in result.output
    assert isinstance(result.exception, SystemExit)  # a message, not a crash


def test_operators_see_when_the_last_good_backup_finished(populated, tmp_path):
    runner = CliRunner()
    assert runner.invoke(main, ["backup"], env=cli_environment(populated)).exit_code == 0
    listed = runner.invoke(main, ["backups"], env=cli_environment(populated))
    assert listed.exit_code == 0, listed.output
    assert listed.output.startswith("last successful backup: ")
    assert str(populated.backup_path) in listed.output and " ok " in listed.output


def test_metrics_tell_when_the_last_good_backup_finished(populated):
    from litestar.testing import TestClient

    from core.app import create_app

    assert CliRunner().invoke(main, ["backup"], env=cli_environment(populated)).exit_code == 0
    with TestClient(app=create_app(populated)) as client:
        metrics = client.get("/metrics").text
    value = re.search(r"^participa_last_backup_success_timestamp_seconds (\S+)$", metrics, re.MULTILINE)
    assert value and abs(float(value.group(1)) - time.time()) < 300


# ---------------------------------------------------------------- uploaded files


def _files(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in folder.rglob("*") if path.is_file()}


def test_uploaded_files_are_backed_up_and_restored_with_the_database(populated):
    folder = populated.data_path / "uploads"
    for name, content in (("1/ab/ab01.png", b"picture one"), ("1/cd/cd02.jpg", b"picture two"),
                          ("2/ef/ef03.pdf", b"%PDF- minutes")):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(content)
    (folder / "1" / "ab" / "ab99.png.part").write_bytes(b"being written")  # not committed: not backed up
    before_files, before_rows = _files(folder), run_async(_snapshot(populated.effective_database_url))

    path = make_backup(populated)
    assert uploads_archive_of(path).is_file() and uploads_archive_of(path).parent == path.parent

    # After the backup: a picture replaced, another removed, a new one, the database changed.
    (folder / "1" / "ab" / "ab01.png").unlink()
    (folder / "1" / "cd" / "cd02.jpg").write_bytes(b"changed")
    (folder / "3").mkdir()
    (folder / "3" / "new.png").write_bytes(b"after the backup")
    run_async(_change_everything(populated.effective_database_url))

    restore_backup(populated, path)
    assert _files(folder) == {name: content for name, content in before_files.items() if not name.endswith(".part")}
    assert run_async(_snapshot(populated.effective_database_url)) == before_rows
    assert sorted(p.name for p in folder.iterdir()) == ["1", "2"]  # no staging folders left


def test_a_hostile_uploads_archive_is_refused_before_anything_is_replaced(populated):
    folder = populated.data_path / "uploads"
    (folder / "1").mkdir(parents=True)
    (folder / "1" / "kept.png").write_bytes(b"kept")
    path = make_backup(populated)
    with tarfile.open(uploads_archive_of(path), "w") as archive:
        entry = tarfile.TarInfo("../../outside.txt")
        entry.size = 4
        archive.addfile(entry, io.BytesIO(b"evil"))
    run_async(_change_everything(populated.effective_database_url))
    changed = run_async(_snapshot(populated.effective_database_url))
    with pytest.raises(BackupError, match="unexpected entry"):
        restore_backup(populated, path)
    assert run_async(_snapshot(populated.effective_database_url)) == changed
    assert _files(folder) == {"1/kept.png": b"kept"}
    assert not (populated.data_path.parent / "outside.txt").exists()


def test_a_backup_taken_before_anything_was_uploaded_leaves_the_uploads_alone(populated):
    path = make_backup(populated)
    assert not uploads_archive_of(path).exists()
    folder = populated.data_path / "uploads"
    (folder / "1").mkdir(parents=True)
    (folder / "1" / "later.png").write_bytes(b"later")
    restore_backup(populated, path)
    assert _files(folder) == {"1/later.png": b"later"}


def test_the_backup_task_counts_the_uploads_archive_and_prunes_it_with_its_database(populated):
    folder = populated.data_path / "uploads" / "1"
    folder.mkdir(parents=True)
    (folder / "a.png").write_bytes(b"x" * 5000)
    path = Path(run_task(populated))
    rows, _ = run_async(_backups(populated.effective_database_url))
    assert rows[-1].size_bytes == path.stat().st_size + uploads_archive_of(path).stat().st_size
    for old in (path, uploads_archive_of(path)):
        os.utime(old, (time.time() - 30 * 86400,) * 2)
    assert sorted(prune(populated)) == sorted([path, uploads_archive_of(path)])
