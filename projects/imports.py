"""Spreadsheet imports: the files field teams keep, in the layout of ``projects.tabular``.

Reading turns a CSV (UTF-8, with or without BOM; comma, semicolon or tab) or XLSX upload into a
``Table`` of rows keyed by the header. An importer (villages, kəhriz, observations) then either

- ``dry_run(table)``: a ``Preview`` saying, for every row, what would happen (new, update,
  unchanged) and every problem found, in the user's language; nothing is written; or
- ``apply(table)``: writes every row in one transaction, or nothing at all when any row has a
  problem (``ImportRefused`` carries the preview then); returns the counts.

Keys: a village is its district and its name (folded: Qaradagli is Qaradağlı); a kəhriz is its
code; an observation is its visit (``visit_uuid``, or made from the visit's title and start date)
and the kəhriz code. Importing the same file again finds every row "unchanged".
"""

import csv
import datetime
import io
import re
import uuid
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib.gis.geos import GEOSException, GEOSGeometry, LineString, Point
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import DatabaseError, transaction
from django.db.models.functions import Upper
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from projects import roles, services
from projects.models import (
    District,
    Functionality,
    Kehriz,
    MonitoringVisit,
    Observation,
    Project,
    Status,
    StatusEvent,
    Village,
)
from projects.models.monitoring import DischargeMethod
from projects.tabular import (
    KEHRIZ_COLUMNS,
    OBSERVATION_COLUMNS,
    STATUS_HISTORY_COLUMNS,
    VILLAGE_COLUMNS,
    names,
)
from projects.text import fold, spellings

COLUMNS = {
    "villages": VILLAGE_COLUMNS,
    "kehriz": KEHRIZ_COLUMNS,
    "observations": OBSERVATION_COLUMNS,
    "status_history": STATUS_HISTORY_COLUMNS,
}
KIND_LABELS = {
    "villages": gettext_lazy("villages"),
    "kehriz": gettext_lazy("kəhriz"),
    "observations": gettext_lazy("observations"),
    "status_history": gettext_lazy("status history"),
}
# A visit without visit_uuid gets uuid5(VISIT_NAMESPACE, "<folded title>|<start date>").
VISIT_NAMESPACE = uuid.UUID("0b6f3c52-2f0e-5d0a-9a49-6b65687269a1")
EXTENSIONS = (".csv", ".xlsx")

NEW, UPDATE, UNCHANGED = "new", "update", "unchanged"
ACTION_LABELS = {
    NEW: gettext_lazy("new"),
    UPDATE: gettext_lazy("update"),
    UNCHANGED: gettext_lazy("unchanged"),
}

YES = {"yes", "y", "true", "1", "beli", "he", "ha", "x"}
NO = {"no", "n", "false", "0", "xeyr", "yox"}
_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")


# --- Reading ------------------------------------------------------------------------------------


@dataclass
class Row:
    line: int
    values: dict
    cell_count: int = 0  # up to the last filled cell: more than the header's means shifted columns


@dataclass
class Table:
    kind: str
    header: list = field(default_factory=list)
    rows: list = field(default_factory=list)
    problems: list = field(default_factory=list)
    sheet: str = ""
    width: int = 0  # the header's number of cells, for a row that has more

    def has(self, column):
        return column in self.header


def _cell(value):
    """One cell as text: dates as YYYY-MM-DD, whole floats without '.0', yes/no for booleans."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    text = str(value).strip()
    # Exports prefix text that looks like a formula with ' (see exports._excel_safe).
    if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@"):
        text = text[1:]
    return text


def _header_name(value):
    return re.sub(r"\s+", "_", _cell(value).lstrip("\ufeff").strip().lower())


def _decode(data):
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def _delimiter(text, known):
    first = text.split("\n", 1)[0]
    try:
        sniffed = csv.Sniffer().sniff(text[:8192], delimiters=",;\t").delimiter
    except csv.Error:
        sniffed = ","
    best, best_known = sniffed, -1
    for candidate in (sniffed, ",", ";", "\t"):
        found = sum(
            1 for name in next(csv.reader([first], delimiter=candidate), []) if _header_name(name) in known
        )
        if found > best_known:
            best, best_known = candidate, found
    return best


def _csv_lines(text, known):
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text, known))
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        yield start, cells


# --- Limits: a spreadsheet is refused before its rows are read ----------------------------------
#
# A workbook is a zip: a few hundred kilobytes can unpack to gigabytes of sheet XML, and a sheet
# can declare (or skip to) a millionth row. So the upload's size, what it unpacks to and how much
# it is compressed are checked from the zip's directory, and the sheet's declared dimension from
# its first lines, before any row is read; reading then stops as soon as the row limit is passed
# (a sheet may omit its dimension or lie about it). The limits are settings (IMPORT_*).

# A member smaller than this is never "too compressed": small parts of real files can be.
_RATIO_FROM_BYTES = 1024 * 1024
# Cells further right than this are not read (the widest template has a few dozen columns).
MAX_COLUMNS = 256


def max_rows():
    return settings.IMPORT_MAX_ROWS


def _mb(size):
    return f"{size / (1024 * 1024):.1f}"


def size_problem(size):
    """Why an upload of ``size`` bytes is refused, or None."""
    if size > settings.IMPORT_MAX_BYTES:
        return _(
            "The file is %(size)s MB; at most %(max)s MB can be imported at once: split it into "
            "smaller files."
        ) % {"size": _mb(size), "max": _mb(settings.IMPORT_MAX_BYTES)}
    return None


def _zip_problem(archive):
    """Why a workbook is refused from its zip directory alone (nothing unpacked), or None."""
    members = archive.infolist()
    unpacked = sum(member.file_size for member in members)
    if unpacked > settings.IMPORT_MAX_UNCOMPRESSED_BYTES:
        return _(
            "The workbook unpacks to %(size)s MB; at most %(max)s MB can be imported at once: "
            "split it, or remove the sheets that are not imported."
        ) % {"size": _mb(unpacked), "max": _mb(settings.IMPORT_MAX_UNCOMPRESSED_BYTES)}
    for member in members:
        if member.file_size < _RATIO_FROM_BYTES:
            continue
        ratio = member.file_size / max(member.compress_size, 1)
        if ratio > settings.IMPORT_MAX_COMPRESSION_RATIO:
            return _(
                "The workbook's part %(part)s unpacks to %(ratio)d times its packed size; a "
                "spreadsheet is never compressed more than %(max)d times, so it is not read "
                "(it may be a “zip bomb”)."
            ) % {"part": member.filename, "ratio": ratio, "max": settings.IMPORT_MAX_COMPRESSION_RATIO}
    return None


def _rows_problem(declared, sheet=None):
    """Why a sheet declaring ``declared`` rows (the header included) is refused, or None."""
    if declared is not None and declared - 1 > max_rows():
        return _(
            "The sheet “%(sheet)s” declares %(rows)d rows; at most %(max)d rows can be imported "
            "at once: split it into smaller files."
        ) % {"sheet": sheet, "rows": declared, "max": max_rows()}
    return None


class _Refused(Exception):
    """A file refused before its rows are read: the message says why."""


def _open_xlsx(data, kind, table):
    """The workbook and the sheet to import, after the checks that need no row: raises _Refused."""
    from openpyxl import load_workbook

    archive = zipfile.ZipFile(io.BytesIO(data))
    problem = _zip_problem(archive)
    if problem:
        raise _Refused(problem)
    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        names_ = workbook.sheetnames
        chosen = next((n for n in names_ if n.strip().lower() == kind), names_[0] if names_ else None)
        if chosen is None:
            return workbook, None
        table.sheet = chosen
        sheet = workbook[chosen]
        # The <dimension> element, read from the head of the sheet's XML: no row is parsed.
        problem = _rows_problem(sheet.max_row, chosen)
        if problem:
            raise _Refused(problem)
        # Then read the rows the sheet holds, not those it declares: a smaller dimension would
        # drop rows silently, a larger one pad with empty rows. The row limit bounds the reading.
        sheet.reset_dimensions()
        return workbook, sheet
    except BaseException:
        workbook.close()
        raise


def _xlsx_lines(workbook, sheet):
    """The sheet's rows, one at a time (the caller stops at the row limit)."""
    try:
        if sheet is None:
            return
        for number, cells in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), 1):
            cells = list(cells)
            while cells and cells[-1] is None:  # iter_rows pads every row to MAX_COLUMNS
                cells.pop()
            yield number, cells
    finally:
        workbook.close()


