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
    # The column's HXL hashtag and attributes (https://hxlstandard.org), written under the header
    # when an export is asked for with ?hxl=1 (see the README's table).
    hxl: str = ""


VILLAGE_COLUMNS = [
    Column(
        "district",
        _("District: its name (Cəbrayıl rayonu, Cabrayil) or slug"),
        required=True,
        hxl="#adm2+name",
    ),
    Column("name", _("Village name"), required=True, hxl="#loc+name+village"),
    Column("lon", _("Longitude, decimal degrees (e.g. 47.09472)"), hxl="#geo+lon"),
    Column("lat", _("Latitude, decimal degrees (e.g. 39.40000)"), hxl="#geo+lat"),
    Column("location_is_approximate", _("yes/no"), hxl="#meta+approximate+location"),
    Column("location_source", _("Where the position comes from"), hxl="#meta+source+location"),
    Column(
        "is_idp_settlement",
        _("yes/no: internally displaced people are settled here"),
        hxl="#indicator+idps+settlement",
    ),
]

KEHRIZ_COLUMNS = [
    Column(
        "code",
        _("Unique code, e.g. CAB-HOR-01: the key; importing it again updates"),
        required=True,
        hxl="#loc+code",
    ),
    Column("name", _("Name"), required=True, hxl="#loc+name"),
    Column(
        "district", _("District name or slug; empty: found from the village or the outlet"), hxl="#adm2+name"
    ),
    Column("village", _("Village name (must exist in the district)"), hxl="#loc+name+village"),
    Column("outlet_lon", _("Outlet longitude, decimal degrees"), hxl="#geo+lon"),
    Column("outlet_lat", _("Outlet latitude, decimal degrees"), hxl="#geo+lat"),
    Column("mother_well_lon", _("Mother well longitude"), hxl="#geo+lon+mother_well"),
    Column("mother_well_lat", _("Mother well latitude"), hxl="#geo+lat+mother_well"),
    Column(
        "route_wkt",
        _("Gallery route as WKT LINESTRING(lon lat, …), mother well to outlet"),
        hxl="#geo+wkt+route",
    ),
    Column("location_is_approximate", _("yes/no"), hxl="#meta+approximate+location"),
    Column("location_source", _("Where the position comes from"), hxl="#meta+source+location"),
    Column(
        "gallery_length_m",
        _("Metres; computed from the route when there is one"),
        hxl="#indicator+num+gallery_m",
    ),
    Column("shaft_count", _("Number of shafts"), hxl="#indicator+num+shafts"),
    Column("mother_well_depth_m", _("Metres"), hxl="#indicator+num+mother_well_depth_m"),
    Column("use_drinking", _("yes/no"), hxl="#indicator+use+drinking"),
    Column("use_irrigation", _("yes/no"), hxl="#indicator+use+irrigation"),
    Column("use_livestock", _("yes/no"), hxl="#indicator+use+livestock"),
    Column("households_served", _("Whole number"), hxl="#reached+hh"),
    Column("people_served", _("Whole number"), hxl="#reached+ind"),
    Column("idp_households_served", _("Whole number, at most households_served"), hxl="#reached+hh+idps"),
    Column("irrigated_area_ha", _("Hectares"), hxl="#indicator+num+irrigated_ha"),
    Column("figures_are_approximate", _("yes/no"), hxl="#meta+approximate+figures"),
    Column("committee_name", _("Water user committee"), hxl="#org+name+committee"),
    Column("committee_members", _("Whole number"), hxl="#indicator+num+committee_members"),
    Column(
        "committee_women",
        _("Whole number, at most committee_members"),
        hxl="#indicator+num+committee_members+f",
    ),
    Column("committee_chair_is_woman", _("yes/no, empty if unknown"), hxl="#indicator+committee_chair+f"),
    Column(
        "status",
        _("identified, assessed, planned, under_restoration, restored or handed_over"),
        hxl="#status+restoration",
    ),
    Column("status_changed_on", _("Date of the current status, YYYY-MM-DD"), hxl="#date+status"),
    Column("projects", _("Project codes separated by ;"), hxl="#activity+code"),
    Column("is_published", _("yes/no: shown on the public map"), hxl="#meta+published"),
    Column("notes", _("Notes"), hxl="#description+notes"),
    Column("source", _("Source of the record"), hxl="#meta+source"),
    Column(
        "functionality",
        _("Current functionality (from visits)"),
        export_only=True,
        hxl="#status+functionality",
    ),
    Column("last_visit_on", _("Last visit (from visits)"), export_only=True, hxl="#date+visited"),
    Column(
        "last_discharge_lps",
        _("Last discharge, L/s (from visits)"),
        export_only=True,
        hxl="#indicator+num+discharge_lps",
    ),
    Column(
        "is_synthetic",
        _("yes/no: a synthetic demo record, not a real kəhriz"),
        export_only=True,
        hxl="#meta+synthetic",
    ),
]

OBSERVATION_COLUMNS = [
    Column(
        "visit_uuid",
        _("The visit's identifier; empty: made from its title and start date"),
        hxl="#event+id+visit",
    ),
    Column("visit_title", _("Title of the visit"), required=True, hxl="#event+name+visit"),
    Column("visit_start_date", _("YYYY-MM-DD"), required=True, hxl="#date+start+visit"),
    Column("visit_end_date", _("YYYY-MM-DD"), hxl="#date+end+visit"),
    Column("visit_organisations", _("Organisations taking part, comma-separated"), hxl="#org+name+visit"),
    Column("kehriz_code", _("Code of the kəhriz observed (must exist)"), required=True, hxl="#loc+code"),
    Column("observed_on", _("YYYY-MM-DD, within the visit's dates"), required=True, hxl="#date+observed"),
    Column(
        "functionality", _("functional, low_flow, dry, collapsed or unknown"), hxl="#status+functionality"
    ),
    Column("discharge_lps", _("Discharge in litres per second, ≥ 0"), hxl="#indicator+num+discharge_lps"),
    Column(
        "discharge_method",
        _("bucket, weir, float or estimate (required with a discharge)"),
        hxl="#indicator+discharge_method",
    ),
    Column("works_progress", _("Works progress"), hxl="#description+works"),
    Column("findings", _("Findings"), hxl="#description+findings"),
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
    Column("uuid", "", hxl="#event+id+visit"),
    Column("title", "", hxl="#event+name+visit"),
    Column("start_date", "", hxl="#date+start"),
    Column("end_date", "", hxl="#date+end"),
    Column("dates_are_approximate", "", hxl="#meta+approximate+dates"),
    Column("purpose", "", hxl="#description+purpose"),
    Column("organisations", "", hxl="#org+name"),
    Column("participants", "", hxl="#contact+name"),
    Column("kehriz_codes", "", hxl="#loc+code+list"),
    Column("districts", "", hxl="#adm2+name+list"),
    Column("source", "", hxl="#meta+source"),
]

WORK_COLUMNS = [
    Column("kehriz_code", "", hxl="#loc+code"),
    Column("project", "", hxl="#activity+code"),
    Column("done_by", "", hxl="#org+type+impl"),
    Column("team_name", "", hxl="#org+name+impl"),
    Column("start_date", "", hxl="#date+start"),
    Column("end_date", "", hxl="#date+end"),
    Column("gallery_cleaned_m", "", hxl="#output+num+gallery_cleaned_m"),
    Column("shafts_rehabilitated", "", hxl="#output+num+shafts"),
    Column("rings_installed", "", hxl="#output+num+rings"),
    Column("cost", "", hxl="#value+cost"),
    Column("currency", "", hxl="#currency"),
    Column("description", "", hxl="#description"),
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
