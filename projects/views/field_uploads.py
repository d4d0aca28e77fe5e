"""Photos from the field app in pieces, for links too slow to carry a photo in one request.

The phone announces a photo (its own ``uuid``, the observation, caption, size and SHA-256), sends
its bytes in chunks of the size its link manages, each as ``PUT …/<offset>/``, and asks the server
to assemble them. Every step may be repeated, by retries or by two tabs at once, with the same
result:

- ``POST /field/uploads/`` (JSON) starts an upload, or answers the one already started (how many
  bytes arrived: the phone resumes from there), or the photo itself once it is stored;
- ``GET /field/uploads/<uuid>/``: the same answer, without starting anything;
- ``PUT /field/uploads/<uuid>/<offset>/`` (the bytes): a chunk; one already received is
  recognised (same bytes: nothing changes) and only what is new is kept; a chunk that would leave
  a gap is refused with the offset to resume from;
- ``POST /field/uploads/<uuid>/complete/``: joins the chunks, checks the size and the SHA-256
  (a mismatch is refused with a clear message, nothing is stored, and the upload starts again from
  zero), then checks and stores the photo exactly as ``POST /api/v1/photos/`` does (the same
  serializer, messages and answer). Completions racing each other make one photo and one file.

Who may: as the photo API, a field officer for the kəhriz of their districts and a data manager
for any; an upload belongs to the user who started it. Kept out of ``/api/v1/``: these are the
field app's own door, not part of the public API.

Abandoned uploads: a completed upload is deleted with its chunks at once; a user's 21st open
upload drops their oldest; ``manage.py clean_photo_uploads`` deletes those untouched for a week."""

import hashlib
import json

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.http import JsonResponse
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from rest_framework import serializers

from projects import photos
from projects import serializers as s
from projects.models import Observation, Photo, PhotoUpload, PhotoUploadChunk

# The largest chunk one request may carry; the phone sends smaller ones on a slow link.
MAX_CHUNK_BYTES = 512 * 1024
# A user's unfinished uploads at most: starting one more drops their oldest.
MAX_OPEN_UPLOADS = 20


def _answer(data, status=200):
    return JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})


def _error(message, status, code, **extra):
    return _answer({"detail": str(message), "code": code, **extra}, status=status)


def _refuse_user(request):
    """401/403 as the photo API answers them, or None when the user may send photos."""
    if not request.user.is_authenticated:
        return _error(_("Sign in again to send the photos waiting on this phone."), 401, "not_authenticated")
    if not request.user.has_perm("projects.add_photo"):
        return _error(_("Only field officers and data managers send photos."), 403, "permission_denied")
    return None


def _state(upload):
    return {
        "uuid": str(upload.uuid),
        "complete": False,
        "size": upload.size,
        "received": upload.received,
        "chunkMax": MAX_CHUNK_BYTES,
    }


def _stored(request, photo, status=200):
    data = s.PhotoSerializer(photo, context={"request": request}).data
    return _answer({**data, "complete": True}, status=status)


def _out_of_district(errors):
    if isinstance(errors, dict):
        return any(_out_of_district(value) for value in errors.values())
    if isinstance(errors, list):
        return any(_out_of_district(value) for value in errors)
    return getattr(errors, "code", None) == s.OUT_OF_DISTRICT


def _refused(errors):
    """A serializer's errors, answered as the API answers them (403 outside the user's districts)."""
    return _answer(errors, status=403 if _out_of_district(errors) else 400)


class UploadStartSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    observation = serializers.PrimaryKeyRelatedField(queryset=Observation.objects.select_related("kehriz"))
    caption = serializers.CharField(max_length=300, allow_blank=True, required=False, default="")
    taken_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    size = serializers.IntegerField(min_value=1)
    sha256 = serializers.RegexField(r"^[0-9a-f]{64}$")

    def validate_observation(self, value):
        return s.observation_in_users_districts(
            self, value, _("%(kehriz)s is not in your districts: you cannot add photos to it.")
        )

    def validate_size(self, value):
        if value > settings.PHOTO_MAX_BYTES:
            raise serializers.ValidationError(
                photos.TOO_MANY_BYTES % {"limit": filesizeformat(settings.PHOTO_MAX_BYTES)}
            )
        return value