_UNREADABLE_XLSX = (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, OSError, ValueError, SyntaxError)


def read_table(data, filename, kind):
    """The rows of an uploaded CSV or XLSX file, keyed by its header, with the file's problems.

    An oversized file, a workbook that unpacks to too much or declares too many rows is refused
    before its rows are read, and reading stops at the row limit (IMPORT_* settings)."""
    if kind not in COLUMNS:
        raise ValueError(kind)
    table = Table(kind=kind)
    columns = COLUMNS[kind]
    known = set(names(columns))
    lower = (filename or "").lower()
    if lower.endswith(".xls"):
        table.problems.append(_("Old .xls workbooks cannot be read: save the file as .xlsx or CSV UTF-8."))
        return table
    if not lower.endswith(EXTENSIONS):
        table.problems.append(_("Upload a .csv or .xlsx file."))
        return table
    problem = size_problem(len(data))
    if problem:
        table.problems.append(problem)
        return table
    if lower.endswith(".xlsx"):
        try:
            lines = _xlsx_lines(*_open_xlsx(data, kind, table))
        except _Refused as refused:
            table.problems.append(str(refused))
            return table
        except _UNREADABLE_XLSX:
            table.problems.append(_("This is not a readable .xlsx workbook."))
            return table
    else:
        text = _decode(data)
        if text is None:
            table.problems.append(
                _("The file is not UTF-8 text. In Excel, save it as “CSV UTF-8 (comma delimited)”.")
            )
            return table
        lines = _csv_lines(text, known)
    limit = max_rows()
    try:
        lines = iter(lines)
        header_line, header_cells = next(
            ((n, cells) for n, cells in lines if any(_cell(c) for c in cells)), (None, None)
        )
        if header_line is None:
            table.problems.append(_("The file is empty: the first row must name the columns."))
            return table
        header = [_header_name(c) for c in header_cells]
        _check_header(table, header, columns)
        for read, (number, cells) in enumerate(lines, 1):
            # Blank rows count too: a sheet may skip to its millionth row.
            if read > limit:
                table.problems.append(_("The file has more than %(max)d rows: split it.") % {"max": limit})
                break
            values = [_cell(c) for c in cells]
            if not any(values):
                continue
            extra = [v for v in values[len(header) :] if v]
            filled = max((i + 1 for i, v in enumerate(values) if v), default=0)
            row = Row(line=number, values={}, cell_count=filled)
            for name, value in zip(header, values, strict=False):
                if name:
                    row.values[name] = value
            if extra:
                row.values["__extra__"] = extra
            table.rows.append(row)
        table.width = max((i + 1 for i, name in enumerate(header) if name), default=0)
    except csv.Error as error:
        table.problems.append(_("The CSV file could not be read: %(error)s") % {"error": error})
    except _UNREADABLE_XLSX:
        table.rows = []
        table.problems.append(_("This is not a readable .xlsx workbook."))
    finally:
        close = getattr(lines, "close", None)
        if close:
            close()  # the workbook of an XLSX, when reading stopped early
    return table


def _check_header(table, header, columns):
    known = {c.name: c for c in columns}
    seen = set()
    for name in header:
        if not name:
            continue
        if name in seen:
            table.problems.append(_("The column “%(column)s” appears twice.") % {"column": name})
        elif name not in known:
            table.problems.append(
                _("Unknown column “%(column)s”: use the columns of the template (%(columns)s).")
                % {"column": name, "columns": ", ".join(known)}
            )
        seen.add(name)
    missing = [c.name for c in columns if c.required and c.name not in seen]
    if missing:
        table.problems.append(
            _("Required columns are missing: %(columns)s.") % {"columns": ", ".join(missing)}
        )
    table.header = [name for name in header if name in known and not known[name].export_only]


def as_table(rows, kind):
    """A Table from a Table, or from a list of dicts (line numbers counted from 2)."""
    if isinstance(rows, Table):
        return rows
    rows = list(rows)
    table = Table(kind=kind)
    header = []
    for row in rows:
        for name in row:
            if name not in header:
                header.append(name)
    _check_header(table, header, COLUMNS[kind])
    table.rows = [Row(line=n, values={k: _cell(v) for k, v in row.items()}) for n, row in enumerate(rows, 2)]
    return table


# --- The preview ------------------------------------------------------------------------------------


@dataclass
class RowReport:
    line: int
    key: str = ""
    action: str = ""
    errors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    changes: list = field(default_factory=list)
    plan: dict = field(default_factory=dict, repr=False)

    @property
    def action_label(self):
        return ACTION_LABELS.get(self.action, "")

    def error(self, column, message):
        self.errors.append(f"{column}: {message}" if column else str(message))

    def warn(self, column, message):
        self.warnings.append(f"{column}: {message}" if column else str(message))


@dataclass
class Preview:
    kind: str
    rows: list = field(default_factory=list)
    problems: list = field(default_factory=list)
    sheet: str = ""

    @property
    def ok(self):
        return not self.problems and not any(row.errors for row in self.rows)

    @property
    def rows_with_errors(self):
        return sum(1 for row in self.rows if row.errors)

    @property
    def counts(self):
        counts = {NEW: 0, UPDATE: 0, UNCHANGED: 0}
        for row in self.rows:
            if row.action in counts:
                counts[row.action] += 1
        return counts

    @property
    def all_problems(self):
        """Every problem as text, with the line it was found on."""
        found = list(self.problems)
        for row in self.rows:
            found += [_("Line %(line)d: %(problem)s") % {"line": row.line, "problem": e} for e in row.errors]
        return found


class ImportRefused(Exception):
    """Nothing was written: the preview says why."""

    def __init__(self, preview):
        super().__init__("; ".join(str(p) for p in preview.all_problems[:5]))
        self.preview = preview


# --- Cell parsers ---------------------------------------------------------------------------------

INVALID = object()


def parse_decimal(text):
    if text == "":
        return None
    if "," in text:
        raise ValueError(_("“%(value)s”: use a decimal point (9.5), not a comma.") % {"value": text})
    try:
        value = Decimal(text.replace(" ", "").replace("\u00a0", ""))
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise ValueError(_("“%(value)s” is not a number.") % {"value": text})
    return value


