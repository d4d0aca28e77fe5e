from django.conf import settings
from django.contrib.gis.db import models
from django.core.validators import MinValueValidator
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from projects.history import record_history

from .base import (
    Currency,
    SearchableModel,
    TimeStampedModel,
    choices_constraint,
    end_after_start,
    non_negative,
)
from .places import District, Village
from .programme import Project


class Status(models.TextChoices):
    """The programme's restoration lifecycle, in order."""

    IDENTIFIED = "identified", _("identified")
    ASSESSED = "assessed", _("assessed")
    PLANNED = "planned", _("planned")
    UNDER_RESTORATION = "under_restoration", _("under restoration")
    RESTORED = "restored", _("restored")
    HANDED_OVER = "handed_over", _("handed over")

    @classmethod
    def order(cls, value):
        return list(cls.values).index(value)


class Functionality(models.TextChoices):
    """What a visit observes at the outlet."""

    FUNCTIONAL = "functional", _("functional")
    LOW_FLOW = "low_flow", _("low flow")
    DRY = "dry", _("dry")
    COLLAPSED = "collapsed", _("collapsed / blocked")
    UNKNOWN = "unknown", _("unknown")


class KehrizQuerySet(models.QuerySet):
    def with_places(self):
        """Village and district in the same query, without the districts' boundaries (large
        multipolygons that a list of kəhriz never needs)."""
        return self.select_related("village__district", "district").defer(
            "district__boundary", "village__district__boundary"
        )

    def restored(self):
        """Restored, including those already handed over to the community."""
        return self.filter(status__in=[Status.RESTORED, Status.HANDED_OVER])

    def handed_over(self):
        return self.filter(status=Status.HANDED_OVER)

    def in_district(self, district):
        return self.filter(district=district)

    def real(self):
        return self.filter(is_synthetic=False)

    def editable_by(self, user):
        """Kəhriz this user may edit: all for data managers, assigned districts for officers."""
        from projects.roles import can_edit_everything

        if can_edit_everything(user):
            return self
        return self.filter(district__officers=user)

    def search(self, text):
        from projects.search import KEHRIZ_KEYS, folded_filter

        return folded_filter(self, text, KEHRIZ_KEYS)


