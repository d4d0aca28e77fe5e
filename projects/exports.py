"""Exports of a (filtered) set of kəhriz and what hangs off them, in the formats people use:
CSV and XLSX for spreadsheets, GeoJSON, KML (Google Earth, styled by status) and GeoPackage (QGIS).

Every function takes a queryset that the caller has already filtered with the map's FilterSet,
so an export shows exactly what the map shows. The rows are built with a fixed number of queries.
"""

import csv
import datetime
import io
import json
import os
import tempfile
from xml.sax.saxutils import escape

from django.db.models import Prefetch
from django.utils.translation import gettext as _

from projects.models import MonitoringVisit, Observation, Project, RestorationWork, Status
from projects.tabular import (
    KEHRIZ_COLUMNS,
    OBSERVATION_COLUMNS,
    VILLAGE_COLUMNS,
    VISIT_COLUMNS,
    WORK_COLUMNS,
    names,
    plain,
    yes_no,
)

ATTRIBUTION = "District boundaries © OpenStreetMap contributors (ODbL 1.0)"
# KML colours are aabbggrr.
KML_COLOURS = {
    Status.IDENTIFIED: "ff8a8a8a",
    Status.ASSESSED: "ff3c5a8c",
    Status.PLANNED: "ff009ac9",
    Status.UNDER_RESTORATION: "ff0060e0",
    Status.RESTORED: "ffd16f1f",
    Status.HANDED_OVER: "ff3b7f1b",
}


# --- Rows ---------------------------------------------------------------------------------------


# Coordinates in every export: 6 decimals (about 0.1 m), so that a CSV, a GeoJSON and a KML of the
# same kəhriz give the same numbers. (The map layer sends 5: it only draws markers.)
PRECISION = 6


def _coordinates(point):
    return (round(point.x, PRECISION), round(point.y, PRECISION)) if point else (None, None)


def kehriz_rows(queryset):
    queryset = queryset.with_places().prefetch_related(
        Prefetch("projects", queryset=Project.objects.only("id", "code").order_by("code"))
    )
    for k in queryset.order_by("code"):
        outlet_lon, outlet_lat = _coordinates(k.outlet)
        well_lon, well_lat = _coordinates(k.mother_well)
        yield {
            "code": k.code,
            "name": k.name,
            "district": k.district.name_az,
            "village": k.village.name if k.village else "",
            "outlet_lon": outlet_lon,
            "outlet_lat": outlet_lat,
            "mother_well_lon": well_lon,
            "mother_well_lat": well_lat,
            "route_wkt": k.route.wkt if k.route else "",
            "location_is_approximate": yes_no(k.location_is_approximate),
            "location_source": k.location_source,
            "gallery_length_m": k.gallery_length_m,
            "shaft_count": k.shaft_count,
            "mother_well_depth_m": k.mother_well_depth_m,
            "use_drinking": yes_no(k.use_drinking),
            "use_irrigation": yes_no(k.use_irrigation),
            "use_livestock": yes_no(k.use_livestock),
            "households_served": k.households_served,
            "people_served": k.people_served,
            "idp_households_served": k.idp_households_served,
            "irrigated_area_ha": k.irrigated_area_ha,
            "figures_are_approximate": yes_no(k.figures_are_approximate),
            "committee_name": k.committee_name,
            "committee_members": k.committee_members,
            "committee_women": k.committee_women,
            "committee_chair_is_woman": yes_no(k.committee_chair_is_woman),
            "status": k.status,
            "status_changed_on": k.status_changed_on,
            "projects": ";".join(p.code for p in k.projects.all()),
            "is_published": yes_no(k.is_published),
            "notes": k.notes,
            "source": k.source,
            "functionality": k.functionality,
            "last_visit_on": k.last_visit_on,
            "last_discharge_lps": k.last_discharge_lps,
            "is_synthetic": yes_no(k.is_synthetic),
        }


def village_rows(kehriz_queryset):
    from projects.models import Village

    villages = Village.objects.filter(kehrizes__in=kehriz_queryset).distinct().with_district()
    for v in villages.order_by("district__name_az", "name"):
        lon, lat = _coordinates(v.location)
        yield {
            "district": v.district.name_az,
            "name": v.name,
            "lon": lon,
            "lat": lat,
            "location_is_approximate": yes_no(v.location_is_approximate),
            "location_source": v.location_source,
            "is_idp_settlement": yes_no(v.is_idp_settlement),
        }


