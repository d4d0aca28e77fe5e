"""`manage.py backup` and `manage.py restore`: one archive holds the database, the photos and a
manifest; a restore into an empty database and media folder gives back the same records, places
and photo bytes; a restore that would overwrite anything, or from a damaged archive, is refused
with nothing written. Runs on SpatiaLite and on PostGIS (a fresh database made for the restore)."""

import copy
import io
import json
import tarfile
from pathlib import Path

import pytest
from django.contrib.gis.geos import LineString
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections
from django.db.utils import load_backend
from django.utils import translation

from projects.models import District, Kehriz, MonitoringVisit, Observation, Photo, StatusEvent
from tests import factories

pytestmark = [
    # pg_dump and psql are other processes: they see committed rows only.
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("english", "media_in_tmp"),
]

ROUTE = [(46.7801, 40.6201), (46.7850, 40.6150), (46.78972, 40.61028)]
MODELS = [District, Kehriz, MonitoringVisit, Observation, Photo, StatusEvent]


@pytest.fixture
def records(goranboy, qazax):
    """Two kəhriz with outlets (one with its mother well and route), a visit observing both,
    a status change, and a photo file under MEDIA_ROOT."""
    karvansara = factories.KehrizFactory(
        name="Karvansara",
        code="GOR-KRV",
        district=goranboy,
        mother_well=factories.point(ROUTE[0]),
        route=LineString(ROUTE, srid=4326),
    )
    orta = factories.KehrizFactory(name="Orta", code="QAZ-ORTA", district=qazax)
    visit = factories.MonitoringVisitFactory(title="Mart səfəri")
    observation = factories.ObservationFactory(visit=visit, kehriz=karvansara)
    factories.ObservationFactory(visit=visit, kehriz=orta, functionality="dry")
    factories.StatusEventFactory(kehriz=karvansara)
    photo = factories.PhotoFactory(observation=observation)
    return {"kehriz": [karvansara, orta], "photo": photo}


@pytest.fixture
def empty_database(transactional_db, tmp_path):
    """A connection alias to a database with nothing in it: a new SpatiaLite file, or a PostGIS
    database created for the test (as ``createdb`` makes it), dropped afterwards. Added once the
    test's own database is set up, and removed before it is torn down."""
    alias = "restored"
    settings_dict = copy.deepcopy(connection.settings_dict)
    if connection.vendor == "postgresql":
        settings_dict["NAME"] = f"{connection.settings_dict['NAME']}_restored"
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{settings_dict["NAME"]}" WITH (FORCE)')
            cursor.execute(f'CREATE DATABASE "{settings_dict["NAME"]}"')
    else:
        settings_dict["NAME"] = str(tmp_path / "restored.sqlite3")
    # A connection made here rather than declared in settings: Django's test cases allow those.
    connections[alias] = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, alias)
    yield alias
    connections[alias].close()
    del connections[alias]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{settings_dict["NAME"]}" WITH (FORCE)')


def backup(folder):
    folder.mkdir()
    out = io.StringIO()
    call_command("backup", output=str(folder), stdout=out)
    (archive,) = folder.glob("kehriz-backup-*.tar.gz")
    return archive, out.getvalue()


def restore(archive, alias):
    out = io.StringIO()
    call_command("restore", str(archive), database=alias, stdout=out)
    return out.getvalue()


def counts(alias="default"):
    return {model.__name__: model.objects.using(alias).count() for model in MODELS}


def files_under(folder):
    return sorted(str(path.relative_to(folder)) for path in Path(folder).rglob("*") if path.is_file())


def table_names(alias):
    return connections[alias].introspection.table_names()


