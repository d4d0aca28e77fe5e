"""Photos are seen only by those who may see their kəhriz, arrive clean, and leave with their record.

Who sees a photo is the pages' rule (projects/views/common.py): a published kəhriz's photos are
public; an unpublished kəhriz's photos are for signed-in users, whatever their role, as its page
is; an anonymous visitor gets 404 for them (as for the page), so that nothing says they exist. A
deleted photo is 404 for everyone."""

import importlib
import io
import re
import struct
import uuid
import zlib
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import Resolver404, get_resolver, reverse
from PIL import ExifTags, Image

from projects import roles
from projects.models import Photo
from tests import factories
from tests.helpers import admin_form_data

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_in_tmp")]

PHOTOS_API = reverse("projects:api-photo-list")
RANDOM_NAME = re.compile(r"^photos/[0-9a-f]{32}\.jpg$")
PAYLOAD = b"<script>alert('kehriz')</script>"
NOT_A_PHOTO = {
    "en": "This file is not a photo: send a JPEG, PNG or WebP image.",
    "az": "Bu fayl foto deyil: JPEG, PNG və ya WebP şəkil göndərin.",
}


# --- Files ------------------------------------------------------------------------------------


def jpeg_bytes(size=(64, 48), exif=None, comment=None):
    buffer = io.BytesIO()
    options = {"quality": 95}
    if exif is not None:
        options["exif"] = exif
    if comment is not None:
        options["comment"] = comment
    Image.new("RGB", size, (40, 120, 200)).save(buffer, "JPEG", **options)
    return buffer.getvalue()


def noisy_jpeg_bytes(size=(200, 200)):
    buffer = io.BytesIO()
    Image.effect_noise(size, 80).convert("RGB").save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


def phone_exif():
    """What a phone writes: where it was, what it is, and how it was held (turned 90°)."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Samsung"
    exif[ExifTags.Base.Model] = "SM-A546B"
    exif[ExifTags.Base.Orientation] = 6
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (40.0, 36.0, 37.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (46.0, 47.0, 23.0)
    return exif


def png_claiming(width, height):
    """A tiny PNG whose header claims ``width`` × ``height`` pixels: a decompression bomb's shape."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def upload(data, name="IMG_20240313_101500.jpg"):
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def stored_bytes(photo):
    with photo.image.storage.open(photo.image.name, "rb") as stored:
        return stored.read()