def parse_int(text):
    value = parse_decimal(text)
    if value is None:
        return None
    if value != value.to_integral_value():
        raise ValueError(_("“%(value)s” is not a whole number.") % {"value": text})
    return int(value)


def parse_date(text):
    if text == "":
        return None
    match = _DATE.match(text)
    try:
        if not match:
            raise ValueError
        return datetime.date(*(int(part) for part in match.groups()))
    except ValueError:
        raise ValueError(_("“%(value)s” is not a date: write it as YYYY-MM-DD.") % {"value": text}) from None


def parse_bool(text):
    if text == "":
        return None
    key = fold(text)
    if key in YES:
        return True
    if key in NO:
        return False
    raise ValueError(_("“%(value)s” is not yes or no.") % {"value": text})


_CHOICE_KEYS = {}


def _choice_keys(choices):
    cache_key = (choices, translation.get_language())
    if cache_key in _CHOICE_KEYS:
        return _CHOICE_KEYS[cache_key]
    keys = {}
    for value, label in choices.choices:
        for text in (value, value.replace("_", " "), str(label)):
            keys[fold(text)] = value
        with translation.override("en"):
            keys[fold(str(label))] = value
    _CHOICE_KEYS[cache_key] = keys
    return keys


def parse_choice(text, choices):
    if text == "":
        return None
    value = _choice_keys(choices).get(fold(text))
    if value is None:
        raise ValueError(
            _("Unknown value “%(value)s”: use one of %(values)s.")
            % {"value": text, "values": ", ".join(choices.values)}
        )
    return value


class Cells:
    """The cells of one row, parsed column by column; problems go to the row's report."""

    def __init__(self, table, values, report, check=True):
        self.table, self.values, self.report = table, values, report
        if not check:
            return
        for column in table.header:
            spec = next(c for c in COLUMNS[table.kind] if c.name == column)
            if spec.required and not self.values.get(column, ""):
                report.error(column, _("This column must be filled in."))

    def has(self, column):
        return self.table.has(column)

    def text(self, column):
        return self.values.get(column, "") if self.has(column) else ""

    def parse(self, column, parser, *args, non_negative=False):
        """The parsed value, None for an empty cell, INVALID (and a problem) for a bad one."""
        try:
            value = parser(self.text(column), *args)
        except ValueError as error:
            self.report.error(column, error)
            return INVALID
        if non_negative and value is not None and value < 0:
            self.report.error(column, _("“%(value)s” cannot be negative.") % {"value": self.text(column)})
            return INVALID
        return value

    def point(self, lon_column, lat_column):
        """A point from two columns; None when both are empty; INVALID on a problem."""
        lon = self.parse(lon_column, parse_decimal)
        lat = self.parse(lat_column, parse_decimal)
        if lon is INVALID or lat is INVALID:
            return INVALID
        if lon is None and lat is None:
            return None
        if lon is None or lat is None:
            self.report.error(
                f"{lon_column}, {lat_column}",
                _("Give both the longitude and the latitude, or neither."),
            )
            return INVALID
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            self.report.error(
                f"{lon_column}, {lat_column}",
                _("%(lon)s, %(lat)s is not a position: longitude is within ±180, latitude within ±90.")
                % {"lon": lon, "lat": lat},
            )
            return INVALID
        return Point(float(lon), float(lat), srid=4326)

    def set(self, instance, attribute, column, parser, *args, default=None, non_negative=False):
        """Set ``attribute`` from ``column`` when the file has the column and the cell is valid."""
        if not self.has(column):
            return
        value = self.parse(column, parser, *args, non_negative=non_negative)
        if value is INVALID:
            return
        setattr(instance, attribute, default if value is None else value)

    def set_text(self, instance, attribute, column):
        if self.has(column):
            setattr(instance, attribute, self.text(column))


# --- Places: districts and villages -----------------------------------------------------------------


class Districts:
    """Finds a district by any spelling of its name, short name, aliases or slug."""

    def __init__(self):
        self.exact = {}
        self.by_spelling = defaultdict(list)
        for district in District.objects.only("id", "name_az", "name_en", "slug", "aliases", "is_programme"):
            for key in (fold(district.name_az), fold(district.slug)):
                self.exact[key] = district
            for name in district.search_names():
                for key in spellings(name):
                    if district not in self.by_spelling[key]:
                        self.by_spelling[key].append(district)
        self.cache = {}

    def find(self, text):
        """(district, problem): one of them is None."""
        if text not in self.cache:
            self.cache[text] = self._find(text)
        return self.cache[text]

    def _find(self, text):
        key = fold(text)
        if key in self.exact:
            return self.exact[key], None
        found = self.by_spelling.get(key)
        if not found:
            for suffix in (" rayonu", " rayon", " district", " r"):
                if key.endswith(suffix) and key[: -len(suffix)] in self.by_spelling:
                    found = self.by_spelling[key[: -len(suffix)]]
                    break
        found = list(found or [])
        if len(found) > 1:
            found = [d for d in found if d.is_programme] or found
        if len(found) > 1:
            found = [d for d in found if d.name_az.endswith(" rayonu")] or found
        if len(found) == 1:
            return found[0], None
        if found:
            return None, _("“%(value)s” could be %(districts)s: write the full name or the slug.") % {
                "value": text,
                "districts": ", ".join(sorted(d.name_az for d in found)),
            }
        return None, _(
            "Unknown district “%(value)s”: give its name (Cəbrayıl, Cabrayil, Cəbrayıl rayonu) or slug "
            "(cebrayil-rayonu)."
        ) % {"value": text}


def _name_matches(candidates, name):
    """The villages of ``candidates`` that ``name`` names: exactly, folded, or in another spelling."""
    for test in (
        lambda v: v.name == name,
        lambda v: fold(v.name) == fold(name),
        lambda v: bool(set(spellings(v.name)) & set(spellings(name))),
    ):
        found = [v for v in candidates if test(v)]
        if found:
            return found
    return []


class Villages:
    def __init__(self):
        self.by_district = defaultdict(list)
        for village in Village.objects.select_related("district"):
            self.by_district[village.district_id].append(village)

    def in_district(self, district, name):
        return _name_matches(self.by_district.get(district.pk, []), name)

    def anywhere(self, name):
        return _name_matches([v for vs in self.by_district.values() for v in vs], name)


# --- Comparing ----------------------------------------------------------------------------------------


def _same(old, new):
    if isinstance(old, GEOSGeometry) or isinstance(new, GEOSGeometry):
        if old is None or new is None:
            return old is None and new is None
        if old.geom_type != new.geom_type or old.num_coords != new.num_coords:
            return False
        # Exports round coordinates to 6 decimals (about 10 cm).
        return old.equals_exact(new, 1e-6)
    return old == new


def _copy(instance):
    """An unsaved-looking copy of a saved instance, to change and validate without touching it."""
    fields = instance._meta.concrete_fields
    values = []
    for f in fields:
        value = getattr(instance, f.attname)
        values.append(value.clone() if isinstance(value, GEOSGeometry) else value)
    return type(instance).from_db(instance._state.db, [f.attname for f in fields], values)


def _changes(existing, candidate, attributes):
    changed = []
    for column, attribute in attributes:
        old, new = getattr(existing, attribute), getattr(candidate, attribute)
        if _same(old, new):
            if isinstance(old, GEOSGeometry):
                setattr(candidate, attribute, old)  # keep the stored precision
        else:
            changed.append(column)
    return changed