def test_a_backup_restored_into_an_empty_database_gives_back_the_same_records(
    records, empty_database, settings, tmp_path
):
    photo_bytes = Path(records["photo"].image.path).read_bytes()
    archive, said = backup(tmp_path / "backups")
    assert "Backup written" in said
    assert "2 media files" not in said and "1 media files" in said

    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile("manifest.json"))
    engine = "postgis" if connection.vendor == "postgresql" else "spatialite"
    assert manifest["engine"] == engine
    assert {"manifest.json", f"media/{records['photo'].image.name}"} <= set(names)
    assert manifest["tables"]["projects_kehriz"] == 2
    assert manifest["tables"]["projects_district"] == 79
    assert manifest["media"][0]["size"] == len(photo_bytes)

    settings.MEDIA_ROOT = tmp_path / "restored-media"
    said = restore(archive, empty_database)

    assert "Checked: the" in said and "1 media files match their sha256" in said
    assert (
        counts(empty_database)
        == counts()
        == {
            "District": 79,
            "Kehriz": 2,
            "MonitoringVisit": 1,
            "Observation": 2,
            "Photo": 1,
            "StatusEvent": 1,
        }
    )
    for original in records["kehriz"]:
        copy_ = Kehriz.objects.using(empty_database).get(code=original.code)
        assert copy_.outlet.coords == original.outlet.coords
        assert copy_.outlet.srid == 4326
    karvansara = Kehriz.objects.using(empty_database).get(code="GOR-KRV")
    assert karvansara.route.coords == tuple(ROUTE)
    assert karvansara.mother_well.coords == ROUTE[0]
    assert karvansara.district.name_en == District.objects.get(pk=karvansara.district_id).name_en
    # Spatial queries work on the restored database (its spatial index and metadata came along).
    near = Kehriz.objects.using(empty_database).filter(outlet__intersects=karvansara.district.boundary)
    assert list(near.values_list("code", flat=True)) == ["GOR-KRV"]

    photo = Photo.objects.using(empty_database).get()
    assert photo.image.name == records["photo"].image.name
    assert (tmp_path / "restored-media" / photo.image.name).read_bytes() == photo_bytes


def test_a_restore_into_a_database_holding_data_is_refused_and_changes_nothing(records, settings, tmp_path):
    archive, _said = backup(tmp_path / "backups")
    factories.KehrizFactory(code="NEW-1")  # the site went on after the backup
    before = counts()
    settings.MEDIA_ROOT = tmp_path / "empty-media"

    with pytest.raises(CommandError) as refused:
        restore(archive, "default")

    message = str(refused.value)
    assert "already holds data" in message and "projects_kehriz (3)" in message
    assert "empty database" in message and "DATABASE_URL" in message and "Nothing was restored" in message
    assert counts() == before
    assert Kehriz.objects.filter(code="NEW-1").exists()
    assert not (tmp_path / "empty-media").exists()


def test_a_restore_into_a_media_folder_holding_files_is_refused_before_the_database_is_touched(
    records, empty_database, settings, tmp_path
):
    archive, _said = backup(tmp_path / "backups")
    media = Path(settings.MEDIA_ROOT)
    before = files_under(media)

    with pytest.raises(CommandError, match=r"the media folder .* already holds 1 files"):
        restore(archive, empty_database)

    assert files_under(media) == before
    assert not any(name.startswith("projects_") for name in table_names(empty_database))


def test_the_refusal_is_in_azerbaijani_on_an_azerbaijani_site(records, settings, tmp_path):
    archive, _said = backup(tmp_path / "backups")
    settings.MEDIA_ROOT = tmp_path / "empty-media"
    with translation.override("az"), pytest.raises(CommandError) as refused:
        restore(archive, "default")
    assert "artıq məlumat var" in str(refused.value)


def test_a_truncated_archive_is_refused_with_nothing_written(records, empty_database, settings, tmp_path):
    archive, _said = backup(tmp_path / "backups")
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    settings.MEDIA_ROOT = tmp_path / "restored-media"

    with pytest.raises(CommandError, match="damaged or incomplete") as refused:
        restore(truncated, empty_database)

    assert "Nothing was restored" in str(refused.value)
    assert not (tmp_path / "restored-media").exists()
    assert not any(name.startswith("projects_") for name in table_names(empty_database))


