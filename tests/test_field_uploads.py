"""Photos from the field app in chunks (projects/views/field_uploads.py): resumable, every chunk
idempotent, the whole checked (size and SHA-256) before one photo and one file are stored, however
many retries race; the photo API's permissions; abandoned uploads cleaned."""

import datetime
import hashlib
import io
import json
import random
import threading
import uuid
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from PIL import Image

from projects import photos
from projects.models import Photo, PhotoUpload, PhotoUploadChunk
from projects.views import field_uploads
from tests.factories import KehrizFactory, ObservationFactory, UserFactory
from tests.test_api_visits import (
    _in_thread,
    file_database,  # noqa: F401 (a fixture: threads on SQLite)
)

START = reverse("projects:field-upload-start")
JSON = "application/json"
CHECKSUM_EN = (
    "The photo arrived damaged (its checksum does not match the phone's): nothing was stored, and it "
    "is sent again from the start."
)


def jpeg(seed=1, size=(320, 240)):
    """A JPEG of noise (tens of kilobytes, so that it takes several chunks)."""
    rng = random.Random(seed)
    image = Image.frombytes("RGB", size, bytes(rng.getrandbits(8) for _ in range(size[0] * size[1] * 3)))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def client_for(user, language="en"):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def status_url(photo_uuid):
    return reverse("projects:field-upload", args=[photo_uuid])


def chunk_url(photo_uuid, offset):
    return reverse("projects:field-upload-chunk", args=[photo_uuid, offset])


def complete_url(photo_uuid):
    return reverse("projects:field-upload-complete", args=[photo_uuid])


def start(client, photo_uuid, observation, data, **extra):
    body = {
        "uuid": str(photo_uuid),
        "observation": observation.pk,
        "caption": "Çıxış hovuzu",
        "taken_at": "2026-03-13T10:00:00+04:00",
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        **extra,
    }
    return client.post(START, json.dumps(body), content_type=JSON)


def put(client, photo_uuid, offset, piece):
    return client.put(chunk_url(photo_uuid, offset), piece, content_type="application/octet-stream")


def send_all(client, photo_uuid, data, size=8000):
    for offset in range(0, len(data), size):
        answer = put(client, photo_uuid, offset, data[offset : offset + size])
        assert answer.status_code == 200, answer.content
    return answer


def stored_files(settings):
    folder = Path(settings.MEDIA_ROOT) / "photos"
    return sorted(folder.iterdir()) if folder.exists() else []


@pytest.fixture
def observation(goranboy):
    return ObservationFactory(kehriz=KehrizFactory(name="Karvansara", district=goranboy))


@pytest.fixture
def officer(field_officer, media_in_tmp):
    return client_for(field_officer)


