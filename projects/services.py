"""Workflows that change more than one row, each in one transaction, and the geometry rules they
share. Views, the admin and commands call these rather than writing the rows themselves."""

import math
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Now
from django.utils import timezone
from django.utils.translation import gettext as _

from projects.models import (
    District,
    Functionality,
    Kehriz,
    Observation,
    Status,
    StatusEvent,
)

# --- Geometry ---------------------------------------------------------------------------------


def check_coordinates(geometry, field=None):
    """Refuse a geometry that is empty or has a longitude outside ±180 or a latitude outside ±90
    (or not a number): no projection can place it, and GDAL fails on it."""
    message = None
    if geometry.empty:
        message = _("The geometry has no coordinates.")
    else:
        xmin, ymin, xmax, ymax = geometry.extent
        if not all(math.isfinite(v) for v in (xmin, ymin, xmax, ymax)) or not (
            -180 <= xmin <= xmax <= 180 and -90 <= ymin <= ymax <= 90
        ):
            message = _(
                "Longitude must be within ±180 and latitude within ±90 degrees (longitude comes "
                "first, then latitude)."
            )
    if message:
        raise ValidationError({field: message} if field else message)


def utm_srid(point):
    """The WGS 84 / UTM zone of a point: metres with negligible distortion over a rayon."""
    zone = int((point.x + 180) // 6) + 1
    return (32600 if point.y >= 0 else 32700) + zone


def _metric(geometry, srid):
    return geometry.transform(srid, clone=True)


def length_m(line):
    srid = utm_srid(line.centroid)
    return _metric(line, srid).length


def distance_m(a, b):
    """Shortest distance in metres between two geometries in EPSG:4326 (0 when they touch)."""
    srid = utm_srid(a.centroid)
    return _metric(a, srid).distance(_metric(b, srid))


def gallery_length_from_route(route):
    return Decimal(str(round(length_m(route), 1)))


# Districts whose boundary comes within this many degrees of a point are measured exactly
# (0.05° is about 4 km east-west and 5.5 km north-south at Azerbaijan's latitude).
_NEAR_DEGREES = 0.05


def locate_district(point):
    """The district containing ``point``, else the nearest one within the tolerance.

    Returns ``(district, metres_outside)``, or ``(None, None)`` when no district is near."""
    inside = District.objects.filter(boundary__intersects=point).order_by("-is_programme").first()
    if inside:
        return inside, 0
    near = District.objects.filter(boundary__intersects=point.buffer(_NEAR_DEGREES))
    measured = sorted(((distance_m(point, d.boundary), d) for d in near), key=lambda pair: pair[0])
    if measured and measured[0][0] <= settings.DISTRICT_TOLERANCE_M:
        return measured[0][1], round(measured[0][0])
    return None, None


def metres_outside(point, district):
    if district.boundary is None or district.boundary.intersects(point):
        return 0
    return round(distance_m(point, district.boundary))


def check_point_in_district(point, district, *, field):
    """Refuse a point clearly outside ``district``; return how far outside it is (0: inside)."""
    check_coordinates(point, field)
    outside = metres_outside(point, district)
    if outside > settings.DISTRICT_TOLERANCE_M:
        found, _distance = locate_district(point)
        where = (
            _("It lies in %(found)s.") % {"found": found}
            if found
            else _("It lies outside every known district.")
        )
        raise ValidationError(
            {
                field: _(
                    "This location is %(km)s km outside %(district)s. %(where)s "
                    "Check the coordinates (longitude and latitude may be swapped) or choose "
                    "the right district."
                )
                % {"km": f"{outside / 1000:.1f}", "district": district, "where": where}
            }
        )
    return outside


def validate_kehriz_location(kehriz):
    """Derive the district when it is not given, and check the outlet lies in it."""
    if kehriz.village_id and kehriz.district_id and kehriz.village.district_id != kehriz.district_id:
        raise ValidationError(
            {
                "village": _("%(village)s is not in %(district)s.")
                % {"village": kehriz.village, "district": kehriz.district}
            }
        )
    for field in ("outlet", "mother_well", "route"):
        if getattr(kehriz, field) is not None:
            check_coordinates(getattr(kehriz, field), field)
    if not kehriz.district_id and kehriz.village_id:
        kehriz.district = kehriz.village.district
    if kehriz.outlet is None:
        if not kehriz.district_id:
            raise ValidationError({"district": _("Give the district, the village or the outlet's location.")})
        kehriz.distance_outside_district_m = None
        kehriz.location_needs_review = False
        return
    if kehriz.district_id:
        outside = check_point_in_district(kehriz.outlet, kehriz.district, field="outlet")
    else:
        district, outside = locate_district(kehriz.outlet)
        if district is None:
            raise ValidationError(
                {
                    "outlet": _(
                        "This location is outside every known district of Azerbaijan. Check the "
                        "coordinates: longitude comes first, then latitude."
                    )
                }
            )
        kehriz.district = district
    kehriz.distance_outside_district_m = outside
    kehriz.location_needs_review = outside > 0


# --- Restoration status ------------------------------------------------------------------------


def next_status(current):
    """The lifecycle's step after ``current`` (None after handed over)."""
    position = Status.order(current) + 1
    return Status.values[position] if position < len(Status.values) else None


def _refuse(message, field="to_status"):
    raise ValidationError({field: message})


def _ordered(events):
    return events.order_by("changed_on", "created_at", "id")


def status_since(kehriz):
    """The latest-dated event's status, and since when: the date of the first event of the last
    run of events ending at that status (a re-statement of the same status does not restart it)."""
    current, since = None, None
    for event in _ordered(kehriz.status_events.all()).reverse():
        if current is None:
            current, since = event.to_status, event.changed_on
        elif event.to_status == current:
            since = event.changed_on
        else:
            break
    return current, since


def _check_step(before, to_status, correction):
    """``before`` → ``to_status`` must be the lifecycle's next step, unless it is a correction."""
    if to_status == before:
        _refuse(_("The kəhriz is already %(status)s.") % {"status": Status(before).label})
    if correction or not before:
        return
    if Status.order(to_status) != Status.order(before) + 1:
        expected = next_status(before)
        message = _("A kəhriz cannot go from %(current)s to %(target)s directly.") % {
            "current": Status(before).label,
            "target": Status(to_status).label,
        }
        if expected:
            message += " " + _("The next step is %(next)s.") % {"next": Status(expected).label}
        message += " " + _("To put a mistake right, record it as a correction with a reason.")
        _refuse(message)


def _check_fits_before(following, to_status, correction):
    """A back-dated event must lead to the event recorded after it: to the status that event
    changed from, or, before a first record (the status when first recorded, with nothing known
    before it), to the same status or an earlier step of the lifecycle."""
    if correction:
        return
    if following.from_status:
        fits = following.from_status == to_status
    else:
        fits = Status.order(to_status) <= Status.order(following.to_status)
    if not fits:
        _refuse(
            _(
                "On %(date)s the history already records %(later)s, which cannot follow %(target)s. "
                "To put a mistake right, record it as a correction with a reason."
            )
            % {
                "date": following.changed_on.isoformat(),
                "later": Status(following.to_status).label,
                "target": Status(to_status).label,
            }
        )


@transaction.atomic
def change_status(*, kehriz, to_status, on_date=None, user=None, note="", correction=False, backdated=False):
    """Move a kəhriz to ``to_status`` and record the dated event.

    Only the next step of the lifecycle is allowed; any other change (a skip, a step back) must be
    recorded as a correction with a reason. Events are never edited.

    A ``backdated`` entry (recording the past, by a data manager) may be dated before the last
    recorded change: it is placed in date order, changes from the status the kəhriz had on that
    date, and must fit the lifecycle on both sides; the kəhriz's current status stays that of the
    latest-dated event."""
    on_date = on_date or timezone.localdate()
    locked = Kehriz.objects.select_for_update().get(pk=kehriz.pk)
    if to_status not in Status.values:
        _refuse(_("Unknown restoration status: %(status)s.") % {"status": to_status})
    if on_date > timezone.localdate():
        _refuse(_("The date of a status change cannot be in the future."), "on_date")
    note = (note or "").strip()
    if correction and not note:
        _refuse(_("Say why this correction is made."), "note")
    events = _ordered(locked.status_events.all())
    last = events.last()
    following = None
    if last and on_date < last.changed_on:
        if not backdated:
            _refuse(
                _("This date is before the last recorded change (%(date)s).") % {"date": last.changed_on},
                "on_date",
            )
        following = events.filter(changed_on__gt=on_date).first()
        previous = events.filter(changed_on__lte=on_date).last()
        before = previous.to_status if previous else ""
    else:
        before = locked.status
    _check_step(before, to_status, correction)
    if following:
        _check_fits_before(following, to_status, correction)
    event = StatusEvent(
        kehriz=locked,
        from_status=before,
        to_status=to_status,
        changed_on=on_date,
        changed_by=user if user and user.is_authenticated else None,
        note=note,
        is_correction=correction,
    )
    event.full_clean()
    event.save()
    current, since = status_since(locked)
    Kehriz.objects.filter(pk=locked.pk).update(
        status=current, status_changed_on=since, updated_at=timezone.now()
    )
    kehriz.status, kehriz.status_changed_on = current, since
    return event


def record_initial_status(*, kehriz, user=None, on_date=None, note=""):
    """The first event of a kəhriz's history: the status it had when it was recorded."""
    on_date = on_date or kehriz.status_changed_on or timezone.localdate()
    if on_date > timezone.localdate():
        raise ValidationError(
            {"status_changed_on": _("The date of the current status cannot be in the future.")}
        )
    event = StatusEvent.objects.create(
        kehriz=kehriz,
        from_status="",
        to_status=kehriz.status,
        changed_on=on_date,
        changed_by=user if user and user.is_authenticated else None,
        note=note or _("Status when first recorded."),
    )
    if kehriz.status_changed_on != on_date:
        Kehriz.objects.filter(pk=kehriz.pk).update(status_changed_on=on_date, updated_at=timezone.now())
        kehriz.status_changed_on = on_date
    return event


@transaction.atomic
def create_kehriz(*, user=None, status_on=None, status_note="", projects=(), **fields):
    """Validate and save a new kəhriz with the first event of its status history."""
    kehriz = Kehriz(**fields)
    kehriz.full_clean()
    kehriz.save()
    if projects:
        kehriz.projects.set(projects)
    record_initial_status(kehriz=kehriz, user=user, on_date=status_on, note=status_note)
    return kehriz


# --- Observations ------------------------------------------------------------------------------

# An observer this far from the outlet is flagged for review (it may be the wrong kəhriz).
OBSERVER_DISTANCE_FLAG_M = 1000


def validate_observation(observation):
    errors = {}
    # The visit may be unsaved yet (an observation added with its visit in the admin).
    visit_field = observation._meta.get_field("visit")
    visit = observation.visit if visit_field.is_cached(observation) or observation.visit_id else None
    if observation.observed_on:
        if observation.observed_on > timezone.localdate():
            errors["observed_on"] = _("An observation cannot be dated in the future.")
        elif visit and not (visit.start_date <= observation.observed_on <= visit.last_date):
            errors["observed_on"] = _(
                "The observation date must fall within the visit (%(start)s – %(end)s)."
            ) % {"start": visit.start_date, "end": visit.last_date}
    if observation.discharge_lps is not None and not observation.discharge_method:
        errors["discharge_method"] = _("Say how the discharge was measured.")
    if observation.observer_location is not None:
        try:
            check_coordinates(observation.observer_location)
        except ValidationError as error:
            errors["observer_location"] = error.messages
    if errors:
        raise ValidationError(errors)
    kehriz = observation.kehriz if observation.kehriz_id else None
    notes = []
    if observation.observer_location and kehriz and kehriz.outlet:
        away = distance_m(observation.observer_location, kehriz.outlet)
        if away > OBSERVER_DISTANCE_FLAG_M:
            notes.append(_("Recorded %(km)s km from the outlet.") % {"km": f"{away / 1000:.1f}"})
    if observation.discharge_lps is not None and kehriz:
        usual = unusual_discharge_above(kehriz, exclude=observation.pk)
        if observation.discharge_lps > usual:
            notes.append(
                _("A discharge of %(lps)s L/s is unusually high for this kəhriz (above %(usual)s L/s).")
                % {"lps": observation.discharge_lps, "usual": usual}
            )
    observation.needs_review = bool(notes)
    observation.review_note = " ".join(notes)[:255]


# No kəhriz in Azerbaijan is known to give more than about 70 L/s.
UNUSUAL_DISCHARGE_LPS = Decimal(100)
# A reading this many times the kəhriz's own highest so far is unusual too.
UNUSUAL_DISCHARGE_FACTOR = Decimal("1.5")


def unusual_discharge_above(kehriz, exclude=None):
    """The discharge above which a reading asks for confirmation on the phone and is flagged for
    review: 100 L/s, or 1.5 times the kəhriz's own highest reading when that is lower."""
    from django.db.models import Max

    history = Observation.objects.filter(kehriz=kehriz, discharge_lps__isnull=False)
    if exclude:
        history = history.exclude(pk=exclude)
    return unusual_discharge_limit(history.aggregate(highest=Max("discharge_lps"))["highest"])


def unusual_discharge_limit(highest):
    """The limit of ``unusual_discharge_above`` from a kəhriz's highest reading (None: none yet),
    for lists that fetch the highest readings of many kəhriz in one query."""
    if not highest:
        return UNUSUAL_DISCHARGE_LPS
    return min(UNUSUAL_DISCHARGE_LPS, (highest * UNUSUAL_DISCHARGE_FACTOR).quantize(Decimal("0.01")))


def refresh_current_state(kehriz_ids=None):
    """Set each kəhriz's current functionality, last visit and last discharge from its latest
    observations, in one UPDATE whatever the number of kəhriz (all of them when ids is None)."""
    targets = Kehriz.objects.all()
    if isinstance(kehriz_ids, QuerySet):
        targets = targets.filter(pk__in=kehriz_ids)
    elif kehriz_ids is not None:
        ids = list(kehriz_ids)
        if not ids:
            return 0
        targets = targets.filter(pk__in=ids)
    latest = Observation.objects.filter(kehriz=OuterRef("pk")).order_by("-observed_on", "-id")
    measured = latest.filter(discharge_lps__isnull=False)
    # The last visit's date is approximate when a visit with approximate dates observed the kəhriz
    # on that day (the day is the latest observation's; OuterRef(OuterRef) reaches the kəhriz).
    last_day = Observation.objects.filter(kehriz=OuterRef(OuterRef("pk"))).order_by("-observed_on")
    approximate = Observation.objects.filter(
        kehriz=OuterRef("pk"),
        visit__dates_are_approximate=True,
        observed_on=Subquery(last_day.values("observed_on")[:1]),
    )
    return targets.update(
        functionality=Coalesce(Subquery(latest.values("functionality")[:1]), Value(Functionality.UNKNOWN)),
        last_visit_on=Subquery(latest.values("observed_on")[:1]),
        last_visit_approximate=Exists(approximate),
        last_discharge_lps=Subquery(measured.values("discharge_lps")[:1]),
        # Touch the row so caches keyed on updated_at (the map layer's ETag) see the change.
        updated_at=Now(),
    )


def near(queryset, point, within_m):
    """Kəhriz whose outlet lies within ``within_m`` metres of ``point``, with their ``distance``."""
    from django.contrib.gis.db.models.functions import Distance
    from django.contrib.gis.measure import D

    return queryset.filter(outlet__distance_lte=(point, D(m=within_m))).annotate(
        distance=Distance("outlet", point)
    )
