from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TrashEntry(models.Model):
    """A deleted kəhriz, visit, observation or photo with everything that hung on it, as it was
    when deleted (``payload``: Django's serialized records, parents first), until a data manager
    restores it or a superuser (or ``purge_trash``) purges it. See ``projects.trash``."""

    class Kind(models.TextChoices):
        KEHRIZ = "kehriz", _("kəhriz")
        VISIT = "visit", _("monitoring visit")
        OBSERVATION = "observation", _("observation")
        PHOTO = "photo", _("photo")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    object_id = models.PositiveBigIntegerField(_("record number"))
    label = models.CharField(_("record"), max_length=300)
    summary = models.CharField(_("with it"), max_length=500, blank=True)
    payload = models.JSONField(_("records"), editable=False)
    deleted_at = models.DateTimeField(_("deleted at"), auto_now_add=True, db_index=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("deleted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    door = models.CharField(_("through"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("deleted record")
        verbose_name_plural = _("trash")
        ordering = ["-deleted_at", "-id"]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.label}"


class TrashFile(models.Model):
    """A photo file kept for a trash entry: it stays in storage until the entry is purged."""

    entry = models.ForeignKey(TrashEntry, on_delete=models.CASCADE, related_name="files")
    name = models.CharField(max_length=500, db_index=True)

    class Meta:
        verbose_name = _("kept photo file")
        verbose_name_plural = _("kept photo files")

    def __str__(self):
        return self.name