# --- A photo in chunks ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_photo_sent_in_chunks_with_retries_arrives_whole_once(officer, observation, settings):
    data = jpeg()
    assert len(data) > 40_000
    photo_uuid = uuid.uuid4()

    first = start(officer, photo_uuid, observation, data)
    assert first.status_code == 201, first.content
    assert first.json() == {
        "uuid": str(photo_uuid),
        "complete": False,
        "size": len(data),
        "received": 0,
        "chunkMax": field_uploads.MAX_CHUNK_BYTES,
    }
    # Announcing it again (the answer was lost) starts nothing new.
    assert start(officer, photo_uuid, observation, data).json()["received"] == 0
    assert PhotoUpload.objects.count() == 1

    assert put(officer, photo_uuid, 0, data[:10_000]).json()["received"] == 10_000
    # The same chunk again (its answer was lost): the same answer, nothing added.
    again = put(officer, photo_uuid, 0, data[:10_000])
    assert (again.status_code, again.json()["received"]) == (200, 10_000)
    assert PhotoUploadChunk.objects.count() == 1
    # A chunk after a gap is refused with where to resume.
    gap = put(officer, photo_uuid, 20_000, data[20_000:25_000])
    assert (gap.status_code, gap.json()["code"], gap.json()["received"]) == (409, "gap", 10_000)
    # A smaller chunk size after a failure, overlapping what arrived: only the new part is kept.
    assert put(officer, photo_uuid, 6_000, data[6_000:14_000]).json()["received"] == 14_000
    # The phone asks where to resume after losing the signal.
    assert officer.get(status_url(photo_uuid)).json()["received"] == 14_000
    # Completing too early says what is missing.
    early = officer.post(complete_url(photo_uuid))
    assert (early.status_code, early.json()["code"]) == (409, "incomplete")
    assert not Photo.objects.exists()

    rest = data[14_000:]
    for offset in range(0, len(rest), 9_000):
        put(officer, photo_uuid, 14_000 + offset, rest[offset : offset + 9_000])
    done = officer.post(complete_url(photo_uuid))
    assert done.status_code == 201, done.content
    body = done.json()
    photo = Photo.objects.get()
    assert (body["uuid"], body["id"], body["complete"]) == (str(photo_uuid), photo.pk, True)
    assert (photo.observation, photo.caption) == (observation, "Çıxış hovuzu")
    assert photo.taken_at == datetime.datetime(2026, 3, 13, 6, 0, tzinfo=datetime.UTC)
    # Stored as the photo API stores it: the same clean JPEG made from exactly the bytes sent.
    assert Path(photo.image.path).read_bytes() == photos.clean_upload(ContentFile(data)).read()
    # The pieces are gone once the photo is stored.
    assert (PhotoUpload.objects.count(), PhotoUploadChunk.objects.count()) == (0, 0)

    # Every late retry answers the stored photo and makes nothing.
    for late in (
        officer.post(complete_url(photo_uuid)),
        start(officer, photo_uuid, observation, data),
        put(officer, photo_uuid, 0, data[:1000]),
        officer.get(status_url(photo_uuid)),
    ):
        assert late.status_code == 200, late.content
        assert (late.json()["id"], late.json()["complete"]) == (photo.pk, True)
    assert Photo.objects.count() == 1
    assert len(stored_files(settings)) == 1
    assert PhotoUpload.objects.count() == 0


@pytest.mark.django_db
def test_a_chunk_that_differs_from_what_arrived_starts_the_photo_again(officer, observation):
    data = jpeg()
    photo_uuid = uuid.uuid4()
    start(officer, photo_uuid, observation, data)
    put(officer, photo_uuid, 0, data[:10_000])
    changed = bytes([data[5] ^ 0xFF])
    answer = put(officer, photo_uuid, 5, changed + data[6:12_000])
    assert (answer.status_code, answer.json()["code"], answer.json()["received"]) == (409, "mismatch", 0)
    assert PhotoUploadChunk.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "az"])
def test_a_wrong_checksum_is_refused_and_nothing_is_stored(
    field_officer, media_in_tmp, observation, settings, language
):
    client = client_for(field_officer, language)
    data = jpeg()
    photo_uuid = uuid.uuid4()
    # The phone announced another file's checksum (or a byte changed on the way).
    start(client, photo_uuid, observation, data, sha256=hashlib.sha256(b"other").hexdigest())
    send_all(client, photo_uuid, data)

    answer = client.post(complete_url(photo_uuid))
    assert answer.status_code == 400
    with translation.override(language):
        expected = translation.gettext(CHECKSUM_EN)
    assert answer.json()["detail"] == expected
    assert (answer.json()["code"], answer.json()["received"]) == ("checksum", 0)
    assert answer["Content-Language"] == language
    # Nothing half-written: no photo, no file, and the pieces gone so that it restarts from zero.
    assert not Photo.objects.exists()
    assert stored_files(settings) == []
    assert PhotoUploadChunk.objects.count() == 0
    assert client.get(status_url(photo_uuid)).json()["received"] == 0


@pytest.mark.django_db
def test_a_file_that_is_not_a_photo_is_refused_as_the_photo_api_refuses_it(officer, observation, settings):
    data = b"<html><script>alert(1)</script></html>" * 50
    photo_uuid = uuid.uuid4()
    start(officer, photo_uuid, observation, data)
    send_all(officer, photo_uuid, data)
    answer = officer.post(complete_url(photo_uuid))
    assert answer.status_code == 400
    assert answer.json() == {"image": [str(photos.NOT_AN_IMAGE)]}
    assert not Photo.objects.exists()
    assert stored_files(settings) == []