def _validate(instance, report, columns_of, exclude=None):
    """Run the model's full_clean; its messages go to the row, under the file's column names."""
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as error:
        found = error.error_dict if hasattr(error, "error_dict") else {NON_FIELD_ERRORS: error.error_list}
        for name, messages in found.items():
            column = None if name == NON_FIELD_ERRORS else columns_of.get(name, name)
            if column and any(e.startswith(column + ":") for e in report.errors):
                continue  # a cell already reported as unreadable
            for message in ValidationError(messages).messages:
                report.error(column, message)
        return False
    return True


# --- Importers -----------------------------------------------------------------------------------------


def _kehriz_by_code(codes, queryset):
    """Kəhriz by code, exactly, else by upper-case code (CAB-HOR-01 is cab-hor-01)."""
    found = {k.code: k for k in queryset.filter(code__in=codes)}
    missing = {c.upper() for c in codes} - {c.upper() for c in found}
    if missing:
        for k in queryset.annotate(code_upper=Upper("code")).filter(code_upper__in=missing):
            found.setdefault(k.code.upper(), k)
    return found


class Importer:
    kind = None

    def __init__(self, user=None):
        self.user = user

    @property
    def columns(self):
        return COLUMNS[self.kind]

    def may_edit(self, district_id):
        return self.user is None or roles.can_edit_in_district(self.user, district_id)

    def dry_run(self, rows):
        """What importing would do, row by row; nothing is written."""
        table = as_table(rows, self.kind)
        with transaction.atomic():
            preview = self.plan(table)
            transaction.set_rollback(True)
        return preview

    def apply(self, rows):
        """Write every row in one transaction, or none: raises ImportRefused on any problem."""
        table = as_table(rows, self.kind)
        with transaction.atomic():
            preview = self.plan(table)
            if not preview.ok:
                raise ImportRefused(preview)
            self.write(preview)
            if not preview.ok:
                raise ImportRefused(preview)  # rolls back what was written
        counts = preview.counts
        return {"created": counts[NEW], "updated": counts[UPDATE], "unchanged": counts[UNCHANGED]}

    def plan(self, table):
        preview = Preview(kind=self.kind, problems=list(table.problems), sheet=table.sheet)
        missing = [c.name for c in self.columns if c.required and not table.has(c.name)]
        if missing:
            return preview
        self.prepare(table)
        for row in table.rows:
            report = RowReport(line=row.line)
            if row.values.get("__extra__"):
                # More cells than columns: every cell after the extra one is in the wrong column
                # (an unquoted 9,5 in a CSV file), so say that rather than what it leads to.
                report.error(
                    None,
                    _(
                        "Row %(line)d has %(cells)d cells, the header has %(header)d: "
                        "is a decimal comma unquoted (9,5)?"
                    )
                    % {"line": row.line, "cells": row.cell_count, "header": table.width},
                )
                preview.rows.append(report)
                continue
            cells = Cells(table, row.values, report)
            self.plan_row(cells, report)
            preview.rows.append(report)
        self.finish(preview)
        return preview

    def prepare(self, table):
        pass

    def finish(self, preview):
        pass

    def write(self, preview):
        for report in preview.rows:
            if report.action in (NEW, UPDATE):
                try:
                    with transaction.atomic():
                        self.write_row(report)
                except ValidationError as error:
                    for message in error.messages:
                        report.error(None, message)
                    return
                except DatabaseError as error:
                    report.error(None, _("The database refused the row: %(error)s") % {"error": error})
                    return


class VillageImporter(Importer):
    kind = "villages"
    ATTRIBUTES = [
        ("lon, lat", "location"),
        ("location_is_approximate", "location_is_approximate"),
        ("location_source", "location_source"),
        ("is_idp_settlement", "is_idp_settlement"),
    ]
    COLUMNS_OF = {"location": "lon, lat", "district": "district", "name": "name"}

    def prepare(self, table):
        self.districts = Districts()
        self.villages = Villages()
        self.seen = defaultdict(dict)  # district id -> spelling -> line

    def plan_row(self, cells, report):
        name = cells.text("name")
        district, problem = (
            self.districts.find(cells.text("district")) if cells.text("district") else (None, None)
        )
        if problem:
            report.error("district", problem)
        report.key = f"{name} ({district})" if district else name
        if district is None or not name:
            return
        if not self.may_edit(district.pk):
            report.error(
                "district", _("You may not change villages in %(district)s.") % {"district": district}
            )
        keys = set(spellings(name))
        earlier = next((self.seen[district.pk][k] for k in keys if k in self.seen[district.pk]), None)
        if earlier:
            report.error("name", _("The same village as line %(line)d.") % {"line": earlier})
            return
        for key in keys:
            self.seen[district.pk][key] = report.line
        matches = self.villages.in_district(district, name)
        if len(matches) > 1:
            report.error(
                "name",
                _("Several villages of %(district)s match “%(name)s”: %(names)s. Write the name exactly.")
                % {"district": district, "name": name, "names": ", ".join(v.name for v in matches)},
            )
            return
        existing = matches[0] if matches else None
        village = _copy(existing) if existing else Village(district=district, name=name)
        village.district = district
        location = cells.point("lon", "lat") if cells.has("lon") or cells.has("lat") else INVALID
        if location is not INVALID:
            village.location = location
        cells.set(village, "location_is_approximate", "location_is_approximate", parse_bool, default=False)
        cells.set_text(village, "location_source", "location_source")
        cells.set(village, "is_idp_settlement", "is_idp_settlement", parse_bool, default=False)
        if existing:
            report.changes = _changes(existing, village, self.ATTRIBUTES)
        # An unchanged row writes nothing: only new and changed rows are validated.
        valid = (existing is None or report.changes) and _validate(village, report, self.COLUMNS_OF)
        if valid and village.location:
            outside = services.metres_outside(village.location, district)
            if outside:
                report.warn(
                    "lon, lat",
                    _("The village lies %(m)d m outside %(district)s: check it on the map.")
                    % {"m": outside, "district": district},
                )
        report.action = NEW if existing is None else (UPDATE if report.changes else UNCHANGED)
        report.plan = {"village": village}

    def write_row(self, report):
        report.plan["village"].save()