@require_POST
def start(request):
    refusal = _refuse_user(request)
    if refusal:
        return refusal
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict):
        return _error(_("Send the photo's description as a JSON object."), 400, "parse_error")
    photo = Photo.objects.filter(uuid=body.get("uuid")).first() if _is_uuid(body.get("uuid")) else None
    if photo is not None:
        return _stored(request, photo)
    serializer = UploadStartSerializer(data=body, context={"request": request})
    if not serializer.is_valid():
        return _refused(serializer.errors)
    data = serializer.validated_data
    fields = {
        "observation": data["observation"],
        "caption": data["caption"],
        "taken_at": data["taken_at"],
        "size": data["size"],
        "sha256": data["sha256"],
    }
    for _attempt in range(2):
        upload = PhotoUpload.objects.filter(uuid=data["uuid"]).first()
        if upload is not None:
            break
        _make_room(request.user)
        try:
            with transaction.atomic():
                upload = PhotoUpload.objects.create(uuid=data["uuid"], user=request.user, **fields)
            return _answer(_state(upload), status=201)
        except IntegrityError:
            continue  # started at the same moment by another request: answer that one
    if upload.user_id != request.user.pk:
        return _error(_("Another user is sending this photo."), 403, "other_user")
    if (upload.size, upload.sha256) != (data["size"], data["sha256"]):
        # Another file under the same identifier: what was received belongs to the old one.
        with transaction.atomic():
            PhotoUploadChunk.objects.filter(upload=upload).delete()
            for name, value in fields.items():
                setattr(upload, name, value)
            upload.received = 0
            upload.save()
    elif (upload.caption, upload.taken_at) != (data["caption"], data["taken_at"]):
        upload.caption, upload.taken_at = data["caption"], data["taken_at"]
        upload.save(update_fields=["caption", "taken_at", "updated_at"])
    return _answer(_state(upload))


def _is_uuid(value):
    import uuid

    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def _make_room(user):
    """Drop the user's oldest unfinished uploads beyond MAX_OPEN_UPLOADS - 1 (abandoned ones: a
    phone sends one photo at a time)."""
    stale = list(
        PhotoUpload.objects.filter(user=user)
        .order_by("-updated_at", "-id")
        .values_list("pk", flat=True)[MAX_OPEN_UPLOADS - 1 :]
    )
    if stale:
        PhotoUpload.objects.filter(pk__in=stale).delete()


@require_GET
def status(request, uuid):
    refusal = _refuse_user(request)
    if refusal:
        return refusal
    photo = Photo.objects.filter(uuid=uuid).first()
    if photo is not None:
        return _stored(request, photo)
    upload = PhotoUpload.objects.filter(uuid=uuid, user=request.user).first()
    if upload is None:
        return _unknown()
    return _answer(_state(upload))


def _unknown():
    return _error(
        _("This photo's upload is not on the server (any more): it starts again."), 404, "unknown_upload"
    )


def _bytes_between(upload, start, end):
    """The received bytes from ``start`` to ``end`` (both within what was received)."""
    chunks = PhotoUploadChunk.objects.filter(
        upload=upload, offset__lt=end, offset__gt=start - MAX_CHUNK_BYTES - 1
    ).order_by("offset")
    out = bytearray()
    for chunk in chunks:
        data = bytes(chunk.data)
        low, high = max(start, chunk.offset), min(end, chunk.offset + len(data))
        if low < high:
            out += data[low - chunk.offset : high - chunk.offset]
    return bytes(out)


def _lock(queryset):
    """Take the upload's row for this transaction (a write, so that SQLite serialises too): the
    number of rows taken (0: it is gone)."""
    return queryset.update(updated_at=timezone.now())


