import uuid

from django.conf import settings
from django.contrib.gis.db import models
from django.core.validators import MinValueValidator
from django.db.models import F
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from projects.history import record_history
from projects.photos import delete_file_on_commit, photo_upload_to
from projects.search import folded_filter, kehriz_keys

from .base import SearchableModel, TimeStampedModel, choices_constraint, end_after_start, non_negative
from .functions import MonthOf
from .kehriz import Functionality, Kehriz


class MonitoringVisitQuerySet(models.QuerySet):
    def search(self, text):
        """Visits whose title or organisations match."""
        return folded_filter(self, text, ["search_text"])


class MonitoringVisit(SearchableModel):
    """One monitoring trip. It may cover several kəhriz in several districts."""

    uuid = models.UUIDField(
        _("identifier"),
        default=uuid.uuid4,
        unique=True,
        editable=False,
        help_text=_("Chosen by the device that recorded the visit, so that a resend never duplicates it."),
    )
    title = models.CharField(_("title"), max_length=200)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    dates_are_approximate = models.BooleanField(
        _("dates are approximate"),
        default=False,
        help_text=_("Set when the source gives the day but not the year, for example."),
    )
    purpose = models.TextField(_("purpose"), blank=True)
    organisations = models.CharField(
        _("organisations taking part"),
        max_length=500,
        blank=True,
        help_text=_("Comma-separated, e.g. IOM, KOICA."),
    )
    participants = models.TextField(_("participants"), blank=True)
    source = models.CharField(_("source"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="recorded_visits",
    )
    is_synthetic = models.BooleanField(_("synthetic demo record"), default=False, editable=False)

    objects = MonitoringVisitQuerySet.as_manager()
    history = record_history(exclude=["search_text"])

    class Meta:
        verbose_name = _("monitoring visit")
        verbose_name_plural = _("monitoring visits")
        ordering = ["-start_date", "-id"]
        indexes = [
            models.Index(fields=["start_date"], name="visit_start_idx"),
            models.Index(fields=["updated_at"], name="visit_updated_idx"),  # the dashboard's version
        ]
        constraints = [
            end_after_start("start_date", "end_date", "visit_end_after_start"),
        ]

    def __str__(self):
        if self.end_date and self.end_date != self.start_date:
            return f"{self.title} ({date_format(self.start_date)} – {date_format(self.end_date)})"
        return f"{self.title} ({date_format(self.start_date)})"

    def clean(self):
        from django.core.exceptions import ValidationError
        from django.utils import timezone

        if self.start_date and self.start_date > timezone.localdate():
            raise ValidationError({"start_date": _("A visit cannot start in the future.")})

    def search_names(self):
        return [self.title, self.organisations]

    @property
    def last_date(self):
        return self.end_date or self.start_date


class DischargeMethod(models.TextChoices):
    BUCKET = "bucket", _("bucket (volumetric)")
    WEIR = "weir", _("weir")
    FLOAT = "float", _("float")
    ESTIMATE = "estimate", _("estimate")


class ObservationQuerySet(models.QuerySet):
    def search(self, text):
        """Observations of a matching kəhriz (name, code, village, district) or on a matching visit."""
        return folded_filter(self, text, [*kehriz_keys("kehriz"), "visit__search_text"])


class Observation(TimeStampedModel):
    """What a visit found at one kəhriz."""

    DischargeMethod = DischargeMethod

    visit = models.ForeignKey(
        MonitoringVisit,
        verbose_name=_("visit"),
        on_delete=models.CASCADE,
        related_name="observations",
    )
    kehriz = models.ForeignKey(
        Kehriz, verbose_name=_("kəhriz"), on_delete=models.PROTECT, related_name="observations"
    )
    observed_on = models.DateField(_("observed on"))
    functionality = models.CharField(
        _("functionality"),
        max_length=20,
        choices=Functionality.choices,
        default=Functionality.UNKNOWN,
    )
    discharge_lps = models.DecimalField(
        _("discharge (L/s)"),
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    discharge_method = models.CharField(
        _("discharge method"), max_length=20, choices=DischargeMethod.choices, blank=True
    )
    works_progress = models.TextField(_("works progress"), blank=True)
    findings = models.TextField(_("findings"), blank=True)
    observer_location = models.PointField(_("observer's position"), srid=4326, null=True, blank=True)
    observer_accuracy_m = models.DecimalField(
        _("position accuracy (m)"),
        max_digits=8,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    needs_review = models.BooleanField(_("needs review"), default=False)
    review_note = models.CharField(_("review note"), max_length=255, blank=True)

    objects = ObservationQuerySet.as_manager()
    history = record_history()

    class Meta:
        verbose_name = _("observation")
        verbose_name_plural = _("observations")
        ordering = ["-observed_on", "kehriz__name", "id"]
        indexes = [
            models.Index(fields=["kehriz", "-observed_on"], name="observation_kehriz_date_idx"),
            models.Index(fields=["-observed_on", "-id"], name="observation_date_idx"),
            models.Index(fields=["functionality"], name="observation_function_idx"),
            models.Index(fields=["updated_at"], name="observation_updated_idx"),  # the dashboard's version
            # The dashboard's monthly discharge: read from this index alone, already in month order.
            models.Index(
                MonthOf("observed_on"),
                F("kehriz"),
                F("discharge_lps"),
                F("observed_on"),
                name="observation_month_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["visit", "kehriz"],
                name="observation_one_per_kehriz_per_visit",
                violation_error_message=_("This visit already has an observation of this kəhriz."),
            ),
            choices_constraint("functionality", Functionality, "observation_functionality_valid"),
            choices_constraint(
                "discharge_method", DischargeMethod, "observation_method_valid", allow_blank=True
            ),
            non_negative(
                "discharge_lps", "observation_discharge_non_negative", _("A discharge cannot be negative.")
            ),
            non_negative(
                "observer_accuracy_m",
                "observation_accuracy_non_negative",
                _("An accuracy cannot be negative."),
            ),
            models.CheckConstraint(
                condition=models.Q(discharge_lps__isnull=True) | ~models.Q(discharge_method=""),
                name="observation_discharge_has_method",
                violation_error_message=_("Say how the discharge was measured."),
            ),
        ]

    def __str__(self):
        return f"{self.kehriz.name}, {date_format(self.observed_on)}"

    def clean(self):
        from projects.services import validate_observation

        validate_observation(self)


class Role(models.TextChoices):
    ENGINEER = "engineer", _("engineer")
    KANKAN = "kankan", _("kankan")
    COMMITTEE = "committee", _("water user committee")
    COMMUNITY = "community", _("community member")
    OFFICIAL = "official", _("local official")
    OTHER = "other", _("other")


class PersonMet(TimeStampedModel):
    Role = Role

    observation = models.ForeignKey(
        Observation,
        verbose_name=_("observation"),
        on_delete=models.CASCADE,
        related_name="people_met",
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    name = models.CharField(_("name"), max_length=200, blank=True)
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    count = models.PositiveIntegerField(
        _("number of people"),
        null=True,
        blank=True,
        help_text=_("For a group met together; leave empty when not known."),
    )
    is_woman = models.BooleanField(_("woman"), null=True, blank=True)

    history = record_history()

    class Meta:
        verbose_name = _("person met")
        verbose_name_plural = _("people met")
        ordering = ["observation", "role", "name", "id"]
        constraints = [
            choices_constraint("role", Role, "personmet_role_valid"),
            models.CheckConstraint(
                condition=models.Q(count__isnull=True) | models.Q(count__gte=1),
                name="personmet_count_positive",
                violation_error_message=_("At least one person."),
            ),
        ]

    def __str__(self):
        who = self.name or self.get_role_display()
        return f"{who} × {self.count}" if self.count and self.count > 1 else who


class FollowUpQuerySet(models.QuerySet):
    def open(self):
        return self.filter(done=False)

    def search(self, text):
        """Follow-ups whose action or who matches, or about a matching kəhriz."""
        return folded_filter(self, text, kehriz_keys("observation__kehriz"), plain=["action", "responsible"])


class PhotoQuerySet(models.QuerySet):
    def search(self, text):
        """Photos whose caption matches, or of a matching kəhriz."""
        return folded_filter(self, text, kehriz_keys("observation__kehriz"), plain=["caption"])


class FollowUp(TimeStampedModel):
    observation = models.ForeignKey(
        Observation,
        verbose_name=_("observation"),
        on_delete=models.CASCADE,
        related_name="follow_ups",
    )
    action = models.TextField(_("action"))
    responsible = models.CharField(_("who"), max_length=200, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    done = models.BooleanField(_("done"), default=False)
    done_on = models.DateField(_("done on"), null=True, blank=True)

    objects = FollowUpQuerySet.as_manager()
    history = record_history()

    class Meta:
        verbose_name = _("follow-up action")
        verbose_name_plural = _("follow-up actions")
        ordering = ["done", "due_date", "id"]
        indexes = [models.Index(fields=["done", "due_date"], name="followup_open_due_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(done_on__isnull=True) | models.Q(done=True),
                name="followup_done_on_only_when_done",
                violation_error_message=_("A completion date needs the action to be marked done."),
            ),
        ]

    def __str__(self):
        return self.action[:80]


class Photo(TimeStampedModel):
    observation = models.ForeignKey(
        Observation, verbose_name=_("observation"), on_delete=models.CASCADE, related_name="photos"
    )
    uuid = models.UUIDField(
        _("identifier"),
        default=uuid.uuid4,
        unique=True,
        editable=False,
        help_text=_("Chosen by the device that took the photo, so that a resend never duplicates it."),
    )
    # Stored under a random name, outside any public URL: get_absolute_url() is the view that
    # checks who may see it (projects/photos.py).
    image = models.ImageField(_("image"), upload_to=photo_upload_to)
    caption = models.CharField(_("caption"), max_length=300, blank=True)
    taken_at = models.DateTimeField(_("taken at"), null=True, blank=True)

    objects = PhotoQuerySet.as_manager()
    history = record_history()

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["observation", "taken_at", "id"]

    def __str__(self):
        return self.caption or self.image.name

    @classmethod
    def from_db(cls, db, field_names, values):
        photo = super().from_db(db, field_names, values)
        photo._stored_image = photo.__dict__.get("image")
        return photo

    def get_absolute_url(self):
        return reverse("projects:photo", args=[self.uuid])

    def save(self, *args, **kwargs):
        stored = getattr(self, "_stored_image", None)
        super().save(*args, **kwargs)
        current = self.image.name if self.image else None
        if stored and stored != current:
            # The image was replaced: the old file goes once the change is committed.
            delete_file_on_commit(self.image.storage, stored)
        self._stored_image = current


@receiver(post_delete, sender=Photo, dispatch_uid="projects.photo.delete_file")
def _delete_photo_file(sender, instance, **kwargs):
    """A signal, not a delete() override: photos also go in cascades (an observation, a visit
    deleted), and in bulk, where delete() is never called."""
    if instance.image:
        delete_file_on_commit(instance.image.storage, instance.image.name)
