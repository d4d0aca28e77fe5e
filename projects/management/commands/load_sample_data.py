"""The programme's real records, from the documents it published (see README, "Data sources").

Only what the sources say is stored; where a position, a date or a figure is approximate, the
record says so. The records are written in Azerbaijani, the language of the source. Running the
command again adds nothing; it only rewords what still has an earlier wording of this command
(``REWORDED``), never what people have edited since."""

import json
import uuid
from datetime import date
from pathlib import Path

from django.contrib.gis.geos import GEOSGeometry
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.translation import gettext as _

from projects import services
from projects.models import (
    District,
    Functionality,
    Indicator,
    Kehriz,
    MonitoringVisit,
    Observation,
    PersonMet,
    Project,
    ReportedFigure,
    Reports,
    ResultIndicator,
    ResultPeriod,
    Status,
    StatusEvent,
    Village,
)
from projects.models.monitoring import Role

PLACES = Path(__file__).resolve().parents[2] / "data" / "places.geojson"

OLD_NEWS_SOURCE = (
    'IOM Azerbaijan news item: "BMqT-nin Azərbaycan nümayəndəliyinin və KOICA-nın təmsilçiləri '
    'kəhrizlərin bərpası işləri ilə tanış olmaq üçün regiona səfər ediblər" (in Azerbaijani)'
)
NEWS_SOURCE = (
    'BMqT-nin Azərbaycan nümayəndəliyinin xəbəri: "BMqT-nin Azərbaycan nümayəndəliyinin və '
    'KOICA-nın təmsilçiləri kəhrizlərin bərpası işləri ilə tanış olmaq üçün regiona səfər ediblər"'
)
VISIT_UUID = uuid.UUID("5d0c5f2e-7a3b-5c1e-9f4a-13140e1a2024")
# The news item gives the days (13-14 March) but not the year; 2024 is assumed and marked.
VISIT_START, VISIT_END = date(2024, 3, 13), date(2024, 3, 14)

PROJECT = {
    "code": "iom-koica-kehriz",
    "name_az": (
        "Azərbaycanda kəhriz su sistemlərinin bərpası vasitəsilə məcburi köçkünlərin "
        "məskunlaşdığı ərazilərdə kənd yerlərinin kompleks inkişafı"
    ),
    "name_en": (
        "Integrated rural development in IDP-settled areas through restoration of kəhriz water "
        "systems in Azerbaijan"
    ),
    "donor": "KOICA (Koreya Beynəlxalq Əməkdaşlıq Agentliyi)",
    "implementing_agency": "BMqT (Beynəlxalq Miqrasiya Təşkilatı)",
    "description": (
        "Kənd yerlərində və məcburi köçkünlərin məskunlaşdığı icmalarda ev təsərrüfatları və "
        "suvarma üçün enerji tələb etməyən su təchizatı: məqsəd kənd təsərrüfatının məhsuldarlığını "
        "və dolanışığı artırmaq, insanların iqtisadi səbəblərdən köç etməyə məcbur qalmamasıdır. "
        "Gender bərabərliyinə, idarəetməyə və ətraf mühitin davamlılığına diqqət yetirilir, "
        "icmanın özünün idarə etdiyi yanaşma tətbiq olunur."
    ),
    "description_en": (
        "Energy-free water supply for households and irrigation in rural and IDP-settled "
        "communities: the aim is higher farm productivity and livelihoods, so that people are not "
        "forced to migrate for economic reasons. Attention is given to gender equality, governance "
        "and environmental sustainability, with a community-managed approach."
    ),
    "source": NEWS_SOURCE,
}

HOROVLU_SOURCE = (
    "Vikipediya, «Horovlu» məqaləsi (39°24′00″ şm. e., 47°05′41″ ş. u.): təxminidir, yoxlanılmayıb"
)
QARADAGLI_SOURCE = "Açıq mənbədə mövqeyi tapılmayıb (bu adda bir neçə kənd var): yeri məlum deyil"
VILLAGE_NOTE = "Horovlu kəndinin mövqeyi (Vikipediya), çıxışın özünün yeri deyil: təxminidir"
KARVANSARA_NOTE = (
    "Müvəqqəti: Goranboy şəhəri (rayon mərkəzi). Qaradağlı kəndinin mövqeyi məlum deyil; "
    "ölçülmüş çıxış yeri ilə əvəz edin"
)
KEHRIZ_NOTES = "13–14 mart monitorinq səfəri zamanı bərpa işləri davam edirdi."
# The source gives the days of the visit, not the year: the status event says its date is approximate.
STATUS_NOTE = (
    "Təxmini tarix: bərpa işləri 13–14 mart monitorinq səfərində görülüb; il mənbədə "
    "göstərilməyib (2024 güman edilir)."
)
VISIT = {
    "title": "BMqT və KOICA-nın Cəbrayıl və Goranboy rayonlarına monitorinq səfəri",
    "purpose": (
        "Layihənin icrasının monitorinqi: bərpa işləri ilə tanışlıq, mühəndislər və kankanlarla görüş."
    ),
    "organisations": "BMqT Azərbaycan, KOICA",
    "participants": "BMqT-nin Azərbaycan nümayəndəliyinin və KOICA-nın Azərbaycan ofisinin təmsilçiləri",
    "source": NEWS_SOURCE + "; il mənbədə göstərilməyib (2024 güman edilir)",
}
WORKS_PROGRESS = "Bərpa işləri davam edir."
FINDINGS = (
    "Səfər iştirakçıları bərpa işləri ilə tanış olub, mühəndislər və kankanlarla görüşüblər. "
    "Hansı kəhrizin iki günün hansında görüldüyü mənbədə göstərilməyib."
)

