from django.conf import settings
from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _

from projects.history import record_history

from .base import SearchableModel


class DistrictQuerySet(models.QuerySet):
    def programme(self):
        return self.filter(is_programme=True)

    def search(self, text):
        from projects.search import folded_filter

        return folded_filter(self, text, ["search_text"])


class District(SearchableModel):
    """A rayon (second-level unit) of Azerbaijan, with its OpenStreetMap boundary."""

    name_az = models.CharField(_("name (Azerbaijani)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120, blank=True)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    osm_id = models.BigIntegerField(_("OpenStreetMap relation"), unique=True, null=True, blank=True)
    aliases = models.CharField(
        _("other spellings"),
        max_length=255,
        blank=True,
        help_text=_("Other names people type, comma-separated (e.g. Jabrayil, Jebrail)."),
    )
    boundary = models.MultiPolygonField(_("boundary"), srid=4326, null=True, blank=True)
    is_programme = models.BooleanField(
        _("programme district"),
        default=False,
        help_text=_("Kəhriz restoration takes place in this district."),
    )
    officers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("field officers"),
        related_name="assigned_districts",
        blank=True,
        help_text=_("Field officers who may edit kəhriz in this district."),
    )

    objects = DistrictQuerySet.as_manager()
    history = record_history(exclude=["search_text", "boundary"], m2m=["officers"])

    class Meta:
        verbose_name = _("district")
        verbose_name_plural = _("districts")
        ordering = ["-is_programme", "name_az"]
        indexes = [models.Index(fields=["is_programme", "name_az"], name="district_prog_name_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(boundary__isvalid=True) | models.Q(boundary__isnull=True),
                name="district_boundary_valid",
                violation_error_message=_("The boundary is not a valid polygon."),
            ),
        ]

    def __str__(self):
        return self.name_az

    @property
    def short_name(self):
        """'Ağdam' for 'Ağdam rayonu'."""
        for suffix in (" rayonu", " Rayonu", " şəhəri", " İnzibati Ərazisi"):
            if self.name_az.endswith(suffix):
                return self.name_az[: -len(suffix)]
        return self.name_az

    def save(self, *args, **kwargs):
        # However the boundary was drawn (the admin's map, a file), it is stored wound as RFC 7946
        # says, so every GeoJSON we serve of it is.
        if self.boundary:
            from projects.geo import rfc7946_wound

            self.boundary = rfc7946_wound(self.boundary)
        super().save(*args, **kwargs)

    def search_names(self):
        return [
            self.name_az,
            self.short_name,
            self.name_en,
            *[a.strip() for a in self.aliases.split(",")],
        ]


class VillageQuerySet(models.QuerySet):
    def with_district(self):
        """The district in the same query, without its boundary."""
        return self.select_related("district").defer("district__boundary")

    def search(self, text):
        from projects.search import folded_filter

        return folded_filter(self, text, ["search_text", "district__search_text"])


class Village(SearchableModel):
    name = models.CharField(_("name"), max_length=120)
    district = models.ForeignKey(
        District, verbose_name=_("district"), on_delete=models.PROTECT, related_name="villages"
    )
    location = models.PointField(_("location"), srid=4326, null=True, blank=True)
    location_is_approximate = models.BooleanField(_("location is approximate"), default=False)
    location_source = models.CharField(
        _("source of the location"),
        max_length=255,
        blank=True,
        help_text=_("Where the position comes from, and how precise it is."),
    )
    is_synthetic = models.BooleanField(_("synthetic demo record"), default=False, editable=False)
    is_idp_settlement = models.BooleanField(
        _("IDP settlement"),
        default=False,
        help_text=_("Internally displaced people (məcburi köçkünlər) are settled here."),
    )

    objects = VillageQuerySet.as_manager()
    history = record_history(exclude=["search_text"])

    class Meta:
        verbose_name = _("village")
        verbose_name_plural = _("villages")
        ordering = ["name", "district__name_az"]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "name"],
                name="village_unique_name_in_district",
                violation_error_message=_("This district already has a village of that name."),
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.district.short_name})"

    def search_names(self):
        return [self.name]

    def clean(self):
        from projects.services import check_point_in_district

        if self.location and self.district_id:
            # Villages are places people know: just outside is fine, far away is a typo.
            check_point_in_district(self.location, self.district, field="location")