@pytest.mark.django_db
def test_sizes_beyond_the_limits_are_refused(officer, observation, settings):
    settings.PHOTO_MAX_BYTES = 30_000
    data = jpeg()
    too_big = start(officer, uuid.uuid4(), observation, data)
    assert too_big.status_code == 400
    assert "too large" in too_big.json()["size"][0]
    assert not PhotoUpload.objects.exists()

    settings.PHOTO_MAX_BYTES = 15 * 1024 * 1024
    photo_uuid = uuid.uuid4()
    start(officer, photo_uuid, observation, data)
    beyond = put(officer, photo_uuid, 0, data + b"x")
    assert (beyond.status_code, beyond.json()["code"]) == (400, "beyond_size")
    huge = put(officer, photo_uuid, 0, b"x" * (field_uploads.MAX_CHUNK_BYTES + 1))
    assert (huge.status_code, huge.json()["code"]) == (413, "chunk_too_large")
    assert PhotoUploadChunk.objects.count() == 0


# --- Racing completions -----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_racing_completions_leave_one_photo_and_one_file(
    field_officer, media_in_tmp, observation, settings, monkeypatch, request
):
    """Four completions of one photo, held until all four have assembled and checked it: one
    stores it (201), the others answer that photo (200); one row, one file."""
    data = jpeg()
    photo_uuid = uuid.uuid4()
    client = client_for(field_officer)
    start(client, photo_uuid, observation, data)
    send_all(client, photo_uuid, data)
    request.getfixturevalue("file_database")  # after the rows above exist

    racers = 4
    checked = threading.Barrier(racers, timeout=30)
    original = field_uploads._store

    def store(*args, **kwargs):
        checked.wait()  # every request has found no photo and checked the whole file
        return original(*args, **kwargs)

    monkeypatch.setattr(field_uploads, "_store", store)
    answers = [None] * racers

    def complete(index):
        try:
            answers[index] = client_for(field_officer).post(complete_url(photo_uuid))
        finally:
            connection.close()

    threads = [threading.Thread(target=complete, args=(i,)) for i in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    assert not any(thread.is_alive() for thread in threads)
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200, 200, 200, 201], [(a.status_code, a.content[:300]) for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1

    def stored():
        return (
            list(Photo.objects.values_list("uuid", "image")),
            PhotoUpload.objects.count(),
            PhotoUploadChunk.objects.count(),
        )

    rows, uploads, chunks = _in_thread(stored)  # the threads' database (a file on SQLite)
    assert [row[0] for row in rows] == [photo_uuid]
    assert [f.name for f in stored_files(settings)] == [Path(rows[0][1]).name]
    assert (uploads, chunks) == (0, 0)


# --- Who may ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_only_field_officers_of_the_district_and_data_managers_send_photos(
    field_officer, viewer, data_manager, media_in_tmp, agdam, observation
):
    data = jpeg(size=(64, 64))
    anonymous = Client(HTTP_ACCEPT_LANGUAGE="en")
    answer = start(anonymous, uuid.uuid4(), observation, data)
    assert (answer.status_code, answer.json()["code"]) == (401, "not_authenticated")
    assert (
        anonymous.put(chunk_url(uuid.uuid4(), 0), b"x", content_type="application/octet-stream").status_code
        == 401
    )

    answer = start(client_for(viewer), uuid.uuid4(), observation, data)
    assert (answer.status_code, answer.json()["code"]) == (403, "permission_denied")

    # An officer of Goranboy, for a kəhriz in Ağdam: refused as the photo API refuses it.
    elsewhere = ObservationFactory(kehriz=KehrizFactory(name="Ağ bulaq", code="AGD-01", district=agdam))
    answer = start(client_for(field_officer), uuid.uuid4(), elsewhere, data)
    assert answer.status_code == 403
    assert answer.json() == {
        "observation": ["Ağ bulaq (AGD-01) is not in your districts: you cannot add photos to it."]
    }
    assert not PhotoUpload.objects.exists()

    # A data manager may, anywhere.
    manager = client_for(data_manager)
    mine = uuid.uuid4()
    assert start(manager, mine, elsewhere, data).status_code == 201

    # Another user cannot see, add to, complete or take over someone else's upload.
    other = client_for(UserFactory(username="other-officer", roles=["field officer"]))
    assert other.get(status_url(mine)).status_code == 404
    assert put(other, mine, 0, data).status_code == 404
    assert other.post(complete_url(mine)).status_code == 404
    answer = start(client_for(field_officer), mine, observation, data)
    assert (answer.status_code, answer.json()["code"]) == (403, "other_user")
    assert PhotoUploadChunk.objects.count() == 0