def test_a_file_that_is_no_backup_is_refused(empty_database, settings, tmp_path):
    not_a_backup = tmp_path / "photos.tar.gz"
    with tarfile.open(not_a_backup, "w:gz") as tar:
        tar.addfile(tarfile.TarInfo("notes.txt"), io.BytesIO(b""))
    garbage = tmp_path / "garbage.tar.gz"
    garbage.write_bytes(b"not gzip at all")
    settings.MEDIA_ROOT = tmp_path / "restored-media"

    with pytest.raises(CommandError, match="is not a Kəhriz backup: it has no manifest.json"):
        restore(not_a_backup, empty_database)
    with pytest.raises(CommandError, match="damaged or incomplete"):
        restore(garbage, empty_database)
    assert not (tmp_path / "restored-media").exists()


def repack(archive, target, *, manifest=None, member=None):
    """A copy of ``archive`` with its manifest or one member's bytes changed."""
    with tarfile.open(archive) as source, tarfile.open(target, "w:gz") as out:
        for info in source.getmembers():
            content = source.extractfile(info).read()
            if info.name == "manifest.json" and manifest:
                content = json.dumps(manifest(json.loads(content))).encode()
            elif member and info.name.startswith(member[0]):
                content = member[1](content)
            info.size = len(content)
            out.addfile(info, io.BytesIO(content))
    return target


def test_a_photo_changed_inside_the_archive_is_caught_and_nothing_is_left_behind(
    records, empty_database, settings, tmp_path
):
    archive, _said = backup(tmp_path / "backups")
    tampered = repack(archive, tmp_path / "tampered.tar.gz", member=("media/", lambda data: data[:-1] + b"!"))
    settings.MEDIA_ROOT = tmp_path / "restored-media"

    with pytest.raises(CommandError, match="does not match its manifest"):
        restore(tampered, empty_database)

    assert files_under(tmp_path / "restored-media") == []
    assert not any(name.startswith("projects_") for name in table_names(empty_database))


def test_an_archive_of_the_other_engine_is_refused(records, empty_database, settings, tmp_path):
    archive, _said = backup(tmp_path / "backups")
    other = "spatialite" if connection.vendor == "postgresql" else "postgis"
    names = {"spatialite": "database.sqlite3", "postgis": "database.pgdump"}

    def other_engine(manifest):
        manifest["database"]["file"] = names[other]
        return {**manifest, "engine": other}

    foreign = repack(archive, tmp_path / "foreign.tar.gz", manifest=other_engine)
    settings.MEDIA_ROOT = tmp_path / "restored-media"

    with pytest.raises(CommandError, match="restored into the same kind of database"):
        restore(foreign, empty_database)
    assert not (tmp_path / "restored-media").exists()


def test_a_failing_database_load_leaves_the_database_and_media_folder_empty(
    records, empty_database, settings, tmp_path
):
    """The manifest promises one more kəhriz than the database holds: the count check fails (on
    SpatiaLite before the copy; on PostGIS inside the load's transaction, which rolls back, and
    the photo already placed is removed again)."""
    archive, _said = backup(tmp_path / "backups")

    def one_more(manifest):
        manifest["tables"]["projects_kehriz"] += 1
        return manifest

    wrong = repack(archive, tmp_path / "wrong-counts.tar.gz", manifest=one_more)
    settings.MEDIA_ROOT = tmp_path / "restored-media"

    with pytest.raises(CommandError, match="projects_kehriz: 2 rows, the manifest says 3"):
        restore(wrong, empty_database)

    assert files_under(tmp_path / "restored-media") == []
    assert not any(name.startswith("projects_") for name in table_names(empty_database))


def test_a_backup_never_replaces_a_file(records, tmp_path):
    existing = tmp_path / "kept.tar.gz"
    existing.write_bytes(b"an older backup")
    with pytest.raises(CommandError, match="already exists"):
        call_command("backup", output=str(existing), stdout=io.StringIO())
    assert existing.read_bytes() == b"an older backup"
