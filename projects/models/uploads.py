"""Photos sent from the field app in pieces, so that one crosses a link too slow to carry it in a
single request (projects/views/field_uploads.py).

A ``PhotoUpload`` is the photo the phone has announced (its own ``uuid``, observation, caption,
size and SHA-256); its ``PhotoUploadChunk`` rows are the bytes received so far, each starting
where the previous one ended, so that ``received`` is how far the phone has got and where it
resumes. The ``Photo`` is made only from the whole, checked file; the upload and its chunks are
then deleted. Uploads abandoned half-way are deleted by ``manage.py clean_photo_uploads``."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .base import TimeStampedModel
from .monitoring import Observation


class PhotoUpload(TimeStampedModel):
    uuid = models.UUIDField(
        _("identifier"),
        unique=True,
        help_text=_("Chosen by the phone: the photo keeps it."),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        on_delete=models.CASCADE,
        related_name="photo_uploads",
    )
    observation = models.ForeignKey(
        Observation, verbose_name=_("observation"), on_delete=models.CASCADE, related_name="photo_uploads"
    )
    caption = models.CharField(_("caption"), max_length=300, blank=True)
    taken_at = models.DateTimeField(_("taken at"), null=True, blank=True)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    received = models.PositiveIntegerField(_("bytes received"), default=0)

    class Meta:
        verbose_name = _("photo upload")
        verbose_name_plural = _("photo uploads")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(size__gt=0),
                name="photoupload_size_positive",
                violation_error_message=_("This piece of the photo is empty."),
            ),
            models.CheckConstraint(
                condition=models.Q(received__lte=models.F("size")),
                name="photoupload_received_within_size",
                violation_error_message=_("This piece goes beyond the photo's size."),
            ),
        ]

    def __str__(self):
        return f"{self.uuid} ({self.received}/{self.size})"


class PhotoUploadChunk(models.Model):
    upload = models.ForeignKey(
        PhotoUpload, verbose_name=_("photo upload"), on_delete=models.CASCADE, related_name="chunks"
    )
    offset = models.PositiveIntegerField(_("offset"))
    data = models.BinaryField(_("data"))

    class Meta:
        verbose_name = _("photo upload chunk")
        verbose_name_plural = _("photo upload chunks")
        ordering = ["upload", "offset"]
        constraints = [
            models.UniqueConstraint(
                fields=["upload", "offset"],
                name="photouploadchunk_one_per_offset",
                violation_error_message=_("This piece of the photo has been received already."),
            ),
        ]

    def __str__(self):
        return f"{self.upload_id}@{self.offset}"