@require_http_methods(["PUT"])
def chunk(request, uuid, offset):
    refusal = _refuse_user(request)
    if refusal:
        return refusal
    try:
        length = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        length = 0
    if length > MAX_CHUNK_BYTES:
        return _error(
            _("A piece of a photo may be at most %(limit)s.") % {"limit": filesizeformat(MAX_CHUNK_BYTES)},
            413,
            "chunk_too_large",
        )
    data = request.body
    if not data:
        return _error(_("This piece of the photo is empty."), 400, "empty_chunk")
    with transaction.atomic():
        if not _lock(PhotoUpload.objects.filter(uuid=uuid, user=request.user)):
            photo = Photo.objects.filter(uuid=uuid).first()
            return _stored(request, photo) if photo is not None else _unknown()
        upload = PhotoUpload.objects.get(uuid=uuid)
        end = offset + len(data)
        if end > upload.size:
            return _error(_("This piece goes beyond the photo's size."), 400, "beyond_size", **_state(upload))
        if offset > upload.received:
            return _error(_("A piece of the photo is missing before this one."), 409, "gap", **_state(upload))
        if offset < upload.received:
            kept = _bytes_between(upload, offset, min(end, upload.received))
            if kept != data[: len(kept)]:
                # What arrived before differs from what the phone sends now: start again.
                PhotoUploadChunk.objects.filter(upload=upload).delete()
                upload.received = 0
                upload.save(update_fields=["received", "updated_at"])
                return _error(
                    _("The photo arrived damaged: it is sent again from the start."),
                    409,
                    "mismatch",
                    **_state(upload),
                )
        if end > upload.received:
            PhotoUploadChunk.objects.create(
                upload=upload, offset=upload.received, data=data[upload.received - offset :]
            )
            upload.received = end
            upload.save(update_fields=["received", "updated_at"])
    return _answer(_state(upload))


@require_POST
def complete(request, uuid):
    refusal = _refuse_user(request)
    if refusal:
        return refusal
    photo = Photo.objects.filter(uuid=uuid).first()
    if photo is not None:
        PhotoUpload.objects.filter(uuid=uuid, user=request.user).delete()
        return _stored(request, photo)
    upload = PhotoUpload.objects.filter(uuid=uuid, user=request.user).first()
    if upload is None:
        return _unknown()
    if upload.received < upload.size:
        return _error(_("The photo has not fully arrived yet."), 409, "incomplete", **_state(upload))
    data = b"".join(bytes(c) for c in upload.chunks.order_by("offset").values_list("data", flat=True))
    if len(data) != upload.size or hashlib.sha256(data).hexdigest() != upload.sha256:
        with transaction.atomic():
            if _lock(PhotoUpload.objects.filter(pk=upload.pk)):
                PhotoUploadChunk.objects.filter(upload=upload).delete()
                PhotoUpload.objects.filter(pk=upload.pk).update(received=0)
        upload.received = 0
        return _error(
            _(
                "The photo arrived damaged (its checksum does not match the phone's): nothing was "
                "stored, and it is sent again from the start."
            ),
            400,
            "checksum",
            **_state(upload),
        )
    serializer = s.PhotoSerializer(
        data={
            "uuid": str(upload.uuid),
            "observation": upload.observation_id,
            "caption": upload.caption,
            "taken_at": upload.taken_at,
            "image": SimpleUploadedFile(f"{upload.uuid}.jpg", data, content_type="image/jpeg"),
        },
        context={"request": request},
    )
    if not serializer.is_valid():
        return _refused(serializer.errors)  # the upload stays: "Send again" after a fix completes it
    return _store(request, upload, serializer.validated_data)


def _store(request, upload, data):
    """One photo and one file, however many completions race: each takes the upload's row first;
    the one that finds it gone (or the photo there) answers the stored photo."""
    photo = Photo(
        observation=data["observation"], uuid=upload.uuid, caption=upload.caption, taken_at=upload.taken_at
    )
    try:
        with transaction.atomic():
            if _lock(PhotoUpload.objects.filter(pk=upload.pk)):
                if not Photo.objects.filter(uuid=upload.uuid).exists():
                    photo.image.save("photo.jpg", data["image"], save=False)
                    photo.save()
                    PhotoUpload.objects.filter(pk=upload.pk).delete()
                    return _stored(request, photo, status=201)
                PhotoUpload.objects.filter(pk=upload.pk).delete()
    except IntegrityError:
        # Stored at the same moment through the photo API (POST /api/v1/photos/): that one stays.
        photos.remove_unsaved_file(photo)
    except Exception:
        photos.remove_unsaved_file(photo)
        raise
    stored = Photo.objects.filter(uuid=upload.uuid).first()
    if stored is None:
        return _unknown()
    return _stored(request, stored)