def observation_rows(kehriz_queryset):
    observations = (
        Observation.objects.filter(kehriz__in=kehriz_queryset)
        .select_related("visit", "kehriz")
        .order_by("visit__start_date", "visit__uuid", "kehriz__code")
    )
    for o in observations:
        yield {
            "visit_uuid": str(o.visit.uuid),
            "visit_title": o.visit.title,
            "visit_start_date": o.visit.start_date,
            "visit_end_date": o.visit.end_date,
            "visit_organisations": o.visit.organisations,
            "kehriz_code": o.kehriz.code,
            "observed_on": o.observed_on,
            "functionality": o.functionality,
            "discharge_lps": o.discharge_lps,
            "discharge_method": o.discharge_method,
            "works_progress": o.works_progress,
            "findings": o.findings,
        }


def visit_rows(kehriz_queryset):
    visits = (
        MonitoringVisit.objects.filter(observations__kehriz__in=kehriz_queryset)
        .distinct()
        .prefetch_related(
            Prefetch(
                "observations",
                queryset=Observation.objects.select_related("kehriz__district")
                .defer("kehriz__district__boundary")
                .order_by("kehriz__code"),
            )
        )
        .order_by("start_date", "uuid")
    )
    for v in visits:
        observed = list(v.observations.all())
        yield {
            "uuid": str(v.uuid),
            "title": v.title,
            "start_date": v.start_date,
            "end_date": v.end_date,
            "dates_are_approximate": yes_no(v.dates_are_approximate),
            "purpose": v.purpose,
            "organisations": v.organisations,
            "participants": v.participants,
            "kehriz_codes": ";".join(o.kehriz.code for o in observed),
            "districts": ";".join(sorted({o.kehriz.district.name_az for o in observed})),
            "source": v.source,
        }


def work_rows(kehriz_queryset):
    works = (
        RestorationWork.objects.filter(kehriz__in=kehriz_queryset)
        .select_related("kehriz", "project")
        .order_by("kehriz__code", "start_date", "id")
    )
    for w in works:
        yield {
            "kehriz_code": w.kehriz.code,
            "project": w.project.code if w.project else "",
            "done_by": w.done_by,
            "team_name": w.team_name,
            "start_date": w.start_date,
            "end_date": w.end_date,
            "gallery_cleaned_m": w.gallery_cleaned_m,
            "shafts_rehabilitated": w.shafts_rehabilitated,
            "rings_installed": w.rings_installed,
            "cost": w.cost,
            "currency": w.currency,
            "description": w.description,
        }


TABLES = {
    "kehriz": (KEHRIZ_COLUMNS, kehriz_rows),
    "villages": (VILLAGE_COLUMNS, village_rows),
    "visits": (VISIT_COLUMNS, visit_rows),
    "observations": (OBSERVATION_COLUMNS, observation_rows),
    "works": (WORK_COLUMNS, work_rows),
}


# --- Writers ------------------------------------------------------------------------------------


