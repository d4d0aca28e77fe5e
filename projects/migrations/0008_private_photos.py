"""Photos under random names, without their metadata.

Photos stored before this migration kept the phone's file name under ``photos/<year>/<month>/``
and the EXIF of the phone (GPS position, device). Each is copied to ``photos/<random>.jpg``,
re-encoded without metadata when Pillow can read it (as it is otherwise), and the old file is
deleted once the migration has committed: a failed migration leaves every old file in place.

The code is kept here, not imported from ``projects.photos``, so that the migration does the same
thing whatever that module becomes.
"""

import io
import re
import uuid

from django.core.files.base import ContentFile
from django.db import migrations, models, transaction

import projects.photos

RANDOM_NAME = re.compile(r"^photos/[0-9a-f]{32}\.[a-z]+$")
KEPT_EXTENSIONS = {".jpg", ".jpeg", ".png", ".webp", ".gif"}


def _clean_jpeg(data):
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(data)) as image:
        image.load()
        image = ImageOps.exif_transpose(image)
        if image.mode in ("RGBA", "LA", "PA", "P"):
            rgba = image.convert("RGBA")
            image = Image.new("RGB", rgba.size, (255, 255, 255))
            image.paste(rgba, mask=rgba.getchannel("A"))
        else:
            image = image.convert("RGB")
        image.info = {}
        out = io.BytesIO()
        image.save(out, format="JPEG", quality=85, optimize=True)
    return out.getvalue()


def rename_photos(apps, schema_editor):
    Photo = apps.get_model("projects", "Photo")
    alias = schema_editor.connection.alias
    for photo in Photo.objects.using(alias).exclude(image="").only("pk", "image").iterator():
        old = photo.image.name
        if RANDOM_NAME.match(old):
            continue
        storage = photo.image.storage
        if not storage.exists(old):
            continue  # nothing to move; the view answers 404 for it as before
        with storage.open(old, "rb") as stored:
            data = stored.read()
        try:
            data, extension = _clean_jpeg(data), ".jpg"
        except Exception:  # noqa: BLE001 - anything Pillow cannot read is kept as it was
            extension = "." + old.rsplit(".", 1)[-1].lower() if "." in old else ""
            if extension not in KEPT_EXTENSIONS:
                extension = ".bin"
        new = storage.save(f"photos/{uuid.uuid4().hex}{extension}", ContentFile(data))
        Photo.objects.using(alias).filter(pk=photo.pk).update(image=new)
        transaction.on_commit(lambda storage=storage, old=old: storage.delete(old), using=alias)


class Migration(migrations.Migration):
    dependencies = [("projects", "0007_security_roles")]

    operations = [
        migrations.AlterField(
            model_name="photo",
            name="image",
            field=models.ImageField(upload_to=projects.photos.photo_upload_to, verbose_name="image"),
        ),
        migrations.RunPython(rename_photos, migrations.RunPython.noop),
    ]