@pytest.mark.django_db
def test_an_officer_removed_from_the_district_cannot_complete(
    field_officer, media_in_tmp, observation, goranboy
):
    client = client_for(field_officer)
    data = jpeg(size=(64, 64))
    photo_uuid = uuid.uuid4()
    start(client, photo_uuid, observation, data)
    send_all(client, photo_uuid, data)
    goranboy.officers.remove(field_officer)
    answer = client.post(complete_url(photo_uuid))
    assert answer.status_code == 403
    assert "not in your districts" in answer.json()["observation"][0]
    assert not Photo.objects.exists()


@pytest.mark.django_db
def test_the_chunk_door_needs_the_csrf_token(field_officer, observation):
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(field_officer)
    assert start(client, uuid.uuid4(), observation, b"x").status_code == 403
    assert not PhotoUpload.objects.exists()


# --- Abandoned uploads ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_abandoned_uploads_are_cleaned_by_the_command(officer, observation):
    data = jpeg(size=(64, 64))
    old, fresh = uuid.uuid4(), uuid.uuid4()
    for photo_uuid in (old, fresh):
        start(officer, photo_uuid, observation, data)
        put(officer, photo_uuid, 0, data[:500])
    PhotoUpload.objects.filter(uuid=old).update(updated_at=timezone.now() - datetime.timedelta(days=8))
    out = io.StringIO()
    call_command("clean_photo_uploads", stdout=out)
    assert list(PhotoUpload.objects.values_list("uuid", flat=True)) == [fresh]
    assert PhotoUploadChunk.objects.count() == 1
    assert "1" in out.getvalue()
    # The phone that comes back later is told to start again, and can.
    gone = put(officer, old, 500, data[500:1000])
    assert (gone.status_code, gone.json()["code"]) == (404, "unknown_upload")
    assert start(officer, old, observation, data).json()["received"] == 0


@pytest.mark.django_db
def test_a_users_oldest_open_upload_makes_room_for_a_new_one(officer, observation, monkeypatch):
    monkeypatch.setattr(field_uploads, "MAX_OPEN_UPLOADS", 3)
    data = jpeg(size=(64, 64))
    uuids = [uuid.uuid4() for _ in range(4)]
    for photo_uuid in uuids:
        assert start(officer, photo_uuid, observation, data).status_code == 201
    assert set(PhotoUpload.objects.values_list("uuid", flat=True)) == set(uuids[1:])


@pytest.mark.django_db
def test_a_chunk_costs_the_same_queries_however_many_came_before(officer, observation):
    data = jpeg()
    photo_uuid = uuid.uuid4()
    start(officer, photo_uuid, observation, data)

    def queries_for(offset, size=4000):
        with CaptureQueriesContext(connection) as queries:
            assert put(officer, photo_uuid, offset, data[offset : offset + size]).status_code == 200
        return len(queries)

    second = queries_for(0) and queries_for(4000)
    for offset in range(8000, 40_000, 4000):
        queries_for(offset)
    assert queries_for(40_000) == second <= 12
    # A repeat of a chunk already received reads back only what it overlaps.
    assert queries_for(36_000) <= second
