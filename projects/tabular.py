"""The spreadsheet layout shared by exports and imports.

Each kind of record has one list of columns. Exports write exactly these columns, and the import
templates are exactly these columns, so that exporting everything and importing it into an empty
database gives the same data back. Columns marked ``export_only`` are computed by the app (current
functionality, last visit…) and are ignored on import.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Column:
    name: str
    help: str
    required: bool = False
    export_only: bool = False


VILLAGE_COLUMNS = [
    Column("district", _("District: its name (Cəbrayıl rayonu, Cabrayil) or slug"), required=True),
    Column("name", _("Village name"), required=True),
    Column("lon", _("Longitude, decimal degrees (e.g. 47.09472)")),
    Column("lat", _("Latitude, decimal degrees (e.g. 39.40000)")),
    Column("location_is_approximate", _("yes/no")),
    Column("location_source", _("Where the position comes from")),
    Column("is_idp_settlement", _("yes/no: internally displaced people are settled here")),
]

KEHRIZ_COLUMNS = [
    Column("code", _("Unique code, e.g. CAB-HOR-01: the key; importing it again updates"), required=True),
    Column("name", _("Name"), required=True),
    Column("district", _("District name or slug; empty: found from the village or the outlet")),
    Column("village", _("Village name (must exist in the district)")),
    Column("outlet_lon", _("Outlet longitude, decimal degrees")),
    Column("outlet_lat", _("Outlet latitude, decimal degrees")),
    Column("mother_well_lon", _("Mother well longitude")),
    Column("mother_well_lat", _("Mother well latitude")),
    Column("route_wkt", _("Gallery route as WKT LINESTRING(lon lat, …), mother well to outlet")),
    Column("location_is_approximate", _("yes/no")),
    Column("location_source", _("Where the position comes from")),
    Column("gallery_length_m", _("Metres; computed from the route when there is one")),
    Column("shaft_count", _("Number of shafts")),
    Column("mother_well_depth_m", _("Metres")),
    Column("use_drinking", _("yes/no")),
    Column("use_irrigation", _("yes/no")),
    Column("use_livestock", _("yes/no")),
    Column("households_served", _("Whole number")),
    Column("people_served", _("Whole number")),
    Column("idp_households_served", _("Whole number, at most households_served")),
    Column("irrigated_area_ha", _("Hectares")),
    Column("figures_are_approximate", _("yes/no")),
    Column("committee_name", _("Water user committee")),
    Column("committee_members", _("Whole number")),
    Column("committee_women", _("Whole number, at most committee_members")),
    Column("committee_chair_is_woman", _("yes/no, empty if unknown")),
    Column(
        "status",
        _("identified, assessed, planned, under_restoration, restored or handed_over"),
    ),
    Column("status_changed_on", _("Date of the current status, YYYY-MM-DD")),
    Column("projects", _("Project codes separated by ;")),
    Column("is_published", _("yes/no: shown on the public map")),
    Column("notes", _("Notes")),
    Column("source", _("Source of the record")),
    Column("functionality", _("Current functionality (from visits)"), export_only=True),
    Column("last_visit_on", _("Last visit (from visits)"), export_only=True),
    Column("last_discharge_lps", _("Last discharge, L/s (from visits)"), export_only=True),
    Column("is_synthetic", _("yes/no: a synthetic demo record, not a real kəhriz"), export_only=True),
]

OBSERVATION_COLUMNS = [
    Column("visit_uuid", _("The visit's identifier; empty: made from its title and start date")),
    Column("visit_title", _("Title of the visit"), required=True),
    Column("visit_start_date", _("YYYY-MM-DD"), required=True),
    Column("visit_end_date", _("YYYY-MM-DD")),
    Column("visit_organisations", _("Organisations taking part, comma-separated")),
    Column("kehriz_code", _("Code of the kəhriz observed (must exist)"), required=True),
    Column("observed_on", _("YYYY-MM-DD, within the visit's dates"), required=True),
    Column("functionality", _("functional, low_flow, dry, collapsed or unknown")),
    Column("discharge_lps", _("Discharge in litres per second, ≥ 0")),
    Column("discharge_method", _("bucket, weir, float or estimate (required with a discharge)")),
    Column("works_progress", _("Works progress")),
    Column("findings", _("Findings")),
]

STATUS_HISTORY_COLUMNS = [
    Column("kehriz_code", _("Code of the kəhriz (must exist)"), required=True),
    Column(
        "status",
        _("identified, assessed, planned, under_restoration, restored or handed_over"),
        required=True,
    ),
    Column("date", _("Since when, YYYY-MM-DD (not in the future)"), required=True),
    Column("note", _("Note, e.g. where the date comes from")),
]

VISIT_COLUMNS = [
    Column("uuid", ""),
    Column("title", ""),
    Column("start_date", ""),
    Column("end_date", ""),
    Column("dates_are_approximate", ""),
    Column("purpose", ""),
    Column("organisations", ""),
    Column("participants", ""),
    Column("kehriz_codes", ""),
    Column("districts", ""),
    Column("source", ""),
]

WORK_COLUMNS = [
    Column("kehriz_code", ""),
    Column("project", ""),
    Column("done_by", ""),
    Column("team_name", ""),
    Column("start_date", ""),
    Column("end_date", ""),
    Column("gallery_cleaned_m", ""),
    Column("shafts_rehabilitated", ""),
    Column("rings_installed", ""),
    Column("cost", ""),
    Column("currency", ""),
    Column("description", ""),
]


def names(columns):
    return [column.name for column in columns]


def yes_no(value):
    if value is None:
        return ""
    return "yes" if value else "no"


def plain(value):
    """A cell value: dates as ISO text, decimals without trailing noise, None as empty."""
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
