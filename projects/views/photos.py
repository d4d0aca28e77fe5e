"""A photo, to whoever may see it.

The stored files are not under a public URL. This view answers for one photo (by its uuid) after
checking that the visitor may see its kəhriz, with the pages' own rule: a published kəhriz's photos
are public; the others are for signed-in users, and anonymous visitors get a 404 for them, as for
the kəhriz page, so that nothing says they exist. Then it sends the file itself (development,
``PHOTO_SERVE=django``) or hands it to nginx with an X-Accel-Redirect (``PHOTO_SERVE=nginx``)."""

import hashlib
import mimetypes
from urllib.parse import quote

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponse, HttpResponseNotModified
from django.shortcuts import get_object_or_404
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.views.decorators.http import require_safe

from projects.photos import visible_photos

# What an old upload kept from its client may be; anything else is sent as a download.
IMAGE_TYPES = {"image/jpeg", "image/png", "image/webp", "image/gif"}
PUBLIC_MAX_AGE = 60 * 60


@require_safe
def photo(request, uuid):
    found = get_object_or_404(visible_photos(request.user).select_related("observation__kehriz"), uuid=uuid)
    name = found.image.name
    if not name:
        raise Http404
    etag = '"' + hashlib.sha256(name.encode()).hexdigest()[:32] + '"'
    content_type = mimetypes.guess_type(name)[0]
    if content_type not in IMAGE_TYPES:
        content_type = "application/octet-stream"

    if etag in [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]:
        response = HttpResponseNotModified()
    elif settings.PHOTO_SERVE == "nginx":
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = settings.PHOTO_ACCEL_PREFIX.rstrip("/") + "/" + quote(name)
    else:
        try:
            stored = found.image.storage.open(name, "rb")
        except FileNotFoundError as error:
            raise Http404 from error
        response = FileResponse(stored, content_type=content_type)

    response["ETag"] = etag
    response["X-Content-Type-Options"] = "nosniff"
    disposition = "inline" if content_type in IMAGE_TYPES else "attachment"
    extension = mimetypes.guess_extension(content_type) if content_type in IMAGE_TYPES else ".bin"
    response["Content-Disposition"] = f'{disposition}; filename="{found.uuid}{extension}"'
    if found.observation.kehriz.is_published:
        patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
    else:
        # Revalidated on every view (a 304 once the check passes): a signed-out browser, or a
        # shared cache, never answers from a copy.
        patch_cache_control(response, private=True, no_cache=True)
    patch_vary_headers(response, ["Cookie"])
    return response
