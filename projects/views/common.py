"""What the public pages share: which kəhriz a visitor may see, the colours of the legend."""

import datetime

from django.db.models import Q
from django.utils import formats
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from projects.models import Functionality, Kehriz, Status

# Marker colours by restoration status (colour-blind-safe order from grey to green).
STATUS_COLOURS = {
    Status.IDENTIFIED: "#8a8a8a",
    Status.ASSESSED: "#8c5a3c",
    Status.PLANNED: "#c99a00",
    Status.UNDER_RESTORATION: "#e06000",
    Status.RESTORED: "#1f6fd1",
    Status.HANDED_OVER: "#1b7f3b",
}
FUNCTIONALITY_COLOURS = {
    Functionality.FUNCTIONAL: "#1b7f3b",
    Functionality.LOW_FLOW: "#c99a00",
    Functionality.DRY: "#b54708",
    Functionality.COLLAPSED: "#b42318",
    Functionality.UNKNOWN: "#8a8a8a",
}


def visible_kehriz(user):
    """Published kəhriz for the public; everything for a signed-in user."""
    return Kehriz.objects.filter(visible_through(user))


def visible_through(user, path=""):
    """The same rule as a condition on a related kəhriz (``path``: e.g. ``"observation__kehriz"``).

    A join, not ``kehriz__in=<subquery>``: the database can then start from the rows counted and
    look each kəhriz up, instead of walking every kəhriz first."""
    if user.is_authenticated:
        return Q()
    return Q(**{f"{path}__is_published" if path else "is_published": True})


def status_legend():
    return [
        {"value": value, "label": str(label), "colour": STATUS_COLOURS[value]}
        for value, label in Status.choices
    ]


def functionality_legend():
    return [
        {"value": value, "label": str(label), "colour": FUNCTIONALITY_COLOURS[value]}
        for value, label in Functionality.choices
    ]


# The format letters that name a month, in the order they are looked for in DATE_FORMAT.
_MONTH_LETTERS = "EFNMb"


def _date_format():
    """The date format of the pages (DATE_FORMAT: "j E Y" in Azerbaijani, "N j, Y" in English):
    the maps' popups apply it to the layer's ISO dates (popup.js ``visitDate``), so a date reads
    the same in a popup as on the page it links to."""
    return formats.get_format("DATE_FORMAT")


def _month_names():
    """The months as DATE_FORMAT names them ("mart" in "13 mart 2024", "March" in "March 13,
    2024"), joined by "|" (browsers' own Azerbaijani month names are missing in Chromium)."""
    date_format = _date_format()
    letter = next((c for c in _MONTH_LETTERS if c in date_format), "F")
    return "|".join(formats.date_format(datetime.date(2000, month, 1), letter) for month in range(1, 13))


POPUP_LABELS = {
    "village": _("Village"),
    "district": _("District"),
    "status": _("Restoration status"),
    "functionality": _("Functionality"),
    "last_visit": _("Last visit"),
    "last_discharge": _("Last discharge"),
    "lps": _("L/s"),
    "never": _("not yet visited"),
    "open": _("Open the kəhriz page"),
    "shown": _("kəhriz shown"),
    "unmapped": _("without a located outlet, so not on the map"),
    "loading": _("Loading…"),
    "failed": _("The kəhriz could not be loaded. Check the connection and try again."),
    "legend": _("Restoration status"),
    "none": _("No kəhriz match these filters."),
    "all": _("Show every status"),
    "hidden_by_status": _("%(count)s kəhriz in other statuses are not shown."),
    "synthetic": _("synthetic"),
    "synthetic_record": _("Synthetic demo record, not a real kəhriz"),
    "synthetic_banner": _(
        "Synthetic demo records: %(count)s of the kəhriz shown. They are not real kəhriz; on the map "
        "they have a dashed outline."
    ),
    "approximate": _("approximate"),
    "date_format": lazy(_date_format, str)(),
    "months": lazy(_month_names, str)(),
    # "," in Azerbaijani: the popups write measurements as the pages do (1,14 l/san).
    "decimal_separator": lazy(lambda: formats.get_format("DECIMAL_SEPARATOR"), str)(),
}