def served_bytes(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


# --- People and places ------------------------------------------------------------------------


def multipart(data):
    return encode_multipart(BOUNDARY, data), MULTIPART_CONTENT


def client_for(user, language="en"):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def officer_elsewhere(agdam):
    officer = factories.UserFactory(username="officer-agdam", roles=[roles.FIELD_OFFICER])
    agdam.officers.add(officer)
    return officer


@pytest.fixture
def people(viewer, field_officer, officer_elsewhere, data_manager):
    return {
        "anonymous": None,
        "viewer": viewer,
        "field officer in district": field_officer,
        "field officer out of district": officer_elsewhere,
        "data manager": data_manager,
    }


@pytest.fixture
def observations(goranboy):
    published = factories.KehrizFactory(name="Karvansara", district=goranboy, is_published=True)
    unpublished = factories.KehrizFactory(name="Gizli bulaq", district=goranboy, is_published=False)
    return {
        "published": factories.ObservationFactory(kehriz=published),
        "unpublished": factories.ObservationFactory(kehriz=unpublished),
    }


def send(client, observation, data, **fields):
    return client.post(
        PHOTOS_API,
        {"uuid": str(uuid.uuid4()), "observation": observation.pk, "image": upload(data), **fields},
    )


# --- Who sees a photo -------------------------------------------------------------------------

SIGNED_IN = ["viewer", "field officer in district", "field officer out of district", "data manager"]
MATRIX = (
    [("anonymous", "published", "existing", 200), ("anonymous", "unpublished", "existing", 404)]
    + [(who, kehriz, "existing", 200) for who in SIGNED_IN for kehriz in ("published", "unpublished")]
    + [
        (who, kehriz, "deleted", 404)
        for who in ["anonymous", *SIGNED_IN]
        for kehriz in ("published", "unpublished")
    ]
)


@pytest.mark.parametrize(("who", "kehriz", "photo_state", "expected"), MATRIX)
def test_who_sees_a_photo(
    people, observations, django_capture_on_commit_callbacks, who, kehriz, photo_state, expected
):
    photo = factories.PhotoFactory(observation=observations[kehriz], image__width=40, image__height=30)
    original = stored_bytes(photo)
    url = photo.get_absolute_url()
    assert url == f"/photos/{photo.uuid}/"
    if photo_state == "deleted":
        with django_capture_on_commit_callbacks(execute=True):
            photo.delete()

    response = client_for(people[who]).get(url)

    assert response.status_code == expected
    if expected == 200:
        body = served_bytes(response)
        assert body == original
        with Image.open(io.BytesIO(body)) as image:
            assert (image.format, image.size) == ("JPEG", (40, 30))
        assert response["Content-Type"] == "image/jpeg"
        assert response["X-Content-Type-Options"] == "nosniff"
        cache = response["Cache-Control"]
        if kehriz == "published":
            assert "public" in cache
        else:
            assert "private" in cache and "no-cache" in cache and "public" not in cache
    else:
        assert b"\xff\xd8" not in served_bytes(response)


def test_a_photo_is_revalidated_cheaply(viewer, observations):
    photo = factories.PhotoFactory(observation=observations["unpublished"])
    client = client_for(viewer)
    first = client.get(photo.get_absolute_url())
    again = client.get(photo.get_absolute_url(), HTTP_IF_NONE_MATCH=first["ETag"])
    assert (first.status_code, again.status_code) == (200, 304)
    # The check comes first: an anonymous visitor with the tag learns nothing.
    anonymous = Client().get(photo.get_absolute_url(), HTTP_IF_NONE_MATCH=first["ETag"])
    assert anonymous.status_code == 404


def test_in_nginx_mode_the_view_answers_with_the_header_and_no_body(settings, viewer, observations):
    settings.PHOTO_SERVE = "nginx"
    settings.PHOTO_ACCEL_PREFIX = "/protected-media/"
    photo = factories.PhotoFactory(observation=observations["unpublished"])

    response = client_for(viewer).get(photo.get_absolute_url())

    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/protected-media/{photo.image.name}"
    assert response["Content-Type"] == "image/jpeg"
    assert "private" in response["Cache-Control"]
    assert served_bytes(response) == b""
    # Nobody else is sent to the file.
    refused = Client().get(photo.get_absolute_url())
    assert refused.status_code == 404
    assert not refused.has_header("X-Accel-Redirect")


def test_media_is_not_served_even_in_debug(settings, observations):
    photo = factories.PhotoFactory(observation=observations["published"])
    import kehriz.urls

    settings.DEBUG = True
    try:
        urls = importlib.reload(kehriz.urls)
        with pytest.raises(Resolver404):
            get_resolver(urls).resolve(f"/media/{photo.image.name}")
    finally:
        settings.DEBUG = False
        importlib.reload(kehriz.urls)
    assert Client().get(f"/media/{photo.image.name}").status_code == 404


def test_a_photo_stored_under_its_old_name_is_still_served(viewer, observations):
    """Photos uploaded before the random names (photos/<year>/<month>/<phone's name>)."""
    photo = factories.PhotoFactory(observation=observations["unpublished"])
    data = jpeg_bytes()
    old = photo.image.storage.save("photos/2024/03/IMG_0001.jpg", io.BytesIO(data))
    Photo.objects.filter(pk=photo.pk).update(image=old)

    response = client_for(viewer).get(photo.get_absolute_url())

    assert response.status_code == 200
    assert served_bytes(response) == data
    assert Client().get(photo.get_absolute_url()).status_code == 404


def test_the_migration_renames_old_photos_and_strips_their_metadata(
    observations, django_capture_on_commit_callbacks
):
    from django.apps import apps

    migration = importlib.import_module("projects.migrations.0008_private_photos")
    photo = factories.PhotoFactory(observation=observations["published"])
    storage = photo.image.storage
    old = storage.save("photos/2024/03/IMG_0002.jpg", io.BytesIO(jpeg_bytes(exif=phone_exif())))
    Photo.objects.filter(pk=photo.pk).update(image=old)
    untouched = factories.PhotoFactory(observation=observations["published"])
    untouched_name = untouched.image.name

    with django_capture_on_commit_callbacks(execute=True):
        migration.rename_photos(apps, SimpleNamespace(connection=connection))

    photo.refresh_from_db()
    assert RANDOM_NAME.match(photo.image.name)
    assert not storage.exists(old)
    with Image.open(photo.image.path) as image:
        exif = image.getexif()
        assert image.size == (48, 64)  # turned upright
    assert not exif.get_ifd(ExifTags.IFD.GPSInfo)
    assert ExifTags.Base.Make not in exif and ExifTags.Base.Model not in exif
    untouched.refresh_from_db()
    assert untouched.image.name == untouched_name


# --- Files leave with their record --------------------------------------------------------------


def test_the_file_is_removed_from_disk_with_its_record(observations, django_capture_on_commit_callbacks):
    photo = factories.PhotoFactory(observation=observations["published"])
    path = photo.image.path
    assert Path(path).read_bytes()[:2] == b"\xff\xd8"
    with django_capture_on_commit_callbacks(execute=True):
        photo.delete()
    assert not Photo.objects.filter(pk=photo.pk).exists()
    assert not Path(path).exists()


def test_a_copy_stored_at_the_same_moment_leaves_no_second_file(observations, data_manager, rf, settings):
    """Two uploads of one photo at once: both pass the "not stored yet" check, one row is stored,
    the other refused by the database. The refused one wrote its file before its row: it must
    not stay on the disk (it did: one orphan file per lost race)."""
    from django.db import IntegrityError
    from rest_framework.request import Request

    from projects.serializers import PhotoSerializer

    photo_uuid = uuid.uuid4()
    request = Request(rf.post(PHOTOS_API))
    request.user = data_manager
    late = PhotoSerializer(
        data={
            "uuid": str(photo_uuid),
            "observation": observations["published"].pk,
            "image": upload(jpeg_bytes()),
        },
        context={"request": request},
    )
    assert late.is_valid(), late.errors
    # Meanwhile the other request stores the same photo.
    first = factories.PhotoFactory(observation=observations["published"], uuid=photo_uuid)
    with pytest.raises(IntegrityError), transaction.atomic():
        late.save()
    files = sorted(p.name for p in (Path(settings.MEDIA_ROOT) / "photos").iterdir())
    assert files == [Path(first.image.name).name]


def test_the_files_go_when_their_visit_is_deleted(observations, django_capture_on_commit_callbacks):
    observation = observations["published"]
    paths = [factories.PhotoFactory(observation=observation).image.path for _ in range(2)]
    with django_capture_on_commit_callbacks(execute=True):
        observation.visit.delete()
    assert not Photo.objects.exists()
    assert not Path(paths[0]).exists()
    assert not Path(paths[1]).exists()


def test_a_rolled_back_delete_keeps_the_file(observations, django_capture_on_commit_callbacks):
    photo = factories.PhotoFactory(observation=observations["published"])
    pk, path = photo.pk, photo.image.path
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        photo.delete()
        raise RuntimeError("something later in the same change failed")
    assert Photo.objects.filter(pk=pk).exists()
    assert Path(path).read_bytes()[:2] == b"\xff\xd8"


def test_a_replaced_image_leaves_no_old_file(field_officer, observations, django_capture_on_commit_callbacks):
    client = client_for(field_officer)
    observation = observations["published"]
    created = send(client, observation, jpeg_bytes())
    assert created.status_code == 201, created.content
    photo = Photo.objects.get()
    old_path = photo.image.path

    with django_capture_on_commit_callbacks(execute=True):
        response = client.generic(
            "PATCH",
            reverse("projects:api-photo-detail", args=[photo.pk]),
            *multipart({"image": upload(jpeg_bytes((30, 20)), name="again.jpg")}),
        )
    assert response.status_code == 200, response.content
    photo.refresh_from_db()
    assert RANDOM_NAME.match(photo.image.name)
    assert photo.image.path != old_path
    with Image.open(photo.image.path) as image:
        assert image.size == (30, 20)
    assert not Path(old_path).exists()


# --- What an upload becomes ---------------------------------------------------------------------


def test_stored_names_are_random_and_not_the_uploads_name(field_officer, observations):
    client = client_for(field_officer)
    for _ in range(2):
        response = send(client, observations["published"], jpeg_bytes())
        assert response.status_code == 201, response.content
    names = [photo.image.name for photo in Photo.objects.all()]
    assert all(RANDOM_NAME.match(name) for name in names), names
    assert not any("IMG_20240313" in name for name in names)
    assert names[0] != names[1]


def test_the_api_gives_the_photo_views_url(field_officer, observations):
    client = client_for(field_officer)
    response = send(client, observations["published"], jpeg_bytes())
    photo = Photo.objects.get()
    assert response.json()["image"] == f"http://testserver/photos/{photo.uuid}/"
    listed = client.get(PHOTOS_API).json()["results"][0]["image"]
    assert listed == response.json()["image"]
    # Which a browser opens, anonymously too, since the kəhriz is published.
    assert Client().get(listed.removeprefix("http://testserver")).status_code == 200


def test_gps_and_device_are_gone_and_the_photo_is_upright(field_officer, observations):
    original = jpeg_bytes(exif=phone_exif())
    with Image.open(io.BytesIO(original)) as sent:
        assert sent.getexif().get_ifd(ExifTags.IFD.GPSInfo), "the test photo carries a position"

    response = send(client_for(field_officer), observations["published"], original)

    assert response.status_code == 201, response.content
    photo = Photo.objects.get()
    data = stored_bytes(photo)
    with Image.open(io.BytesIO(data)) as stored:
        exif = stored.getexif()
        assert stored.format == "JPEG"
        assert stored.size == (48, 64)  # orientation 6 applied: 64×48 held upright
    assert not exif.get_ifd(ExifTags.IFD.GPSInfo)
    assert ExifTags.Base.Make not in exif and ExifTags.Base.Model not in exif
    assert ExifTags.Base.Orientation not in exif
    assert b"Samsung" not in data and b"SM-A546B" not in data


@pytest.mark.parametrize(
    "polyglot",
    [
        pytest.param(
            jpeg_bytes() + b"\n<html><body>" + PAYLOAD + b"</body></html>", id="html-after-the-jpeg"
        ),
        pytest.param(jpeg_bytes(comment=b"<html>" + PAYLOAD), id="html-in-a-jpeg-comment"),
    ],
)
def test_a_jpeg_html_polyglot_is_stored_without_its_payload(field_officer, observations, polyglot):
    with Image.open(io.BytesIO(polyglot)) as image:
        image.load()  # a valid JPEG as sent
    assert PAYLOAD in polyglot

    response = send(client_for(field_officer), observations["published"], polyglot)

    assert response.status_code == 201, response.content
    photo = Photo.objects.get()
    data = stored_bytes(photo)
    assert PAYLOAD not in data and b"<html" not in data
    with Image.open(io.BytesIO(data)) as stored:
        stored.load()
    served = Client().get(photo.get_absolute_url())
    assert PAYLOAD not in served_bytes(served)


@pytest.mark.parametrize("language", ["az", "en"])
def test_a_file_that_is_not_an_image_is_refused_with_a_clear_message(field_officer, observations, language):
    html = b"<!doctype html><html><body>" + PAYLOAD + b"</body></html>"
    response = send(client_for(field_officer, language), observations["published"], html)
    assert response.status_code == 400
    assert response.json()["image"] == [NOT_A_PHOTO[language]]
    assert not Photo.objects.exists()


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("az", "Foto çox böyükdür (ən çoxu 2,0\xa0KB): daha kiçik foto göndərin."),
        ("en", "The photo is too large (at most 2.0\xa0KB): send a smaller one."),
    ],
)
def test_an_oversized_upload_is_refused(settings, field_officer, observations, language, message):
    settings.PHOTO_MAX_BYTES = 2048
    data = noisy_jpeg_bytes()
    assert len(data) > 2048

    response = send(client_for(field_officer, language), observations["published"], data)

    assert response.status_code == 400
    assert response.json()["image"] == [message]
    assert not Photo.objects.exists()
    # Within the limit, the same officer's photo is taken.
    assert send(client_for(field_officer), observations["published"], jpeg_bytes()).status_code == 201