class KehrizImporter(Importer):
    kind = "kehriz"
    ATTRIBUTES = [
        ("name", "name"),
        ("district", "district_id"),
        ("village", "village_id"),
        ("outlet_lon, outlet_lat", "outlet"),
        ("mother_well_lon, mother_well_lat", "mother_well"),
        ("route_wkt", "route"),
        ("location_is_approximate", "location_is_approximate"),
        ("location_source", "location_source"),
        ("gallery_length_m", "gallery_length_m"),
        ("shaft_count", "shaft_count"),
        ("mother_well_depth_m", "mother_well_depth_m"),
        ("use_drinking", "use_drinking"),
        ("use_irrigation", "use_irrigation"),
        ("use_livestock", "use_livestock"),
        ("households_served", "households_served"),
        ("people_served", "people_served"),
        ("idp_households_served", "idp_households_served"),
        ("irrigated_area_ha", "irrigated_area_ha"),
        ("figures_are_approximate", "figures_are_approximate"),
        ("committee_name", "committee_name"),
        ("committee_members", "committee_members"),
        ("committee_women", "committee_women"),
        ("committee_chair_is_woman", "committee_chair_is_woman"),
        ("is_published", "is_published"),
        ("notes", "notes"),
        ("source", "source"),
    ]
    COLUMNS_OF = {
        "outlet": "outlet_lon, outlet_lat",
        "mother_well": "mother_well_lon, mother_well_lat",
        "route": "route_wkt",
    }
    DECIMALS = ["gallery_length_m", "mother_well_depth_m", "irrigated_area_ha"]
    INTEGERS = [
        "shaft_count",
        "households_served",
        "people_served",
        "idp_households_served",
        "committee_members",
        "committee_women",
    ]
    FLAGS = {
        "location_is_approximate": False,
        "use_drinking": False,
        "use_irrigation": False,
        "use_livestock": False,
        "figures_are_approximate": False,
        "is_published": True,
    }
    TEXTS = ["location_source", "committee_name", "notes", "source"]

    def prepare(self, table):
        self.districts = Districts()
        self.villages = Villages()
        codes = {row.values.get("code", "") for row in table.rows} - {""}
        self.existing = _kehriz_by_code(
            codes, Kehriz.objects.select_related("district", "village").prefetch_related("projects")
        )
        self.projects = {p.code.lower(): p for p in Project.objects.only("id", "code")}
        self.last_events = {}
        self.seen = {}
        self.today = timezone.localdate()

    def find(self, code):
        return self.existing.get(code) or self.existing.get(code.upper())

    def plan_row(self, cells, report):
        code = cells.text("code")
        report.key = code
        if not code:
            return
        if code.upper() in self.seen:
            report.error("code", _("The same code as line %(line)d.") % {"line": self.seen[code.upper()]})
            return
        self.seen[code.upper()] = report.line
        existing = self.find(code)
        kehriz = _copy(existing) if existing else Kehriz(code=code)
        if existing:
            kehriz.district, kehriz.village = existing.district, existing.village
        cells.set_text(kehriz, "name", "name")
        self.place(cells, report, kehriz)
        for column, attribute in (
            (("outlet_lon", "outlet_lat"), "outlet"),
            (("mother_well_lon", "mother_well_lat"), "mother_well"),
        ):
            if cells.has(column[0]) or cells.has(column[1]):
                point = cells.point(*column)
                if point is not INVALID:
                    setattr(kehriz, attribute, point)
        if cells.has("route_wkt"):
            route = self.route(cells, report)
            if route is not INVALID:
                kehriz.route = route
        for name in self.DECIMALS:
            cells.set(kehriz, name, name, parse_decimal, non_negative=True)
        for name in self.INTEGERS:
            cells.set(kehriz, name, name, parse_int, non_negative=True)
        for name, default in self.FLAGS.items():
            cells.set(kehriz, name, name, parse_bool, default=default)
        cells.set(kehriz, "committee_chair_is_woman", "committee_chair_is_woman", parse_bool)
        for name in self.TEXTS:
            cells.set_text(kehriz, name, name)
        if kehriz.route:
            computed = services.gallery_length_from_route(kehriz.route)
            given = kehriz.gallery_length_m
            if given is not None and abs(given - computed) > 1:
                report.warn(
                    "gallery_length_m",
                    _("The length is computed from the route: %(m)s m.") % {"m": computed},
                )
            kehriz.gallery_length_m = computed
        projects = self.project_list(cells, report)
        target, on_date = self.status(cells, report, kehriz, existing)
        if existing:
            report.changes = self.changes(existing, kehriz, projects, target)
        # An unchanged row writes nothing: only new and changed rows are validated.
        if existing is None or report.changes:
            if _validate(kehriz, report, self.COLUMNS_OF) and kehriz.location_needs_review:
                report.warn(
                    "outlet_lon, outlet_lat",
                    _("The outlet lies %(m)d m outside %(district)s: it will be marked for review.")
                    % {"m": kehriz.distance_outside_district_m, "district": kehriz.district},
                )
            if existing:  # the district may have been found from the village or the outlet
                report.changes = self.changes(existing, kehriz, projects, target)
        elif existing.location_needs_review:
            report.warn(
                "outlet_lon, outlet_lat",
                _("The outlet lies %(m)d m outside %(district)s: it is marked for review.")
                % {"m": existing.distance_outside_district_m or 0, "district": existing.district},
            )
        if kehriz.district_id and not self.may_edit(kehriz.district_id):
            report.error(
                "district", _("You may not change kəhriz in %(district)s.") % {"district": kehriz.district}
            )
        if (
            existing
            and existing.district_id != kehriz.district_id
            and not self.may_edit(existing.district_id)
        ):
            report.error(
                "district", _("You may not change kəhriz in %(district)s.") % {"district": existing.district}
            )
        report.action = NEW if existing is None else (UPDATE if report.changes else UNCHANGED)
        report.plan = {
            "kehriz": kehriz,
            "existing": existing,
            "projects": projects,
            "target": target,
            "on_date": on_date,
        }

    def changes(self, existing, kehriz, projects, target):
        changed = _changes(existing, kehriz, self.ATTRIBUTES)
        if projects is not None and {p.pk for p in projects} != {p.pk for p in existing.projects.all()}:
            changed.append("projects")
        if target:
            changed.append("status")
        return changed

    def place(self, cells, report, kehriz):
        """The district and village columns."""
        district = None
        district_text, village_text = cells.text("district"), cells.text("village")
        district_failed = False
        if cells.has("district"):
            if district_text:
                district, problem = self.districts.find(district_text)
                if problem:
                    report.error("district", problem)
                    district_failed = True
            kehriz.district = district  # empty: found from the village or the outlet
            if district is None:
                kehriz.district_id = None
        if not cells.has("village") or district_failed:
            return
        if not village_text:
            kehriz.village = None
            return
        if district is None and not cells.has("district") and kehriz.district_id:
            district = kehriz.district
        if district is not None:
            matches = self.villages.in_district(district, village_text)
            if not matches:
                report.error(
                    "village",
                    _(
                        "Unknown village “%(name)s” in %(district)s: import it with the villages first, "
                        "or check the spelling."
                    )
                    % {"name": village_text, "district": district},
                )
                return
        else:
            matches = self.villages.anywhere(village_text)
            districts = sorted({str(v.district) for v in matches})
            if not matches:
                report.error(
                    "village",
                    _("Unknown village “%(name)s”: import it with the villages first, or check the spelling.")
                    % {"name": village_text},
                )
                return
            if len(districts) > 1:
                report.error(
                    "village",
                    _(
                        "Villages named “%(name)s” are in several districts (%(districts)s): "
                        "give the district."
                    )
                    % {"name": village_text, "districts": ", ".join(districts)},
                )
                return
        if len(matches) > 1:
            report.error(
                "village",
                _("Several villages match “%(name)s”: %(names)s. Write the name exactly.")
                % {"name": village_text, "names": ", ".join(v.name for v in matches)},
            )
            return
        kehriz.village = matches[0]

    def route(self, cells, report):
        text = cells.text("route_wkt")
        if not text:
            return None
        try:
            route = GEOSGeometry(text, srid=4326)
        except (GEOSException, ValueError, TypeError):
            route = None
        if not isinstance(route, LineString) or route.num_points < 2 or not route.valid:
            report.error(
                "route_wkt",
                _("Not a route: write it as LINESTRING(lon lat, lon lat, …), mother well to outlet."),
            )
            return INVALID
        if not all(-180 <= x <= 180 and -90 <= y <= 90 for x, y, *_z in route.coords):
            report.error("route_wkt", _("The route has a point outside ±180° longitude or ±90° latitude."))
            return INVALID
        route.srid = 4326
        return route

    def project_list(self, cells, report):
        if not cells.has("projects"):
            return None
        projects = []
        for code in re.split(r"[;,]", cells.text("projects")):
            code = code.strip()
            if not code:
                continue
            project = self.projects.get(code.lower())
            if project is None:
                report.error("projects", _("Unknown project code “%(code)s”.") % {"code": code})
            elif project not in projects:
                projects.append(project)
        return projects

    def status(self, cells, report, kehriz, existing):
        """(status to move to, date): the target is None when the status does not change."""
        status = cells.parse("status", parse_choice, Status) if cells.has("status") else None
        on_date = cells.parse("status_changed_on", parse_date) if cells.has("status_changed_on") else None
        if status is INVALID or on_date is INVALID:
            return None, None
        if on_date and on_date > self.today:
            report.error("status_changed_on", _("The date of a status change cannot be in the future."))
            return None, None
        if existing is None:
            kehriz.status = status or Status.IDENTIFIED
            kehriz.status_changed_on = on_date
            return None, None
        if not status or status == existing.status:
            if on_date and on_date != existing.status_changed_on:
                report.warn(
                    "status_changed_on",
                    _("The date of the current status (%(date)s) is kept: it changes only with the status.")
                    % {"date": existing.status_changed_on or "—"},
                )
            return None, None
        current = existing.status
        if Status.order(status) != Status.order(current) + 1:
            message = _("A kəhriz cannot go from %(current)s to %(target)s by import.") % {
                "current": Status(current).label,
                "target": Status(status).label,
            }
            if current != Status.HANDED_OVER:
                message += " " + _("The next step is %(next)s.") % {
                    "next": Status(Status.values[Status.order(current) + 1]).label
                }
            message += " " + _("Corrections are made in the admin, with a reason.")
            report.error("status", message)
            return None, None
        on_date = on_date or self.today
        last = existing.status_events.order_by("-changed_on", "-created_at", "-id").first()
        if last and on_date < last.changed_on:
            report.error(
                "status_changed_on",
                _("This date is before the last recorded change (%(date)s).") % {"date": last.changed_on},
            )
            return None, None
        return status, on_date

    def write_row(self, report):
        plan = report.plan
        kehriz, existing = plan["kehriz"], plan["existing"]
        if existing is None:
            fields = {
                f.name: getattr(kehriz, f.name)
                for f in Kehriz._meta.concrete_fields
                if f.editable and not f.primary_key and f.name not in ("district", "village")
            }
            created = services.create_kehriz(
                user=self.user,
                status_on=kehriz.status_changed_on,
                projects=plan["projects"] or (),
                district=kehriz.district,
                village=kehriz.village,
                **fields,
            )
            report.plan["kehriz"] = created
            return
        kehriz.save()
        if plan["projects"] is not None:
            kehriz.projects.set(plan["projects"])
        if plan["target"]:
            services.change_status(
                kehriz=kehriz,
                to_status=plan["target"],
                on_date=plan["on_date"],
                user=self.user,
                note=_("Imported from a spreadsheet."),
            )