# Earlier wordings of this command (English), rewritten in Azerbaijani when a record still has them.
REWORDED = {
    OLD_NEWS_SOURCE: NEWS_SOURCE,
    "KOICA (Korea International Cooperation Agency)": PROJECT["donor"],
    "IOM (International Organization for Migration)": PROJECT["implementing_agency"],
    (
        "Energy-free water for households and irrigation in rural and IDP-settled communities, "
        "to raise farm productivity and livelihoods so that people are not forced into economic "
        "migration; with attention to gender, governance and environmental sustainability, and a "
        "community-managed approach."
    ): PROJECT["description"],
    "Wikipedia, article 'Horovlu' (39°24′00″N 47°05′41″E): approximate, not verified": HOROVLU_SOURCE,
    "No public position found (several villages share the name); location unknown": QARADAGLI_SOURCE,
    "Horovlu village position (Wikipedia), not the outlet: approximate": VILLAGE_NOTE,
    (
        "Placeholder: the town of Goranboy (district centre). Qaradağlı village's "
        "position is not known; replace with the surveyed outlet"
    ): KARVANSARA_NOTE,
    "Restoration works were under way at the 13–14 March monitoring visit.": KEHRIZ_NOTES,
    "Restoration works seen during the 13–14 March monitoring visit (year assumed).": STATUS_NOTE,
    "IOM and KOICA monitoring visit to Cəbrayıl and Goranboy": VISIT["title"],
    (
        "Monitoring the implementation of the project; seeing the restoration works "
        "and meeting the engineers and kankans."
    ): VISIT["purpose"],
    "IOM Azerbaijan, KOICA": VISIT["organisations"],
    "Representatives of IOM Azerbaijan and of KOICA's Azerbaijan office": VISIT["participants"],
    OLD_NEWS_SOURCE + "; the year is not stated in the source (2024 assumed)": VISIT["source"],
    "Restoration works under way.": WORKS_PROGRESS,
    (
        "The visitors saw the restoration works and met the engineers and kankans. "
        "Which kəhriz was seen on which of the two days is not stated."
    ): FINDINGS,
}


def reword(instance, *fields):
    """Rewrite the fields that still hold an earlier wording of this command; keep edits."""
    changed = [f for f in fields if getattr(instance, f) in REWORDED]
    for f in changed:
        setattr(instance, f, REWORDED[getattr(instance, f)])
    if changed:
        instance.save(update_fields=changed)