def test_a_decompression_bomb_is_refused_before_it_is_decoded(field_officer, observations):
    bomb = png_claiming(30_000, 30_000)  # 900 megapixels in a hundred bytes
    assert len(bomb) < 200
    response = client_for(field_officer).post(
        PHOTOS_API,
        {
            "uuid": str(uuid.uuid4()),
            "observation": observations["published"].pk,
            "image": SimpleUploadedFile("bomb.png", bomb, content_type="image/png"),
        },
    )
    assert response.status_code == 400
    assert response.json()["image"] == ["The photo is too large (at most 50 megapixels): send a smaller one."]
    assert not Photo.objects.exists()


def test_a_png_with_transparency_is_stored_as_a_jpeg(field_officer, observations):
    buffer = io.BytesIO()
    Image.new("RGBA", (20, 10), (200, 0, 0, 0)).save(buffer, "PNG")
    response = send(client_for(field_officer), observations["published"], buffer.getvalue())
    assert response.status_code == 201, response.content
    with Image.open(io.BytesIO(stored_bytes(Photo.objects.get()))) as stored:
        assert (stored.format, stored.mode, stored.size) == ("JPEG", "RGB", (20, 10))
        assert stored.getpixel((5, 5)) > (240, 240, 240)  # transparent laid on white


