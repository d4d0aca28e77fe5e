"""Photos of observations: what an upload must be, how it is stored, and who may see it.

- An upload is decoded with Pillow (``verify``, then a full ``load``), refused beyond
  ``PHOTO_MAX_BYTES`` or ``PHOTO_MAX_PIXELS``, turned upright (EXIF orientation), and re-encoded
  as a fresh JPEG with no metadata: no GPS position, no device, no comment, and nothing that rode
  along in the original file (a polyglot's HTML, bytes after the end of the image).
- It is stored as ``photos/<random>.jpg``: neither guessable nor the client's file name. The
  files are not under a public URL: ``projects.views.photos`` sends them after checking that the
  visitor may see the photo's kəhriz (:func:`visible_photos`).
- The API's ``PhotoSerializer`` and the admin's photo forms both go through :func:`clean_upload`,
  so they refuse the same files with the same messages.
"""

import io
import uuid
from pathlib import PurePath

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

# What Pillow calls the formats a phone or a camera sends. MPO is the JPEG many phones write
# (a JPEG followed by a second, smaller picture).
ACCEPTED_FORMATS = {"JPEG", "MPO", "PNG", "WEBP"}
JPEG_QUALITY = 85
IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".webp"}

NOT_AN_IMAGE = _("This file is not a photo: send a JPEG, PNG or WebP image.")
TOO_MANY_BYTES = _("The photo is too large (at most %(limit)s): send a smaller one.")
TOO_MANY_PIXELS = _("The photo is too large (at most %(megapixels)s megapixels): send a smaller one.")


def photo_upload_to(instance, filename):
    """A new random name for every stored image; of the client's name only a known image
    extension is kept (uploads through clean_upload are always ``.jpg``)."""
    extension = PurePath(filename).suffix.lower()
    if extension not in IMAGE_EXTENSIONS:
        extension = ".jpg"
    return f"photos/{uuid.uuid4().hex}{extension}"


def _too_many_pixels():
    return ValidationError(
        TOO_MANY_PIXELS,
        code="too_many_pixels",
        params={"megapixels": f"{settings.PHOTO_MAX_PIXELS / 1_000_000:g}"},
    )


def _not_an_image():
    return ValidationError(NOT_AN_IMAGE, code="not_an_image")


def clean_upload(upload):
    """The uploaded file as a clean JPEG (a ContentFile), or a ValidationError saying why not."""
    max_bytes = settings.PHOTO_MAX_BYTES
    if upload.size is not None and upload.size > max_bytes:
        raise ValidationError(TOO_MANY_BYTES, code="too_large", params={"limit": filesizeformat(max_bytes)})
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            # The header alone gives the size: refuse a decompression bomb before decoding it.
            if image.format not in ACCEPTED_FORMATS:
                raise _not_an_image()
            if image.width * image.height > settings.PHOTO_MAX_PIXELS:
                raise _too_many_pixels()
            image.verify()
        upload.seek(0)
        with Image.open(upload) as image:
            image.load()
            upright = ImageOps.exif_transpose(image)
            clean = _plain_rgb(upright)
    except ValidationError:
        raise
    except Image.DecompressionBombError as error:
        raise _too_many_pixels() from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as error:
        # Pillow's ways of saying "not an image", "truncated" or "corrupt".
        raise _not_an_image() from error
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return ContentFile(out.getvalue(), name="photo.jpg")


def _plain_rgb(image):
    """The pixels alone, in RGB: transparency is laid on white, and nothing from the original's
    ``info`` (EXIF, XMP, ICC profile, JPEG comment) is carried over to what is saved."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        clean = Image.new("RGB", rgba.size, (255, 255, 255))
        clean.paste(rgba, mask=rgba.getchannel("A"))
    else:
        clean = image.convert("RGB")
        if clean is image:
            clean = image.copy()
    clean.info = {}
    return clean


class _Link:
    def __init__(self, url, label):
        self.url, self.label = url, label

    def __str__(self):
        return self.label


class PhotoFileInput(forms.ClearableFileInput):
    """The admin's "Currently: …" links to the photo's view, not to the storage's (unserved) URL."""

    def format_value(self, value):
        photo = getattr(value, "instance", None)
        if value and photo is not None and photo.pk:
            return _Link(photo.get_absolute_url(), str(photo.uuid))
        return None


class PhotoUploadField(forms.FileField):
    """The admin's image field: a new upload goes through :func:`clean_upload`."""

    widget = PhotoFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"})

    def to_python(self, data):
        upload = super().to_python(data)
        if upload is None:
            return None
        return clean_upload(upload)


class PhotoForm(forms.ModelForm):
    """The admin's photo form (the photo admin and the inline on an observation)."""

    image = PhotoUploadField(label=_("image"))


def visible_photos(user):
    """The photos ``user`` may see: those of the kəhriz the pages show them (published kəhriz for
    anonymous visitors, every kəhriz once signed in; see ``projects.views.common``)."""
    from projects.models import Photo
    from projects.views.common import visible_through

    return Photo.objects.filter(visible_through(user, "observation__kehriz"))


def delete_file_on_commit(storage, name):
    """Remove a stored image once the transaction that let go of it commits: a rolled-back
    delete or replacement keeps its file. A file still named by another photo, or kept for a
    deleted photo in the trash (projects.trash), stays."""
    from django.db import transaction

    from projects.models import Photo, TrashFile

    def remove():
        # Kept while a photo or a trash entry (a deleted photo that may be restored) names it.
        if (
            name
            and not Photo.objects.filter(image=name).exists()
            and not TrashFile.objects.filter(name=name).exists()
        ):
            storage.delete(name)

    transaction.on_commit(remove)


def remove_unsaved_file(photo):
    """Delete the file an unsaved ``photo`` wrote (a file field writes it before the row is
    inserted): when two copies of one photo arrive at once, the copy whose row the database
    refuses must leave no file behind. A file some photo names stays."""
    from projects.models import Photo

    name = photo.image.name if photo.image else None
    if name and not Photo.objects.filter(image=name).exists():
        photo.image.storage.delete(name)