class Command(BaseCommand):
    help = _(
        "Load the programme's real records: the IOM/KOICA project, its districts and villages, the "
        "Əsgər, Orta and Karvansara kəhriz and the 13–14 March monitoring visit. Idempotent."
    )

    @transaction.atomic
    def handle(self, *args, **options):
        if not District.objects.programme().exists():
            call_command("load_districts", stdout=self.stdout)
        districts = {d.osm_id: d for d in District.objects.programme()}
        agdam, goranboy, qazax, cebrayil = (
            districts[3795445],
            districts[3795446],
            districts[3963560],
            districts[7861847],
        )
        places = self.read_places()

        project, _created = Project.objects.get_or_create(code=PROJECT["code"], defaults=PROJECT)
        reword(project, "donor", "implementing_agency", "description", "source")
        if not project.description_en:  # loaded before the English description existed
            project.description_en = PROJECT["description_en"]
            project.save(update_fields=["description_en"])
        project.districts.add(agdam, goranboy, qazax, cebrayil)
        figure, _created = ReportedFigure.objects.get_or_create(
            project=project,
            indicator=ReportedFigure.Indicator.RESTORED_HANDED_OVER,
            source__in=[NEWS_SOURCE, OLD_NEWS_SOURCE],
            defaults={
                "source": NEWS_SOURCE,
                "value": 26,
                "as_of": VISIT_END,
                "as_of_is_approximate": True,
                "source_quote": (
                    "Qeyd edək ki, adı çəkilən layihə çərçivəsində indiyədək Ağdam, Goranboy və "
                    "Qazax rayonları ərazisində yerləşən 26 kəhriz bərpa edilərək təhvil verilmişdir."
                ),
            },
        )
        reword(figure, "source")
        figure.districts.add(agdam, goranboy, qazax)
        self.results_framework(project)

        horovlu = self.village(
            "Horovlu",
            cebrayil,
            location=places.get("Horovlu"),
            approximate=True,
            source=HOROVLU_SOURCE,
        )
        qaradagli = self.village(
            "Qaradağlı",
            goranboy,
            location=None,
            approximate=True,
            source=QARADAGLI_SOURCE,
        )

        asger = self.kehriz(
            code="CAB-HOR-ESGER",
            name="Əsgər",
            village=horovlu,
            outlet=horovlu.location,
            location_source=VILLAGE_NOTE,
        )
        orta = self.kehriz(
            code="CAB-HOR-ORTA",
            name="Orta",
            village=horovlu,
            outlet=horovlu.location,
            location_source=VILLAGE_NOTE,
        )
        karvansara = self.kehriz(
            code="GOR-QRD-KARVANSARA",
            name="Karvansara",
            village=qaradagli,
            outlet=places.get("Goranboy"),
            location_source=KARVANSARA_NOTE,
        )
        for kehriz in (asger, orta, karvansara):
            kehriz.projects.add(project)

        self.visit(cebrayil_kehriz=[asger, orta], goranboy_kehriz=[karvansara])
        services.refresh_current_state([asger.pk, orta.pk, karvansara.pk])
        self.stdout.write(
            self.style.SUCCESS(
                _("Programme records: %(kehriz)d kəhriz, %(visits)d visit, %(figures)d reported figure.")
                % {
                    "kehriz": Kehriz.objects.real().count(),
                    "visits": MonitoringVisit.objects.filter(uuid=VISIT_UUID).count(),
                    "figures": ReportedFigure.objects.filter(project=project).count(),
                }
            )
        )

    def results_framework(self, project):
        """The sample's indicator: the one figure the programme published (26 kəhriz restored and
        handed over), reported rather than counted (three kəhriz are on record). No target was
        published, so its period has none: the page shows the actuals without inventing one."""
        indicator, _created = ResultIndicator.objects.get_or_create(
            project=project,
            indicator=Indicator.RESTORED_HANDED_OVER,
            defaults={
                "title_az": "Bərpa edilərək təhvil verilmiş kəhrizlər",
                "title_en": "Kəhriz restored and handed over",
                "reports": Reports.REPORTED,
            },
        )
        ResultPeriod.objects.get_or_create(
            indicator=indicator,
            start=date(VISIT_END.year, 1, 1),
            defaults={
                "end": date(VISIT_END.year, 12, 31),
                "target_comment": "Hədəf dərc olunmayıb; dövr nümunə üçün seçilib.",
            },
        )

    def read_places(self):
        data = json.loads(PLACES.read_text(encoding="utf-8"))
        return {
            f["properties"]["name_az"]: GEOSGeometry(json.dumps(f["geometry"]), srid=4326)
            for f in data["features"]
        }

    def village(self, name, district, *, location, approximate, source):
        village = Village.objects.filter(district=district, name=name).first()
        if village is None:
            village = Village(
                name=name,
                district=district,
                location=location,
                location_is_approximate=approximate,
                location_source=source,
            )
            village.full_clean()
            village.save()
        reword(village, "location_source")
        return village

    def kehriz(self, *, code, name, village, outlet, location_source):
        existing = Kehriz.objects.filter(code=code).first()
        if existing:
            reword(existing, "location_source", "source", "notes")
            first = existing.status_events.filter(from_status="", note__in=list(REWORDED)).first()
            if first:
                # The wording of the seeded note only (it now says the date is approximate); the
                # event's status and date are never changed.
                StatusEvent.objects.filter(pk=first.pk).update(note=REWORDED[first.note])
            return existing
        return services.create_kehriz(
            code=code,
            name=name,
            village=village,
            district=village.district,
            outlet=outlet,
            location_is_approximate=True,
            location_source=location_source,
            use_drinking=True,
            use_irrigation=True,
            status=Status.UNDER_RESTORATION,
            status_changed_on=VISIT_START,
            source=NEWS_SOURCE,
            notes=KEHRIZ_NOTES,
            status_on=VISIT_START,
            status_note=STATUS_NOTE,
        )

    def visit(self, *, cebrayil_kehriz, goranboy_kehriz):
        visit, created = MonitoringVisit.objects.get_or_create(
            uuid=VISIT_UUID,
            defaults={
                **VISIT,
                "start_date": VISIT_START,
                "end_date": VISIT_END,
                "dates_are_approximate": True,
            },
        )
        if not created:
            reword(visit, *VISIT)
            for observation in visit.observations.all():
                reword(observation, "works_progress", "findings")
            return visit
        for on_date, kehrizes in ((VISIT_START, cebrayil_kehriz), (VISIT_END, goranboy_kehriz)):
            for kehriz in kehrizes:
                observation = Observation(
                    visit=visit,
                    kehriz=kehriz,
                    observed_on=on_date,
                    functionality=Functionality.UNKNOWN,
                    works_progress=WORKS_PROGRESS,
                    findings=FINDINGS,
                )
                observation.full_clean()
                observation.save()
                PersonMet.objects.bulk_create(
                    [
                        PersonMet(observation=observation, role=Role.ENGINEER),
                        PersonMet(observation=observation, role=Role.KANKAN),
                    ]
                )
        return visit
