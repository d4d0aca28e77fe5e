"""A project's results framework: indicators with a baseline, and targets per period.

The actuals are not stored here: they are counted from the records (``projects.results``) or are
the figures the project reported (``ReportedFigure``, matched by their indicator and date), and a
page shows both, with the one the programme chose to report (``ResultIndicator.reports``)."""

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from projects.history import record_history

from .base import TimeStampedModel, choices_constraint, non_negative
from .programme import Indicator, Project


class Unit(models.TextChoices):
    KEHRIZ = "kehriz", _("kəhriz")
    HOUSEHOLDS = "households", _("households")
    PEOPLE = "people", _("people")
    HECTARES = "ha", _("hectares")
    METRES = "m", _("metres")
    SHAFTS = "shafts", _("shafts")
    COMMITTEES = "committees", _("committees")
    WOMEN = "women", _("women")


# The unit each indicator is counted in.
UNITS = {
    Indicator.RESTORED: Unit.KEHRIZ,
    Indicator.RESTORED_HANDED_OVER: Unit.KEHRIZ,
    Indicator.HOUSEHOLDS_SERVED: Unit.HOUSEHOLDS,
    Indicator.PEOPLE_SERVED: Unit.PEOPLE,
    Indicator.IDP_HOUSEHOLDS_SERVED: Unit.HOUSEHOLDS,
    Indicator.HECTARES_IRRIGATED: Unit.HECTARES,
    Indicator.GALLERY_CLEANED_M: Unit.METRES,
    Indicator.SHAFTS_REHABILITATED: Unit.SHAFTS,
    Indicator.COMMITTEES_WITH_WOMEN: Unit.COMMITTEES,
    Indicator.COMMITTEES_WOMAN_CHAIR: Unit.COMMITTEES,
    Indicator.COMMITTEE_WOMEN: Unit.WOMEN,
}


class Reports(models.TextChoices):
    COUNTED = "counted", _("counted from the records")
    REPORTED = "reported", _("reported by the project")


class ResultIndicator(TimeStampedModel):
    """What a project promised to achieve, measured one way (``indicator``), with its baseline."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="result_indicators"
    )
    indicator = models.CharField(
        _("what is measured"),
        max_length=40,
        choices=Indicator.choices,
        help_text=_("Counted from the project's kəhriz and works, or reported."),
    )
    title_az = models.CharField(_("title (Azerbaijani)"), max_length=300)
    title_en = models.CharField(_("title (English)"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    baseline_value = models.DecimalField(
        _("baseline"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    baseline_date = models.DateField(_("baseline date"), null=True, blank=True)
    reports = models.CharField(
        _("figure the programme reports"),
        max_length=10,
        choices=Reports.choices,
        default=Reports.COUNTED,
        help_text=_("Both are shown; this one is given in reports and IATI."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    history = record_history()

    class Meta:
        verbose_name = _("result indicator")
        verbose_name_plural = _("result indicators")
        ordering = ["project", "order", "id"]
        constraints = [
            choices_constraint("indicator", Indicator, "resultindicator_indicator_valid"),
            choices_constraint("reports", Reports, "resultindicator_reports_valid"),
            non_negative(
                "baseline_value", "resultindicator_baseline_non_negative", _("A baseline cannot be negative.")
            ),
            models.CheckConstraint(
                condition=models.Q(baseline_value__isnull=True, baseline_date__isnull=True)
                | models.Q(baseline_value__isnull=False, baseline_date__isnull=False),
                name="resultindicator_baseline_has_date",
                violation_error_message=_("A baseline needs both its value and its date."),
            ),
            models.UniqueConstraint(
                fields=["project", "indicator"],
                name="resultindicator_unique_per_project",
                violation_error_message=_("This project already has an indicator for this measure."),
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def title(self):
        from django.utils.translation import get_language

        if (get_language() or "").startswith("en") and self.title_en:
            return self.title_en
        return self.title_az

    @property
    def unit(self):
        return UNITS[self.indicator]


class ResultPeriod(TimeStampedModel):
    """The target of one indicator for one period (start and end inclusive); a period may have
    no target yet, and still shows its actuals."""

    indicator = models.ForeignKey(
        ResultIndicator, verbose_name=_("indicator"), on_delete=models.CASCADE, related_name="periods"
    )
    start = models.DateField(_("period start"))
    end = models.DateField(_("period end"))
    target = models.DecimalField(
        _("target"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("Empty: the period's actuals are followed without a target."),
    )
    target_comment = models.CharField(_("comment on the target"), max_length=500, blank=True)

    history = record_history()

    class Meta:
        verbose_name = _("target period")
        verbose_name_plural = _("target periods")
        ordering = ["indicator", "start"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")),
                name="resultperiod_end_after_start",
                violation_error_message=_("A period must end after it starts."),
            ),
            non_negative("target", "resultperiod_target_non_negative", _("A target cannot be negative.")),
            models.UniqueConstraint(
                fields=["indicator", "start"],
                name="resultperiod_one_target_per_period",
                violation_error_message=_(
                    "This indicator already has a target for a period starting that day."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.start:%Y-%m-%d} – {self.end:%Y-%m-%d}"

    def clean(self):
        super().clean()
        if not (self.start and self.end and self.indicator_id):
            return
        overlapping = ResultPeriod.objects.filter(
            indicator_id=self.indicator_id, start__lte=self.end, end__gte=self.start
        ).exclude(pk=self.pk)
        if overlapping.exists():
            raise ValidationError(
                _("This period overlaps another target period of the indicator: one target per period."),
                code="overlap",
            )