# --- The admin's uploads ----------------------------------------------------------------------


def admin_add(client, observation, data, name="IMG_0003.jpg"):
    return client.post(
        reverse("admin:projects_photo_add"),
        {
            "observation": observation.pk,
            "image": upload(data, name=name),
            "caption": "Çıxış hovuzu",
            "taken_at_0": "",
            "taken_at_1": "",
        },
    )


def test_the_admin_stores_a_clean_photo_and_links_to_its_view(data_manager, observations):
    client = client_for(data_manager)
    response = admin_add(client, observations["unpublished"], jpeg_bytes(exif=phone_exif()))
    assert response.status_code == 302, response.context["adminform"].form.errors
    photo = Photo.objects.get()
    assert RANDOM_NAME.match(photo.image.name)
    data = stored_bytes(photo)
    with Image.open(io.BytesIO(data)) as stored:
        assert not stored.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        assert stored.size == (48, 64)
    assert b"Samsung" not in data

    change_url = reverse("admin:projects_photo_change", args=[photo.pk])
    change = client.get(change_url)
    assert f'href="/photos/{photo.uuid}/"' in change.content.decode()
    assert "/media/" not in change.content.decode()
    # Saved again without a new file: the same image stays.
    data = {**admin_form_data(change), "caption": "Çıxış hovuzu, yenidən"}
    data.pop("image", None)
    assert client.post(change_url, data).status_code == 302
    kept = Photo.objects.get()
    assert (kept.caption, kept.image.name) == ("Çıxış hovuzu, yenidən", photo.image.name)
    assert Path(kept.image.path).exists()
    inline = client.get(reverse("admin:projects_observation_change", args=[observations["unpublished"].pk]))
    assert f'<img src="/photos/{photo.uuid}/"' in inline.content.decode()