class ObservationImporter(Importer):
    kind = "observations"
    VISIT_COLUMNS = {
        "visit_title": "title",
        "visit_start_date": "start_date",
        "visit_end_date": "end_date",
        "visit_organisations": "organisations",
    }
    ATTRIBUTES = [
        ("observed_on", "observed_on"),
        ("functionality", "functionality"),
        ("discharge_lps", "discharge_lps"),
        ("discharge_method", "discharge_method"),
        ("works_progress", "works_progress"),
        ("findings", "findings"),
    ]
    COLUMNS_OF = {
        "title": "visit_title",
        "start_date": "visit_start_date",
        "end_date": "visit_end_date",
        "organisations": "visit_organisations",
        "kehriz": "kehriz_code",
    }

    def prepare(self, table):
        codes = {row.values.get("kehriz_code", "") for row in table.rows} - {""}
        self.kehriz = _kehriz_by_code(codes, Kehriz.objects.select_related("district"))
        self.visits = {}  # uuid -> {"visit", "existing", "line", "values", "reports"}
        self.seen = {}
        self.today = timezone.localdate()

    def visit_uuid(self, cells, report):
        text = cells.text("visit_uuid")
        if text:
            try:
                return uuid.UUID(text)
            except ValueError:
                report.error(
                    "visit_uuid", _("“%(value)s” is not a visit identifier (a UUID).") % {"value": text}
                )
                return None
        title = cells.text("visit_title")
        start = cells.parse("visit_start_date", parse_date)  # a bad date is reported here
        if not title or start in (None, INVALID):
            return None
        return uuid.uuid5(VISIT_NAMESPACE, f"{fold(title)}|{start.isoformat()}")

    def visit_for(self, key, cells, report):
        """The would-be visit of this row, shared by the rows of the same visit."""
        values = {column: cells.text(column) for column in self.VISIT_COLUMNS if cells.has(column)}
        group = self.visits.get(key)
        if group is None:
            existing = MonitoringVisit.objects.filter(uuid=key).first()
            observations = (
                {o.kehriz_id: o for o in Observation.objects.filter(visit=existing)} if existing else {}
            )
            visit = _copy(existing) if existing else MonitoringVisit(uuid=key)
            probe = RowReport(line=report.line)
            probe_cells = Cells(cells.table, cells.values, probe, check=False)
            probe_cells.set_text(visit, "title", "visit_title")
            probe_cells.set(visit, "start_date", "visit_start_date", parse_date)
            probe_cells.set(visit, "end_date", "visit_end_date", parse_date)
            probe_cells.set_text(visit, "organisations", "visit_organisations")
            if existing is None and self.user is not None and self.user.is_authenticated:
                visit.recorded_by = self.user
            _validate(visit, probe, self.COLUMNS_OF, exclude=["recorded_by"])
            changes = []
            if existing:
                changes = _changes(
                    existing, visit, [(column, attr) for column, attr in self.VISIT_COLUMNS.items()]
                )
            group = {
                "visit": visit,
                "existing": existing,
                "line": report.line,
                "values": values,
                "problems": probe.errors,
                "changes": changes,
                "reports": [],
                "kehriz_ids": set(),
                "observations": observations,
            }
            self.visits[key] = group
            if changes:
                report.changes += changes
        elif group["values"] != values:
            differing = [c for c in self.VISIT_COLUMNS if group["values"].get(c) != values.get(c)]
            report.error(
                ", ".join(differing),
                _(
                    "The visit’s details differ from line %(line)d: "
                    "write them the same on every row of a visit."
                )
                % {"line": group["line"]},
            )
        # The visit's problems belong to each of its rows (once; after the row's own, if any).
        for problem in group["problems"]:
            column = problem.split(":", 1)[0]
            if problem not in report.errors and not any(e.startswith(column + ":") for e in report.errors):
                report.errors.append(problem)
        group["reports"].append(report)
        return group

    def plan_row(self, cells, report):
        key = self.visit_uuid(cells, report)
        code = cells.text("kehriz_code")
        report.key = " · ".join(p for p in (cells.text("visit_title"), code) if p)
        kehriz = (self.kehriz.get(code) or self.kehriz.get(code.upper())) if code else None
        if code and kehriz is None:
            report.error(
                "kehriz_code", _("Unknown kəhriz code “%(code)s”: import the kəhriz first.") % {"code": code}
            )
        if kehriz is not None and not self.may_edit(kehriz.district_id):
            report.error(
                "kehriz_code",
                _(
                    "You may only record observations of kəhriz in your districts; "
                    "%(kehriz)s is in %(district)s."
                )
                % {"kehriz": kehriz.code, "district": kehriz.district},
            )
        if key is None:
            return
        group = self.visit_for(key, cells, report)
        if kehriz is None:
            return
        if (key, kehriz.pk) in self.seen:
            report.error(
                "kehriz_code",
                _("The same visit and kəhriz as line %(line)d.") % {"line": self.seen[(key, kehriz.pk)]},
            )
            return
        self.seen[(key, kehriz.pk)] = report.line
        group["kehriz_ids"].add(kehriz.pk)
        visit, existing_visit = group["visit"], group["existing"]
        existing = group["observations"].get(kehriz.pk)
        observation = _copy(existing) if existing else Observation(kehriz=kehriz)
        observation.kehriz = kehriz
        cells.set(observation, "observed_on", "observed_on", parse_date)
        cells.set(
            observation,
            "functionality",
            "functionality",
            parse_choice,
            Functionality,
            default=Functionality.UNKNOWN,
        )
        cells.set(observation, "discharge_lps", "discharge_lps", parse_decimal, non_negative=True)
        cells.set(
            observation, "discharge_method", "discharge_method", parse_choice, DischargeMethod, default=""
        )
        cells.set_text(observation, "works_progress", "works_progress")
        cells.set_text(observation, "findings", "findings")
        if existing:
            report.changes += _changes(existing, observation, self.ATTRIBUTES)
        if existing_visit is not None:
            observation.visit = visit
            # An unchanged row writes nothing: only new and changed rows are validated.
            if existing is None or report.changes:
                _validate(observation, report, self.COLUMNS_OF)
        else:
            self.check_dates(observation, visit, report)
            _validate(observation, report, self.COLUMNS_OF, exclude=["visit"])
        report.action = NEW if existing is None else (UPDATE if report.changes else UNCHANGED)
        report.plan = {"visit_key": key, "observation": observation}

    def check_dates(self, observation, visit, report):
        """What validate_observation checks, for a visit not yet saved."""
        on = observation.observed_on
        if not on or not visit.start_date:
            return
        if on > self.today:
            report.error("observed_on", _("An observation cannot be dated in the future."))
        elif not (visit.start_date <= on <= (visit.end_date or visit.start_date)):
            report.error(
                "observed_on",
                _("The observation date must fall within the visit (%(start)s – %(end)s).")
                % {"start": visit.start_date, "end": visit.end_date or visit.start_date},
            )

    def finish(self, preview):
        for group in self.visits.values():
            existing = group["existing"]
            if existing is None:
                continue
            visit = group["visit"]
            first = group["reports"][0]
            if group["changes"] and visit.start_date:
                outside = (
                    Observation.objects.filter(visit=existing)
                    .exclude(kehriz__in=group["kehriz_ids"])
                    .exclude(observed_on__range=(visit.start_date, visit.end_date or visit.start_date))
                    .select_related("kehriz")
                )
                for observation in outside:
                    first.error(
                        "visit_start_date, visit_end_date",
                        _("The visit’s observation of %(kehriz)s (%(date)s) would fall outside its dates.")
                        % {"kehriz": observation.kehriz.code, "date": observation.observed_on},
                    )
            if group["changes"] and self.user is not None and not roles.can_edit_everything(self.user):
                districts = set(
                    Observation.objects.filter(visit=existing).values_list("kehriz__district_id", flat=True)
                )
                if not districts <= roles.district_ids(self.user):
                    first.error(None, _("You may not change this visit: it covers other districts."))

    def write(self, preview):
        self.saved_visits = {}
        for key, group in self.visits.items():
            if not any(r.action in (NEW, UPDATE) for r in group["reports"]):
                continue
            visit = group["visit"]
            if group["existing"] is None or group["changes"]:
                try:
                    with transaction.atomic():
                        visit.full_clean(exclude=["recorded_by"])
                        visit.save()
                except (ValidationError, DatabaseError) as error:
                    messages = error.messages if isinstance(error, ValidationError) else [str(error)]
                    for message in messages:
                        group["reports"][0].error(None, message)
                    return
            self.saved_visits[key] = visit
        super().write(preview)
        if preview.ok:
            touched = {r.plan["observation"].kehriz_id for r in preview.rows if r.plan}
            services.refresh_current_state(touched)

    def write_row(self, report):
        observation = report.plan["observation"]
        observation.visit = self.saved_visits[report.plan["visit_key"]]
        observation.full_clean()
        observation.save()


