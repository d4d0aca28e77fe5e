from django.contrib.gis.db import models
from django.core.validators import MinValueValidator
from django.utils.translation import gettext_lazy as _

from projects.history import record_history
from projects.search import folded_filter

from .base import (
    Currency,
    SearchableModel,
    TimeStampedModel,
    choices_constraint,
    end_after_start,
    non_negative,
)
from .places import District


class ProjectQuerySet(models.QuerySet):
    def search(self, text):
        """Projects whose name, English name, code, donor or agency matches ("koica", "KOİCA")."""
        return folded_filter(self, text, ["search_text"])


class Project(SearchableModel):
    """A funded restoration project (e.g. IOM with KOICA funding)."""

    name_az = models.CharField(_("name (Azerbaijani)"), max_length=300)
    name_en = models.CharField(_("name (English)"), max_length=300, blank=True)
    code = models.SlugField(_("code"), max_length=60, unique=True)
    donor = models.CharField(_("donor"), max_length=200, blank=True)
    implementing_agency = models.CharField(_("implementing agency"), max_length=200, blank=True)
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    budget = models.DecimalField(
        _("budget"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices, blank=True)
    districts = models.ManyToManyField(
        District, verbose_name=_("districts"), related_name="projects", blank=True
    )
    description = models.TextField(_("description (Azerbaijani)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    source = models.CharField(_("source"), max_length=500, blank=True)

    objects = ProjectQuerySet.as_manager()
    history = record_history(exclude=["search_text"], m2m=["districts"])

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["-start_date", "name_az"]
        constraints = [
            end_after_start("start_date", "end_date", "project_end_after_start"),
            non_negative("budget", "project_budget_non_negative", _("The budget cannot be negative.")),
            choices_constraint("currency", Currency, "project_currency_valid", allow_blank=True),
            models.CheckConstraint(
                condition=models.Q(budget__isnull=True) | ~models.Q(currency=""),
                name="project_budget_has_currency",
                violation_error_message=_("Give the currency of the budget."),
            ),
        ]

    @property
    def name(self):
        """The name in the active language: English when English is asked for and known, else
        Azerbaijani. Setting it sets the Azerbaijani name (the API's and old callers' ``name``)."""
        from django.utils.translation import get_language

        if (get_language() or "").startswith("en") and self.name_en:
            return self.name_en
        return self.name_az

    @name.setter
    def name(self, value):
        self.name_az = value

    @property
    def description_text(self):
        """The description in the active language: English when asked for and written, else
        Azerbaijani."""
        from django.utils.translation import get_language

        if (get_language() or "").startswith("en") and self.description_en:
            return self.description_en
        return self.description

    def __str__(self):
        return self.name

    def search_names(self):
        return [self.name_az, self.name_en, self.code, self.donor, self.implementing_agency]


class Indicator(models.TextChoices):
    RESTORED_HANDED_OVER = "restored_handed_over", _("kəhriz restored and handed over")
    RESTORED = "restored", _("kəhriz restored")
    HOUSEHOLDS_SERVED = "households_served", _("households served")
    PEOPLE_SERVED = "people_served", _("people served")
    IDP_HOUSEHOLDS_SERVED = "idp_households_served", _("IDP households served")
    HECTARES_IRRIGATED = "hectares_irrigated", _("hectares irrigated")
    GALLERY_CLEANED_M = "gallery_cleaned_m", _("metres of gallery cleaned")
    SHAFTS_REHABILITATED = "shafts_rehabilitated", _("shafts rehabilitated")
    COMMITTEES_WITH_WOMEN = "committees_with_women", _("water user committees with women members")
    COMMITTEES_WOMAN_CHAIR = "committees_woman_chair", _("water user committees chaired by a woman")
    COMMITTEE_WOMEN = "committee_women", _("women on water user committees")


class ReportedFigureQuerySet(models.QuerySet):
    def search(self, text):
        """Figures of a matching project, or whose source matches."""
        return folded_filter(self, text, ["project__search_text"], plain=["source"])


class ReportedFigure(TimeStampedModel):
    """A figure a project reported (e.g. "26 kəhriz restored and handed over"), kept with its
    source rather than turned into invented records."""

    Indicator = Indicator

    project = models.ForeignKey(
        Project,
        verbose_name=_("project"),
        on_delete=models.CASCADE,
        related_name="reported_figures",
    )
    indicator = models.CharField(_("indicator"), max_length=40, choices=Indicator.choices)
    value = models.DecimalField(
        _("value"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    districts = models.ManyToManyField(
        District, verbose_name=_("districts"), related_name="reported_figures", blank=True
    )
    as_of = models.DateField(_("as of"), null=True, blank=True)
    as_of_is_approximate = models.BooleanField(_("date is approximate"), default=False)
    source = models.CharField(_("source"), max_length=500)
    source_quote = models.TextField(_("quotation from the source"), blank=True)

    objects = ReportedFigureQuerySet.as_manager()
    history = record_history(m2m=["districts"])

    class Meta:
        verbose_name = _("reported figure")
        verbose_name_plural = _("reported figures")
        ordering = ["project", "indicator", "-as_of"]
        constraints = [
            choices_constraint("indicator", Indicator, "reportedfigure_indicator_valid"),
            non_negative("value", "reportedfigure_value_non_negative", _("A figure cannot be negative.")),
            models.UniqueConstraint(
                fields=["project", "indicator", "source"],
                name="reportedfigure_unique_per_source",
                violation_error_message=_("This source's figure for this indicator is already recorded."),
            ),
        ]

    def __str__(self):
        return f"{self.get_indicator_display()}: {self.value.normalize():f}"