@pytest.mark.parametrize("language", ["az", "en"])
def test_the_admin_refuses_a_file_that_is_not_an_image(data_manager, observations, language):
    client = client_for(data_manager, language)
    response = admin_add(client, observations["published"], b"<html>" + PAYLOAD, name="photo.jpg")
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["image"] == [NOT_A_PHOTO[language]]
    assert not Photo.objects.exists()


# --- Names of people met ----------------------------------------------------------------------


@pytest.fixture
def people_met(observations):
    observation = observations["published"]
    factories.PersonMetFactory(observation=observation, role="kankan", name="Əli Həsənov", organisation="")
    factories.PersonMetFactory(
        observation=observation, role="committee", name="Gülnarə Əliyeva", organisation="Su istifadəçiləri"
    )
    return observation


def people_listed(client, observation):
    """The text of each line of the kəhriz page's "People met" list."""
    response = client.get(reverse("projects:kehriz", args=[observation.kehriz_id]))
    assert response.status_code == 200
    listing = re.search(r'<ul class="people">(.*?)</ul>', response.content.decode(), re.S)
    assert listing, "the page lists the people met"
    items = re.findall(r"<li>(.*?)</li>", listing.group(1), re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", item)).strip() for item in items]


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("az", ["Su istifadəçiləri komitəsi (Su istifadəçiləri)", "Kankan"]),
        ("en", ["Water user committee (Su istifadəçiləri)", "Kankan"]),
    ],
)
def test_an_anonymous_visitor_sees_the_roles_of_people_met_but_not_their_names(
    people_met, language, expected
):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    assert people_listed(client, people_met) == expected
    page = client.get(reverse("projects:kehriz", args=[people_met.kehriz_id])).content.decode()
    assert "Həsənov" not in page and "Əliyeva" not in page