class StatusHistoryImporter(Importer):
    """The past of kəhriz already recorded: dated statuses, placed among the events they have, in
    date order, each checked against the lifecycle (services.change_status, back-dated). A row
    whose kəhriz already has that status on that date is unchanged, so importing again adds
    nothing."""

    kind = "status_history"

    def prepare(self, table):
        codes = {row.values.get("kehriz_code", "") for row in table.rows} - {""}
        self.kehriz = _kehriz_by_code(codes, Kehriz.objects.select_related("district"))
        self.rows_of = {}  # kəhriz pk -> [(date, line, status, note, report)]
        self.today = timezone.localdate()

    def plan_row(self, cells, report):
        code = cells.text("kehriz_code")
        kehriz = (self.kehriz.get(code) or self.kehriz.get(code.upper())) if code else None
        status = cells.parse("status", parse_choice, Status)
        on_date = cells.parse("date", parse_date)
        report.key = " · ".join(p for p in (code, cells.text("status"), cells.text("date")) if p)
        if code and kehriz is None:
            report.error(
                "kehriz_code", _("Unknown kəhriz code “%(code)s”: import the kəhriz first.") % {"code": code}
            )
        if on_date not in (None, INVALID) and on_date > self.today:
            report.error("date", _("The date of a status change cannot be in the future."))
        if kehriz is None or status in (None, INVALID) or on_date in (None, INVALID) or report.errors:
            return
        report.plan = {"kehriz": kehriz, "status": status, "date": on_date, "note": cells.text("note")}
        self.rows_of.setdefault(kehriz.pk, []).append(report)

    def _record(self, report):
        plan = report.plan
        services.change_status(
            kehriz=plan["kehriz"],
            to_status=plan["status"],
            on_date=plan["date"],
            user=self.user,
            note=plan["note"],
            backdated=True,
        )

    def _in_date_order(self):
        for reports in self.rows_of.values():
            yield sorted(reports, key=lambda r: (r.plan["date"], r.line))

    def finish(self, preview):
        """Try each kəhriz's rows in date order, then roll back: what writing would find."""
        for reports in self._in_date_order():
            with transaction.atomic():
                for report in reports:
                    plan = report.plan
                    if StatusEvent.objects.filter(
                        kehriz=plan["kehriz"], to_status=plan["status"], changed_on=plan["date"]
                    ).exists():
                        report.action = UNCHANGED
                        continue
                    report.action = NEW
                    try:
                        with transaction.atomic():
                            self._record(report)
                    except ValidationError as error:
                        for column, messages in error.message_dict.items():
                            for message in messages:
                                report.error({"to_status": "status", "on_date": "date"}.get(column), message)
                transaction.set_rollback(True)

    def write(self, preview):
        for reports in self._in_date_order():
            for report in reports:
                if report.action != NEW:
                    continue
                try:
                    with transaction.atomic():
                        self._record(report)
                except ValidationError as error:
                    for message in error.messages:
                        report.error(None, message)
                    return