class Kehriz(SearchableModel):
    name = models.CharField(_("name"), max_length=120)
    code = models.CharField(
        _("code"),
        max_length=40,
        unique=True,
        help_text=_("A unique reference, e.g. CAB-HOR-01."),
        error_messages={"unique": _("Another kəhriz already has this code.")},
    )
    village = models.ForeignKey(
        Village,
        verbose_name=_("village"),
        on_delete=models.PROTECT,
        related_name="kehrizes",
        null=True,
        blank=True,
    )
    district = models.ForeignKey(
        District,
        verbose_name=_("district"),
        on_delete=models.PROTECT,
        related_name="kehrizes",
        blank=True,
        help_text=_("Left empty, it is found from the outlet's location."),
    )
    projects = models.ManyToManyField(
        Project, verbose_name=_("projects"), related_name="kehrizes", blank=True
    )

    # Where it is.
    outlet = models.PointField(
        _("outlet"),
        srid=4326,
        null=True,
        blank=True,
        help_text=_("Where the water comes out (çıxış, göz)."),
    )
    mother_well = models.PointField(_("mother well"), srid=4326, null=True, blank=True)
    route = models.LineStringField(
        _("gallery route"),
        srid=4326,
        null=True,
        blank=True,
        help_text=_("Drawn from the mother well to the outlet."),
    )
    location_is_approximate = models.BooleanField(_("location is approximate"), default=False)
    location_source = models.CharField(_("source of the location"), max_length=255, blank=True)
    distance_outside_district_m = models.PositiveIntegerField(
        _("metres outside its district"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("How far the outlet lies beyond its district's boundary (0: inside)."),
    )
    location_needs_review = models.BooleanField(
        _("location needs review"),
        default=False,
        editable=False,
        help_text=_("The outlet lies just outside its district's boundary: check it on the map."),
    )

    # The gallery.
    gallery_length_m = models.DecimalField(
        _("gallery length (m)"),
        max_digits=8,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("Computed from the route when one is drawn."),
    )
    shaft_count = models.PositiveIntegerField(_("number of shafts"), null=True, blank=True)
    mother_well_depth_m = models.DecimalField(
        _("mother-well depth (m)"),
        max_digits=6,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )

    # What it serves.
    use_drinking = models.BooleanField(_("drinking water"), default=False)
    use_irrigation = models.BooleanField(_("irrigation"), default=False)
    use_livestock = models.BooleanField(_("livestock"), default=False)
    households_served = models.PositiveIntegerField(_("households served"), null=True, blank=True)
    people_served = models.PositiveIntegerField(_("people served"), null=True, blank=True)
    idp_households_served = models.PositiveIntegerField(_("IDP households served"), null=True, blank=True)
    irrigated_area_ha = models.DecimalField(
        _("irrigated area (ha)"),
        max_digits=9,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    figures_are_approximate = models.BooleanField(_("figures are approximate"), default=False)

    # Water user committee.
    committee_name = models.CharField(_("water user committee"), max_length=200, blank=True)
    committee_members = models.PositiveIntegerField(_("committee members"), null=True, blank=True)
    committee_women = models.PositiveIntegerField(_("women on the committee"), null=True, blank=True)
    committee_chair_is_woman = models.BooleanField(_("a woman chairs the committee"), null=True, blank=True)

    # Current state, kept in step by projects.services for fast filtering.
    status = models.CharField(
        _("restoration status"),
        max_length=20,
        choices=Status.choices,
        default=Status.IDENTIFIED,
    )
    status_changed_on = models.DateField(_("status since"), null=True, blank=True)
    functionality = models.CharField(
        _("functionality"),
        max_length=20,
        choices=Functionality.choices,
        default=Functionality.UNKNOWN,
        editable=False,
    )
    last_visit_on = models.DateField(_("last visited on"), null=True, editable=False)
    last_visit_approximate = models.BooleanField(
        _("last visit's date is approximate"),
        default=False,
        editable=False,
        help_text=_("A visit whose dates are approximate observed the kəhriz on its last visit date."),
    )
    last_discharge_lps = models.DecimalField(
        _("last discharge (L/s)"), max_digits=7, decimal_places=2, null=True, editable=False
    )

    notes = models.TextField(_("notes"), blank=True)
    source = models.CharField(_("source"), max_length=500, blank=True)
    is_published = models.BooleanField(_("published"), default=True, help_text=_("Shown on the public map."))
    is_synthetic = models.BooleanField(
        _("synthetic demo record"),
        default=False,
        editable=False,
        help_text=_("Made by generate_demo_data; never a real kəhriz."),
    )

    objects = KehrizQuerySet.as_manager()
    history = record_history(
        exclude=[
            "search_text",
            "functionality",
            "last_visit_on",
            "last_visit_approximate",
            "last_discharge_lps",
        ],
        m2m=["projects"],
    )

    class Meta:
        verbose_name = _("kəhriz")
        verbose_name_plural = _("kəhriz")
        ordering = ["name", "code"]
        indexes = [
            models.Index(fields=["status", "district"], name="kehriz_status_district_idx"),
            models.Index(fields=["functionality"], name="kehriz_functionality_idx"),
            models.Index(fields=["district", "name"], name="kehriz_district_name_idx"),
            # The admin's list in the model's order, a page at a time, without sorting every kəhriz.
            models.Index(fields=["name", "code"], name="kehriz_name_code_idx"),
            models.Index(fields=["is_synthetic"], name="kehriz_synthetic_idx"),
            models.Index(fields=["updated_at"], name="kehriz_updated_idx"),  # the dashboard's version
        ]
        constraints = [
            choices_constraint("status", Status, "kehriz_status_valid"),
            choices_constraint("functionality", Functionality, "kehriz_functionality_valid"),
            non_negative(
                "gallery_length_m", "kehriz_length_non_negative", _("The gallery length cannot be negative.")
            ),
            non_negative(
                "mother_well_depth_m",
                "kehriz_depth_non_negative",
                _("The mother-well depth cannot be negative."),
            ),
            non_negative(
                "irrigated_area_ha", "kehriz_area_non_negative", _("The irrigated area cannot be negative.")
            ),
            non_negative(
                "last_discharge_lps", "kehriz_discharge_non_negative", _("A discharge cannot be negative.")
            ),
            models.CheckConstraint(
                condition=models.Q(committee_women__isnull=True)
                | models.Q(committee_members__isnull=True)
                | models.Q(committee_women__lte=models.F("committee_members")),
                name="kehriz_women_within_members",
                violation_error_message=_("The committee cannot have more women than members."),
            ),
            models.CheckConstraint(
                condition=models.Q(idp_households_served__isnull=True)
                | models.Q(households_served__isnull=True)
                | models.Q(idp_households_served__lte=models.F("households_served")),
                name="kehriz_idp_within_households",
                violation_error_message=_("IDP households cannot outnumber the households served."),
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.code})"

    def search_names(self):
        return [self.name, self.code]

    @property
    def uses(self):
        labels = []
        for field in ("use_drinking", "use_irrigation", "use_livestock"):
            if getattr(self, field):
                labels.append(str(self._meta.get_field(field).verbose_name))
        return labels

    def clean(self):
        from django.core.exceptions import ValidationError
        from django.utils import timezone

        from projects.services import validate_kehriz_location

        if self.status_changed_on and self.status_changed_on > timezone.localdate():
            raise ValidationError(
                {"status_changed_on": _("The date of the current status cannot be in the future.")}
            )
        validate_kehriz_location(self)

    def save(self, *args, **kwargs):
        from projects.services import gallery_length_from_route, locate_district

        if self.route:
            self.gallery_length_m = gallery_length_from_route(self.route)
        if not self.district_id:
            if self.village_id:
                self.district_id = self.village.district_id
            elif self.outlet:
                self.district, _distance = locate_district(self.outlet)
        super().save(*args, **kwargs)


class StatusEventQuerySet(models.QuerySet):
    def search(self, text):
        """Events of the kəhriz whose name, code, village or district matches."""
        from projects.search import folded_filter, kehriz_keys

        return folded_filter(self, text, kehriz_keys("kehriz"))


class StatusEvent(TimeStampedModel):
    """One dated change of a kəhriz's restoration status. Never edited: a mistake is put right by
    a new event marked as a correction."""

    kehriz = models.ForeignKey(
        Kehriz, verbose_name=_("kəhriz"), on_delete=models.CASCADE, related_name="status_events"
    )
    from_status = models.CharField(_("from"), max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=Status.choices)
    changed_on = models.DateField(_("date"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    is_correction = models.BooleanField(_("correction"), default=False)
    note = models.TextField(_("note"), blank=True)

    objects = StatusEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["kehriz", "changed_on", "created_at", "id"]
        indexes = [
            models.Index(fields=["kehriz", "changed_on"], name="statusevent_kehriz_date_idx"),
            # The dashboard's handed-over years: the events to one status, read from the index.
            models.Index(fields=["to_status", "kehriz", "changed_on"], name="statusevent_to_status_idx"),
            models.Index(fields=["updated_at"], name="statusevent_updated_idx"),  # the dashboard's version
            # The admin's history list, newest first, a page at a time.
            models.Index(fields=["changed_on", "id"], name="statusevent_date_idx"),
        ]
        constraints = [
            choices_constraint("from_status", Status, "statusevent_from_valid", allow_blank=True),
            choices_constraint("to_status", Status, "statusevent_to_valid"),
            models.CheckConstraint(
                condition=~models.Q(from_status=models.F("to_status")),
                name="statusevent_changes_status",
                violation_error_message=_("A status change must change the status."),
            ),
            models.CheckConstraint(
                condition=models.Q(is_correction=False) | ~models.Q(note=""),
                name="statusevent_correction_has_reason",
                violation_error_message=_("A correction needs a reason."),
            ),
        ]

    def __str__(self):
        if not self.from_status:
            return f"{date_format(self.changed_on)}: {self.get_to_status_display()}"
        changed_on = date_format(self.changed_on)
        return f"{changed_on}: {self.get_from_status_display()} → {self.get_to_status_display()}"


class DoneBy(models.TextChoices):
    KANKAN_TEAM = "kankan_team", _("kankan team")
    CONTRACTOR = "contractor", _("contractor")
    COMMUNITY = "community", _("community")


class RestorationWorkQuerySet(models.QuerySet):
    def search(self, text):
        """Works on a matching kəhriz, for a matching project, or by a matching team."""
        from projects.search import folded_filter, kehriz_keys

        return folded_filter(
            self, text, [*kehriz_keys("kehriz"), "project__search_text"], plain=["team_name"]
        )


class RestorationWork(TimeStampedModel):
    DoneBy = DoneBy

    kehriz = models.ForeignKey(
        Kehriz, verbose_name=_("kəhriz"), on_delete=models.CASCADE, related_name="works"
    )
    project = models.ForeignKey(
        Project,
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        related_name="works",
        null=True,
        blank=True,
    )
    done_by = models.CharField(_("done by"), max_length=20, choices=DoneBy.choices)
    team_name = models.CharField(_("contractor or team"), max_length=200, blank=True)
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    gallery_cleaned_m = models.DecimalField(
        _("gallery cleaned (m)"),
        max_digits=8,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    shafts_rehabilitated = models.PositiveIntegerField(_("shafts rehabilitated"), null=True, blank=True)
    rings_installed = models.PositiveIntegerField(_("concrete rings installed"), null=True, blank=True)
    cost = models.DecimalField(
        _("cost"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices, blank=True)
    description = models.TextField(_("what was done"), blank=True)

    objects = RestorationWorkQuerySet.as_manager()
    history = record_history()

    class Meta:
        verbose_name = _("restoration work")
        verbose_name_plural = _("restoration works")
        ordering = ["kehriz", "-start_date", "id"]
        constraints = [
            choices_constraint("done_by", DoneBy, "work_done_by_valid"),
            choices_constraint("currency", Currency, "work_currency_valid", allow_blank=True),
            end_after_start("start_date", "end_date", "work_end_after_start"),
            non_negative(
                "gallery_cleaned_m", "work_cleaned_non_negative", _("Metres cleaned cannot be negative.")
            ),
            non_negative("cost", "work_cost_non_negative", _("The cost cannot be negative.")),
            models.CheckConstraint(
                condition=models.Q(cost__isnull=True) | ~models.Q(currency=""),
                name="work_cost_has_currency",
                violation_error_message=_("Give the currency of the cost."),
            ),
        ]

    def __str__(self):
        team = self.team_name or self.get_done_by_display()
        return f"{self.kehriz.name}: {team} ({date_format(self.start_date) if self.start_date else '?'})"
