"""A synthetic dataset of any size, for demos and benchmarks.

Every row it makes is marked ``is_synthetic`` (kəhriz, villages, visits) and carries the code
prefix DEMO-, so it can never be mistaken for or mixed into the programme's real records, and
``--clear`` removes exactly those rows. Codes and visit identifiers are deterministic, so running
it again creates no duplicates."""

import random
import uuid
import zlib
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.gis.geos import LineString, Point
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from projects import services
from projects.models import (
    District,
    Functionality,
    Kehriz,
    MonitoringVisit,
    Observation,
    Status,
    StatusEvent,
    Village,
)
from projects.models.monitoring import DischargeMethod
from projects.text import search_key

PREFIX = "DEMO-"
NAMESPACE = uuid.UUID("0b6e9900-4b3e-4d7c-9a7e-6b5a4e2d1c00")
KEHRIZ_PER_VILLAGE = 5
KEHRIZ_PER_VISIT = 25
BATCH = 2000
NAMES = ["Bulaq", "Çeşmə", "Göz", "Qala", "Ağbulaq", "Şirin", "Dərə", "Yuxarı", "Aşağı", "Kəhriz"]


class Command(BaseCommand):
    help = _(
        "Generate a synthetic, clearly marked dataset of N kəhriz inside the programme districts, "
        "with status histories and monitoring visits; --clear removes it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--kehriz", type=int, default=0, help=_("how many synthetic kəhriz"))
        parser.add_argument("--visits", type=int, default=10, help=_("visits per kəhriz"))
        parser.add_argument("--seed", type=int, default=2026, help=_("random seed"))
        parser.add_argument("--clear", action="store_true", help=_("remove all synthetic data"))

    def handle(self, *args, kehriz, visits, seed, clear, **options):
        if kehriz < 0 or visits < 0:
            raise CommandError(_("--kehriz and --visits cannot be negative."))
        if clear:
            self.clear()
        if kehriz == 0:
            if not clear:
                raise CommandError(_("Say how many kəhriz to generate (--kehriz N), or --clear."))
            return
        if not District.objects.programme().exists():
            call_command("load_districts", verbosity=0)
        with transaction.atomic():
            made = self.generate(kehriz, visits, random.Random(seed))
        self.stdout.write(
            self.style.SUCCESS(
                _("Synthetic demo data: %(new)d kəhriz added, %(total)d in all.")
                % {"new": made, "total": Kehriz.objects.filter(is_synthetic=True).count()}
            )
        )

    @transaction.atomic
    def clear(self):
        """Remove the synthetic rows and what hangs on them alone (their status histories,
        observations, and any works, follow-ups or photos added to those), refusing, with nothing
        deleted, while a real record depends on a synthetic one."""
        synthetic = Kehriz.objects.filter(is_synthetic=True)
        self.refuse_if_real_records_depend_on_synthetic()
        Observation.objects.filter(kehriz__in=synthetic).delete()
        MonitoringVisit.objects.filter(is_synthetic=True).delete()
        count, _detail = synthetic.delete()
        Village.objects.filter(is_synthetic=True).delete()
        self.stdout.write(_("Synthetic demo data removed."))
        return count

    def refuse_if_real_records_depend_on_synthetic(self):
        synthetic = Kehriz.objects.filter(is_synthetic=True)
        synthetic_visits = MonitoringVisit.objects.filter(is_synthetic=True)
        in_synthetic_villages = Kehriz.objects.filter(
            is_synthetic=False, village__in=Village.objects.filter(is_synthetic=True)
        ).count()
        real_on_synthetic_visits = (
            Observation.objects.filter(visit__in=synthetic_visits).exclude(kehriz__in=synthetic).count()
        )
        synthetic_on_real_visits = (
            Observation.objects.filter(kehriz__in=synthetic).exclude(visit__in=synthetic_visits).count()
        )
        details = []
        if in_synthetic_villages:
            details.append(
                ngettext(
                    "%(count)d real kəhriz lies in a synthetic village",
                    "%(count)d real kəhriz lie in synthetic villages",
                    in_synthetic_villages,
                )
                % {"count": in_synthetic_villages}
            )
        if real_on_synthetic_visits:
            details.append(
                ngettext(
                    "%(count)d observation of a real kəhriz is recorded on a synthetic visit",
                    "%(count)d observations of real kəhriz are recorded on synthetic visits",
                    real_on_synthetic_visits,
                )
                % {"count": real_on_synthetic_visits}
            )
        if synthetic_on_real_visits:
            details.append(
                ngettext(
                    "%(count)d observation of a synthetic kəhriz is recorded on a real visit",
                    "%(count)d observations of synthetic kəhriz are recorded on real visits",
                    synthetic_on_real_visits,
                )
                % {"count": synthetic_on_real_visits}
            )
        if details:
            raise CommandError(
                _(
                    "Nothing was removed: real records depend on synthetic ones (%(details)s). "
                    "Move or delete them first, then run --clear again."
                )
                % {"details": "; ".join(details)}
            )

    def generate(self, total, visits_each, rng):
        districts = list(District.objects.programme())
        existing = set(
            Kehriz.objects.filter(is_synthetic=True, code__startswith=PREFIX).values_list("code", flat=True)
        )
        codes = [f"{PREFIX}{n:06d}" for n in range(1, total + 1)]
        missing = [(n, code) for n, code in enumerate(codes, start=1) if code not in existing]
        if not missing:
            return 0
        prepared = {d.pk: (d, d.boundary.prepared, d.boundary.extent) for d in districts}
        villages = self.villages(total, districts, prepared, rng)
        today = date.today()
        new_kehriz, events = [], []
        for n, code in missing:
            village = villages[(n - 1) // KEHRIZ_PER_VILLAGE]
            district, geom, _extent = prepared[village.district_id]
            outlet = self.point_near(village.location, geom, rng, 0.02)
            well = Point(outlet.x + rng.uniform(-0.01, 0.01), outlet.y + rng.uniform(0.004, 0.012), srid=4326)
            route = LineString([well, outlet], srid=4326)
            status_index = rng.choices(range(6), weights=[1, 1, 1, 2, 3, 4])[0]
            households = rng.randint(10, 400)
            members = rng.randint(3, 12)
            name = f"{rng.choice(NAMES)} {n}"
            start = today - timedelta(days=365 * 3)
            k = Kehriz(
                code=code,
                name=name,
                village=village,
                district=district,
                outlet=outlet,
                mother_well=well,
                route=route,
                gallery_length_m=services.gallery_length_from_route(route),
                shaft_count=rng.randint(5, 60),
                mother_well_depth_m=Decimal(rng.randint(50, 400)) / 10,
                use_drinking=rng.random() < 0.8,
                use_irrigation=rng.random() < 0.9,
                use_livestock=rng.random() < 0.4,
                households_served=households,
                people_served=households * rng.randint(3, 6),
                idp_households_served=rng.randint(0, households),
                irrigated_area_ha=Decimal(rng.randint(0, 800)) / 10,
                committee_name=f"{name} su istifadəçiləri komitəsi",
                committee_members=members,
                committee_women=rng.randint(0, members),
                committee_chair_is_woman=rng.random() < 0.25,
                status=Status.values[status_index],
                status_changed_on=start + timedelta(days=150 * status_index),
                distance_outside_district_m=0,
                is_synthetic=True,
                source="generate_demo_data (synthetic)",
            )
            k.search_text = search_key(k.name, k.code)
            new_kehriz.append(k)
        Kehriz.objects.bulk_create(new_kehriz, batch_size=BATCH)
        created = {
            k.code: k
            for k in Kehriz.objects.filter(code__in=[c for _n, c in missing]).only("id", "code", "status")
        }
        for k in created.values():
            start = today - timedelta(days=365 * 3)
            previous = ""
            for step in range(Status.order(k.status) + 1):
                events.append(
                    StatusEvent(
                        kehriz_id=k.id,
                        from_status=previous,
                        to_status=Status.values[step],
                        changed_on=start + timedelta(days=150 * step),
                        note="synthetic",
                    )
                )
                previous = Status.values[step]
        StatusEvent.objects.bulk_create(events, batch_size=BATCH)
        self.visits([created[c] for _n, c in missing], visits_each, rng, today)
        services.refresh_current_state(Kehriz.objects.filter(is_synthetic=True).values_list("pk", flat=True))
        return len(missing)

    def villages(self, total, districts, prepared, rng):
        needed = (total + KEHRIZ_PER_VILLAGE - 1) // KEHRIZ_PER_VILLAGE
        existing = {v.name: v for v in Village.objects.filter(is_synthetic=True).select_related("district")}
        new = []
        for n in range(1, needed + 1):
            name = f"Demo kənd {n}"
            if name in existing:
                continue
            district = districts[(n - 1) % len(districts)]
            _district, geom, extent = prepared[district.pk]
            location = self.random_point(geom, extent, rng)
            village = Village(
                name=name,
                district=district,
                location=location,
                is_synthetic=True,
                is_idp_settlement=rng.random() < 0.3,
                location_source="generate_demo_data (synthetic)",
            )
            village.search_text = search_key(name)
            new.append(village)
        Village.objects.bulk_create(new, batch_size=BATCH)
        by_name = {v.name: v for v in Village.objects.filter(is_synthetic=True)}
        return [by_name[f"Demo kənd {n}"] for n in range(1, needed + 1)]

    def random_point(self, geom, extent, rng):
        xmin, ymin, xmax, ymax = extent
        while True:
            point = Point(rng.uniform(xmin, xmax), rng.uniform(ymin, ymax), srid=4326)
            if geom.contains(point):
                return point

    def point_near(self, centre, geom, rng, spread):
        for _attempt in range(50):
            point = Point(
                centre.x + rng.uniform(-spread, spread), centre.y + rng.uniform(-spread, spread), srid=4326
            )
            if geom.contains(point):
                return point
        return Point(centre.x, centre.y, srid=4326)

    def visits(self, kehrizes, visits_each, rng, today):
        """Each group of 25 kəhriz gets ``visits_each`` visits, a month apart, one observation of
        every kəhriz in the group per visit, with a seasonal discharge series."""
        if not visits_each:
            return
        observations = []
        for first in range(0, len(kehrizes), KEHRIZ_PER_VISIT):
            group = kehrizes[first : first + KEHRIZ_PER_VISIT]
            group_key = group[0].code
            new_visits = []
            for v in range(visits_each):
                visit_uuid = uuid.uuid5(NAMESPACE, f"{group_key}/{v}")
                start = today - timedelta(days=30 * (visits_each - v))
                new_visits.append(
                    MonitoringVisit(
                        uuid=visit_uuid,
                        title=f"Demo monitorinq {group_key} #{v + 1}",
                        start_date=start,
                        end_date=start + timedelta(days=1),
                        purpose="synthetic",
                        organisations="Demo",
                        is_synthetic=True,
                        search_text=search_key(f"Demo monitorinq {group_key}"),
                    )
                )
            MonitoringVisit.objects.bulk_create(new_visits, batch_size=BATCH, ignore_conflicts=True)
            stored = MonitoringVisit.objects.filter(uuid__in=[v.uuid for v in new_visits]).order_by(
                "start_date"
            )
            for visit in stored:
                season = (
                    1
                    + 0.4 * ((visit.start_date.month % 12) in (3, 4, 5))
                    - 0.3 * (visit.start_date.month in (7, 8, 9))
                )
                for k in group:
                    base = 2 + (zlib.crc32(k.code.encode()) % 15)
                    flow = round(max(0.0, base * season + rng.uniform(-1.5, 1.5)), 2)
                    if rng.random() < 0.02:
                        flow = 0.0
                    functionality = (
                        Functionality.COLLAPSED
                        if flow == 0.0 and rng.random() < 0.5
                        else Functionality.FUNCTIONAL
                        if flow >= 3
                        else Functionality.LOW_FLOW
                        if flow > 0.5
                        else Functionality.DRY
                    )
                    observations.append(
                        Observation(
                            visit_id=visit.id,
                            kehriz_id=k.id,
                            observed_on=visit.start_date,
                            functionality=functionality,
                            discharge_lps=Decimal(str(flow)),
                            discharge_method=DischargeMethod.BUCKET,
                        )
                    )
            if len(observations) >= BATCH * 5:
                Observation.objects.bulk_create(observations, batch_size=BATCH, ignore_conflicts=True)
                observations = []
        Observation.objects.bulk_create(observations, batch_size=BATCH, ignore_conflicts=True)