IMPORTERS = {
    "villages": VillageImporter,
    "kehriz": KehrizImporter,
    "observations": ObservationImporter,
    "status_history": StatusHistoryImporter,
}


def importer_for(kind, user=None):
    return IMPORTERS[kind](user=user)


# --- Templates ------------------------------------------------------------------------------------------


def template_csv(kind):
    """The header row, as exports write it (UTF-8 with BOM, so that Excel shows ə, ğ, ş)."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    csv.writer(buffer, lineterminator="\r\n").writerow(names(COLUMNS[kind]))
    return buffer.getvalue().encode("utf-8")


def column_help(kind):
    """(column, required, ignored on import, help) for each column of a kind."""
    return [(c.name, c.required, c.export_only, str(c.help)) for c in COLUMNS[kind]]


def rules():
    return [
        _("One file per kind of record. Import the villages first, then the kəhriz, then the observations."),
        _(
            "The first row names the columns, as in this template. Columns may be left out: a missing "
            "column leaves that value unchanged; an empty cell clears it."
        ),
        _(
            "Keys: a village is its district and name; a kəhriz is its code; an observation is its "
            "visit (visit_uuid, or the visit title and start date) and the kəhriz code. Importing a row "
            "again updates the record rather than adding a second one; an identical row changes nothing."
        ),
        _(
            "All or nothing: the import is previewed first, and when any row has a problem nothing "
            "is written."
        ),
        _(
            "An import never deletes: records that are not in the file are left as they are. A "
            "village keeps the name it has (the name is its key): rename villages in the admin."
        ),
        _("Names may be typed without Azerbaijani letters: Cabrayil, Qaradagli and QARADAĞLI all work."),
        _("yes/no columns: yes or no (also true/false, 1/0, bəli/xeyr). Empty: no (is_published: yes)."),
        _("Dates: YYYY-MM-DD, e.g. 2024-03-13."),
        _(
            "Numbers: a decimal point (9.5, not 9,5), no thousands separators. Positions in decimal "
            "degrees (WGS 84), longitude then latitude."
        ),
        _(
            "A position more than 2 km outside its district is refused (longitude and latitude may be "
            "swapped); just outside it, the kəhriz is marked for review."
        ),
        _(
            "Restoration status: an import may only move a kəhriz to the next step of the lifecycle "
            "(identified → assessed → planned → under_restoration → restored → handed_over); "
            "corrections are made in the admin, with a reason."
        ),
        _(
            "Status history (status_history): one row per dated status of a kəhriz already imported. "
            "The rows are placed in date order among the statuses it has, each must follow the "
            "lifecycle, and a status already recorded on that date is left as it is. Data managers only."
        ),
        _("Columns computed by the app (marked “ignored on import”) are in exports only and are ignored."),
        _(
            "CSV files: UTF-8 (Excel: “CSV UTF-8”), separated by commas or semicolons. XLSX files: the "
            "sheet named like the kind (kehriz, villages, observations), else the first sheet."
        ),
    ]


def template_xlsx(kind):
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = kind
    sheet.append(names(COLUMNS[kind]))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index, column in enumerate(COLUMNS[kind], 1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = max(12, len(column.name) + 2)
    sheet.freeze_panes = "A2"
    help_sheet = workbook.create_sheet("help")
    help_sheet.append([_("column"), _("required"), _("on import"), _("what to write")])
    for cell in help_sheet[1]:
        cell.font = Font(bold=True)
    for name, required, export_only, text in column_help(kind):
        help_sheet.append(
            [name, _("yes") if required else "", _("ignored on import") if export_only else "", text]
        )
    help_sheet.append([])
    help_sheet.append([_("Rules")])
    help_sheet.cell(row=help_sheet.max_row, column=1).font = Font(bold=True)
    for rule in rules():
        help_sheet.append([rule])
    help_sheet.column_dimensions["A"].width = 28
    help_sheet.column_dimensions["D"].width = 90
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def readme():
    """docs/import-templates/README.md, from the columns' help texts."""
    lines = [
        "# Import templates",
        "",
        "Spreadsheet templates for importing records in the admin (Villages, Kəhriz and Observations "
        "lists: *Import from spreadsheet*). Each template has exactly the columns of the exports, so a "
        "file exported from the app can be corrected and imported again.",
        "",
        "Generated by `python manage.py import_templates` from `projects/tabular.py`: do not edit by hand.",
        "",
        "| file | records |",
        "| --- | --- |",
        "| `villages.csv`, `villages.xlsx` | villages |",
        "| `kehriz.csv`, `kehriz.xlsx` | kəhriz |",
        "| `observations.csv`, `observations.xlsx` | observations made on monitoring visits |",
        "| `status_history.csv`, `status_history.xlsx` | the dated statuses of kəhriz already "
        "recorded (recording the past) |",
        "",
        "The CSV files hold the header row only; the XLSX files have a second sheet, `help`, describing "
        "each column.",
        "",
        "## Rules",
        "",
        *[f"- {rule}" for rule in rules()],
        "",
        "## Who may import",
        "",
        "Importing needs the permission to add and change the records: data managers import "
        "villages, kəhriz and observations; field officers import observations, of kəhriz in "
        "their own districts only (checked row by row). Anyone who may see a list may download "
        "its empty template.",
        "",
        "## What the templates do not carry",
        "",
        "- the status history in the kəhriz template: a new kəhriz gets one status event, its current "
        "status dated `status_changed_on` (today when empty); later imports add an event only when "
        "the status moves to the next step. Its earlier statuses go in the `status_history` "
        "template (Status changes list: *Import from spreadsheet*, data managers only);",
        "- a visit's purpose, participants, source and approximate-dates flag (set them in the "
        "admin); an imported visit gets the title, dates and organisations of its rows;",
        "- people met, follow-up actions, photos, observers' positions and restoration works;",
        "- `functionality`, `last_visit_on` and `last_discharge_lps` of a kəhriz, which the app "
        "computes from the observations.",
        "",
    ]
    titles = {
        "villages": "Villages",
        "kehriz": "Kəhriz",
        "observations": "Observations",
        "status_history": "Status history",
    }
    for kind in ("villages", "kehriz", "observations", "status_history"):
        lines += [
            f"## {titles[kind]} (`{kind}.csv`)",
            "",
            "| column | required | description |",
            "| --- | --- | --- |",
        ]
        for name, required, export_only, text in column_help(kind):
            note = " *(export only: ignored on import)*" if export_only else ""
            lines.append(f"| `{name}` | {'yes' if required else ''} | {text.replace('|', '/')}{note} |")
        lines.append("")
    return "\n".join(lines)