def test_a_signed_in_user_sees_the_names_of_people_met(viewer, people_met):
    assert people_listed(client_for(viewer), people_met) == [
        "Water user committee: Gülnarə Əliyeva (Su istifadəçiləri)",
        "Kankan: Əli Həsənov",
    ]


def test_names_of_people_met_are_not_in_public_api_answers_or_exports(people_met):
    anonymous = Client()
    assert anonymous.get(reverse("projects:api-observation-list")).status_code == 401
    assert anonymous.get(reverse("projects:api-visit-list")).status_code == 401
    for path in (
        reverse("projects:api-kehriz-list"),
        reverse("projects:api-kehriz-detail", args=[people_met.kehriz_id]),
        reverse("projects:api-export", args=["kehriz", "csv"]),
    ):
        response = anonymous.get(path)
        assert response.status_code == 200, path
        body = served_bytes(response).decode()
        assert "Karvansara" in body
        assert "Həsənov" not in body and "Əliyeva" not in body


# --- In a browser -------------------------------------------------------------------------------


@pytest.fixture
def districts_loaded(transactional_db):
    """A transactional test empties the database after it: load the districts again if one did."""
    from django.core.management import call_command

    from projects.models import District

    if not District.objects.exists():
        call_command("load_districts", verbosity=0)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_anonymous_visitor_sees_the_photo_in_azerbaijani_under_the_csp(
    districts_loaded, browser, live_server
):
    """The page's <img> points at the photo view (same origin, as img-src 'self' wants) and the
    photo shows; the people met show by role."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from tests.browser import screenshot

    goranboy = factories.district(factories.GORANBOY)
    kehriz = factories.KehrizFactory(name="Karvansara", district=goranboy, is_published=True)
    observation = factories.ObservationFactory(kehriz=kehriz)
    factories.PhotoFactory(observation=observation, image__width=40, image__height=30, caption="Çıxış hovuzu")
    factories.PersonMetFactory(observation=observation, role="kankan", name="Əli Həsənov")

    browser.get(f"{live_server.url}{reverse('projects:kehriz', args=[kehriz.pk])}")
    image = browser.find_element(By.CSS_SELECTOR, "ul.photos img")
    WebDriverWait(browser, 10).until(lambda d: d.execute_script("return arguments[0].complete", image))
    assert browser.execute_script("return arguments[0].naturalWidth", image) == 40
    assert image.get_attribute("alt") == "Çıxış hovuzu"
    assert "Fotolar" in browser.find_element(By.ID, "visits").text
    people = browser.find_element(By.CSS_SELECTOR, "ul.people").text
    assert people == "Kankan" and "Həsənov" not in browser.page_source
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", image)
    screenshot(browser, "kehriz-page-photo-anonymous-az")


def test_who_answers_for_a_follow_up_is_shown_to_signed_in_users_only(viewer, people_met):
    factories.FollowUpFactory(
        observation=people_met, action="Quyu 7-ni beton halqa ilə bərkitmək", responsible="Rəşad Quliyev"
    )
    url = reverse("projects:kehriz", args=[people_met.kehriz_id])
    public = Client(HTTP_ACCEPT_LANGUAGE="az").get(url).content.decode()
    assert "Quyu 7-ni beton halqa ilə bərkitmək" in public
    assert "Rəşad Quliyev" not in public
    assert "Rəşad Quliyev" in client_for(viewer).get(url).content.decode()
