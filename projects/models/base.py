from django.db import models
from django.utils.translation import gettext_lazy as _

from projects.text import search_key


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class SearchableModel(TimeStampedModel):
    """A model with a stored, Azerbaijani-folded search key (see ``projects.text``)."""

    search_text = models.TextField(_("search key"), blank=True, editable=False, db_index=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.search_text = search_key(*[n for n in self.search_names() if n])
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "search_text"}
        super().save(*args, **kwargs)

    def search_names(self):
        raise NotImplementedError


class Currency(models.TextChoices):
    AZN = "AZN", _("Azerbaijani manat (AZN)")
    USD = "USD", _("US dollar (USD)")
    EUR = "EUR", _("Euro (EUR)")
    KRW = "KRW", _("Korean won (KRW)")


def choices_constraint(field, choices, name, allow_blank=False):
    """A CheckConstraint that keeps ``field`` within a TextChoices vocabulary."""
    values = list(choices.values)
    if allow_blank:
        values.append("")
    return models.CheckConstraint(
        condition=models.Q(**{f"{field}__in": values}),
        name=name,
        violation_error_message=_("Choose one of the listed values."),
    )


def non_negative(field, name, message):
    return models.CheckConstraint(
        condition=models.Q(**{f"{field}__isnull": True}) | models.Q(**{f"{field}__gte": 0}),
        name=name,
        violation_error_message=message,
    )


def end_after_start(start, end, name, message=None):
    return models.CheckConstraint(
        condition=models.Q(**{f"{end}__isnull": True})
        | models.Q(**{f"{start}__isnull": True})
        | models.Q(**{f"{end}__gte": models.F(start)}),
        name=name,
        violation_error_message=message or _("The end date cannot be before the start date."),
    )