def _excel_safe(value):
    """Keep a spreadsheet from running text that looks like a formula (CSV injection): CSV has no
    cell types, so such text gets a leading ' (the importer takes it off again)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@") and not _is_number(value):
        return "'" + value
    return value


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def to_csv(kind, kehriz_queryset, *, hxl=False):
    """One kind as CSV; with ``hxl``, the HXL hashtag row (tabular.Column.hxl) under the header."""
    columns, rows = TABLES[kind]
    buffer = io.StringIO()
    buffer.write("\ufeff")  # so that Excel opens UTF-8 (ə, ğ, ş) correctly
    writer = csv.DictWriter(buffer, fieldnames=names(columns), lineterminator="\r\n")
    writer.writeheader()
    if hxl:
        writer.writerow({column.name: column.hxl for column in columns})
    for row in rows(kehriz_queryset):
        writer.writerow({key: _excel_safe(plain(value)) for key, value in row.items()})
    return buffer.getvalue().encode("utf-8")


XLSX_DATE_FORMAT = "yyyy-mm-dd"


def _xlsx_row(sheet, values):
    """Append one row of typed cells: dates as date cells, numbers as numbers, empty as empty, and
    text as a string cell even when it starts with = + - @ (never a formula, and no visible ')."""
    sheet.append([None if value == "" else value for value in values])
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"
        elif isinstance(cell.value, datetime.date):
            cell.number_format = XLSX_DATE_FORMAT


def to_xlsx(kinds, kehriz_queryset):
    """One workbook, one sheet per kind, plus a sheet saying where the data comes from."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    for kind in kinds:
        columns, rows = TABLES[kind]
        sheet = workbook.create_sheet(kind)
        sheet.append(names(columns))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows(kehriz_queryset):
            _xlsx_row(sheet, [row[name] for name in names(columns)])
        sheet.freeze_panes = "A2"
    about = workbook.create_sheet("about")
    about.append([_("Exported from Kəhriz")])
    about.append([ATTRIBUTION])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# The properties of a kəhriz in GeoJSON, KML and GeoPackage, with their types: "string", "int",
# "double", "date" (ISO text in GeoJSON and KML, which has no date type) and "bool".
PROPERTIES = {
    "code": "string",
    "name": "string",
    "district": "string",
    "village": "string",
    "status": "string",
    "functionality": "string",
    "last_visit_on": "date",
    "households_served": "int",
    "people_served": "int",
    "gallery_length_m": "double",
    "last_discharge_lps": "double",
    "is_synthetic": "bool",
}


def _properties(row):
    """A kəhriz's properties as JSON values: numbers as numbers, booleans as booleans, dates as
    ISO text; None when unknown."""
    properties = {}
    for key, kind in PROPERTIES.items():
        value = row[key]
        if value is None or value == "":
            properties[key] = None if kind != "string" else ""
        elif kind == "int":
            properties[key] = int(value)
        elif kind == "double":
            properties[key] = float(value)
        elif kind == "date":
            properties[key] = value.isoformat()
        elif kind == "bool":
            properties[key] = value == "yes"
        else:
            properties[key] = value
    return properties


def _features(kehriz_queryset):
    """(row, outlet) of every kəhriz with an outlet, in code order."""
    outlets = dict(kehriz_queryset.filter(outlet__isnull=False).values_list("code", "outlet"))
    for row in kehriz_rows(kehriz_queryset.filter(outlet__isnull=False)):
        yield row, outlets[row["code"]]


def to_geojson(kehriz_queryset):
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": list(_coordinates(outlet))},
            "properties": _properties(row),
        }
        for row, outlet in _features(kehriz_queryset)
    ]
    collection = {"type": "FeatureCollection", "attribution": ATTRIBUTION, "features": features}
    return json.dumps(collection, ensure_ascii=False).encode("utf-8")


# KML's SimpleField types (OGC KML 2.2, kml:SimpleField): GDAL reads them as typed fields.
KML_TYPES = {"string": "string", "int": "int", "double": "double", "date": "string", "bool": "bool"}
# A KML description is shown as HTML by Google Earth: ours is plain text, and these characters of
# a name in it are replaced by look-alikes so that no markup can come from the data. (The name
# and the data fields keep every character.)
_NO_MARKUP = str.maketrans({"<": "‹", ">": "›"})


def _kml_value(value):
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"  # xsd:boolean; GDAL's LIBKML reads 1/0 (not true/false)
    return str(value)


def to_kml(kehriz_queryset):
    labels = dict(Status.choices)
    styles = "".join(
        f'<Style id="{status}"><IconStyle><color>{colour}</color><scale>1.1</scale>'
        "<Icon><href>http://maps.google.com/mapfiles/kml/shapes/placemark_circle.png</href></Icon>"
        f"</IconStyle><LabelStyle><scale>0.8</scale></LabelStyle></Style>"
        for status, colour in KML_COLOURS.items()
    )
    schema = (
        '<Schema name="kehriz" id="kehriz">'
        + "".join(
            f'<SimpleField type="{KML_TYPES[kind]}" name="{name}"></SimpleField>'
            for name, kind in PROPERTIES.items()
        )
        + "</Schema>"
    )
    placemarks = []
    for row, outlet in _features(kehriz_queryset):
        data = "".join(
            f'<SimpleData name="{escape(key)}">{escape(text)}</SimpleData>'
            for key, value in _properties(row).items()
            if (text := _kml_value(value)) is not None
        )
        status = labels.get(row["status"], row["status"])
        description = escape(f"{row['village'] or '—'}, {row['district']} · {status}".translate(_NO_MARKUP))
        lon, lat = _coordinates(outlet)
        placemarks.append(
            f"<Placemark><name>{escape(row['name'])}</name><description>{description}</description>"
            f'<styleUrl>#{row["status"]}</styleUrl><ExtendedData><SchemaData schemaUrl="#kehriz">{data}'
            f"</SchemaData></ExtendedData>"
            f"<Point><coordinates>{lon:.{PRECISION}f},{lat:.{PRECISION}f}</coordinates></Point></Placemark>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
        f"<name>Kəhriz</name><description>{escape(ATTRIBUTION)}</description>{schema}{styles}"
        + "".join(placemarks)
        + "</Document></kml>"
    ).encode("utf-8")


def to_geopackage(kehriz_queryset):
    """A GeoPackage with a point layer of kəhriz outlets and a line layer of gallery routes."""
    from osgeo import ogr, osr

    ogr.UseExceptions()
    handle, path = tempfile.mkstemp(suffix=".gpkg")
    os.close(handle)
    os.unlink(path)
    try:
        source = ogr.GetDriverByName("GPKG").CreateDataSource(path)
        wgs84 = osr.SpatialReference()
        wgs84.ImportFromEPSG(4326)
        wgs84.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
        points = source.CreateLayer("kehriz", wgs84, ogr.wkbPoint)
        types = {"string": ogr.OFTString, "int": ogr.OFTInteger, "double": ogr.OFTReal, "date": ogr.OFTDate}
        for name, kind in PROPERTIES.items():
            field = ogr.FieldDefn(name, types.get(kind, ogr.OFTInteger))
            if kind == "bool":
                field.SetSubType(ogr.OFSTBoolean)
            points.CreateField(field)
        routes = source.CreateLayer("kehriz_routes", wgs84, ogr.wkbLineString)
        routes.CreateField(ogr.FieldDefn("code", ogr.OFTString))
        source.StartTransaction()
        for row, outlet in _features(kehriz_queryset):
            feature = ogr.Feature(points.GetLayerDefn())
            for name, value in _properties(row).items():
                if value is not None and value != "":
                    feature.SetField(name, int(value) if isinstance(value, bool) else value)
            point = ogr.Geometry(ogr.wkbPoint)
            point.AddPoint_2D(*_coordinates(outlet))
            feature.SetGeometry(point)
            points.CreateFeature(feature)
        for code, route in kehriz_queryset.filter(route__isnull=False).values_list("code", "route"):
            feature = ogr.Feature(routes.GetLayerDefn())
            feature.SetField("code", code)
            feature.SetGeometry(ogr.CreateGeometryFromWkb(bytes(route.wkb)))
            routes.CreateFeature(feature)
        source.CommitTransaction()
        source = None  # closes and flushes the file
        with open(path, "rb") as handle:
            return handle.read()
    finally:
        if os.path.exists(path):
            os.unlink(path)


FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "geojson": "application/geo+json",
    "kml": "application/vnd.google-earth.kml+xml",
    "gpkg": "application/geopackage+sqlite3",
}
# What each format can hold.
KINDS_BY_FORMAT = {
    "csv": list(TABLES),
    "xlsx": ["all", *TABLES],
    "geojson": ["kehriz"],
    "kml": ["kehriz"],
    "gpkg": ["kehriz"],
}
# Kinds the public may download (published kəhriz only); the rest needs a login.
PUBLIC_KINDS = {"kehriz"}


def render(fmt, kind, kehriz_queryset, *, hxl=False):
    """The file's bytes, for a format and a kind of rows of the given kəhriz; ``hxl``: CSV with
    the HXL hashtag row."""
    if fmt == "csv":
        return to_csv(kind, kehriz_queryset, hxl=hxl)
    if fmt == "xlsx":
        return to_xlsx(list(TABLES) if kind == "all" else [kind], kehriz_queryset)
    if fmt == "geojson":
        return to_geojson(kehriz_queryset)
    if fmt == "kml":
        return to_kml(kehriz_queryset)
    if fmt == "gpkg":
        return to_geopackage(kehriz_queryset)
    raise ValueError(fmt)
