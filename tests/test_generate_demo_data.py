"""generate_demo_data: a marked synthetic dataset inside the programme districts, idempotent, and
--clear removes exactly the synthetic rows, never a real one."""

import io

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from projects.models import (
    District,
    FollowUp,
    Kehriz,
    MonitoringVisit,
    Observation,
    Photo,
    RestorationWork,
    StatusEvent,
    Village,
)
from projects.models.kehriz import Status
from projects.services import metres_outside
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

N, VISITS = 12, 3


def generate(*args):
    call_command("generate_demo_data", *args, verbosity=0, stdout=io.StringIO())


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (Kehriz, Village, MonitoringVisit, Observation, StatusEvent, FollowUp, Photo)
    }


@pytest.fixture
def demo():
    generate("--kehriz", str(N), "--visits", str(VISITS))
    return Kehriz.objects.filter(is_synthetic=True)


@pytest.fixture
def real_records(goranboy, cebrayil):
    """Real records of every kind the synthetic data could touch."""
    village = factories.VillageFactory(name="Qaradağlı", district=goranboy)
    karvansara = factories.KehrizFactory(
        name="Karvansara", code="GOR-QRD-01", village=village, district=goranboy
    )
    asger = factories.KehrizFactory(name="Əsgər", code="CAB-HOR-01", district=cebrayil)
    factories.StatusEventFactory(kehriz=karvansara)
    factories.RestorationWorkFactory(kehriz=asger)
    observation = factories.ObservationFactory(kehriz=karvansara)
    factories.ObservationFactory(kehriz=asger, visit=observation.visit)
    factories.FollowUpFactory(observation=observation)
    return {"village": village, "kehriz": [karvansara, asger], "visit": observation.visit}


def test_it_creates_n_marked_kehriz(demo):
    assert demo.count() == N
    assert Kehriz.objects.count() == N
    assert all(code.startswith("DEMO-") for code in demo.values_list("code", flat=True))
    assert len(set(demo.values_list("code", flat=True))) == N
    villages = Village.objects.all()
    assert villages.exists()
    assert all(v.is_synthetic for v in villages)
    assert set(demo.values_list("village__is_synthetic", flat=True)) == {True}
    visits = MonitoringVisit.objects.all()
    assert visits.count() == VISITS  # 12 kəhriz make one group of visits
    assert all(v.is_synthetic for v in visits)


def test_every_outlet_lies_in_its_programme_district(demo):
    programme = set(District.objects.programme().values_list("pk", flat=True))
    assert len(programme) == 4
    for k in demo.select_related("district", "village"):
        assert k.district_id in programme
        assert k.village.district_id == k.district_id
        assert k.outlet is not None
        assert metres_outside(k.outlet, k.district) <= settings.DISTRICT_TOLERANCE_M
        assert k.distance_outside_district_m == 0


def test_each_kehriz_has_a_status_history_and_observations(demo):
    for k in demo:
        events = list(k.status_events.order_by("changed_on"))
        # One event per step from "identified" up to its current status, ending at that status.
        assert len(events) == Status.order(k.status) + 1
        assert events[0].from_status == ""
        assert events[-1].to_status == k.status
        assert k.observations.count() == VISITS
        assert set(k.observations.values_list("visit__is_synthetic", flat=True)) == {True}
        # The current state is computed from the observations.
        latest = k.observations.order_by("-observed_on", "-id").first()
        assert (k.functionality, k.last_visit_on) == (latest.functionality, latest.observed_on)
    assert Observation.objects.count() == N * VISITS


def test_a_second_run_adds_nothing(demo):
    before = counts()
    codes = set(demo.values_list("code", flat=True))
    generate("--kehriz", str(N), "--visits", str(VISITS))
    assert counts() == before
    assert set(Kehriz.objects.values_list("code", flat=True)) == codes


def test_a_larger_run_adds_only_the_missing_kehriz(demo):
    generate("--kehriz", str(N + 3), "--visits", str(VISITS))
    assert Kehriz.objects.filter(is_synthetic=True).count() == N + 3
    generate("--kehriz", str(N + 3), "--visits", str(VISITS))
    assert Kehriz.objects.filter(is_synthetic=True).count() == N + 3


def test_it_never_touches_real_records(real_records):
    before = counts()
    generate("--kehriz", str(N), "--visits", str(VISITS))
    assert Kehriz.objects.real().count() == 2
    assert Kehriz.objects.filter(is_synthetic=True).count() == N
    assert Observation.objects.filter(visit=real_records["visit"]).count() == 2
    assert Observation.objects.count() == before["Observation"] + N * VISITS


def test_clear_removes_exactly_the_synthetic_rows(real_records):
    before = counts()
    works = RestorationWork.objects.count()
    generate("--kehriz", str(N), "--visits", str(VISITS))
    assert Kehriz.objects.count() == before["Kehriz"] + N
    generate("--clear")
    assert counts() == before
    assert RestorationWork.objects.count() == works
    assert not Kehriz.objects.filter(is_synthetic=True).exists()
    assert not Kehriz.objects.filter(code__startswith="DEMO-").exists()
    assert not Village.objects.filter(is_synthetic=True).exists()
    assert not MonitoringVisit.objects.filter(is_synthetic=True).exists()
    karvansara, asger = real_records["kehriz"]
    assert set(Kehriz.objects.values_list("pk", flat=True)) == {karvansara.pk, asger.pk}
    assert Village.objects.get().pk == real_records["village"].pk
    assert MonitoringVisit.objects.get().pk == real_records["visit"].pk
    assert karvansara.observations.get().follow_ups.count() == 1


def test_clear_keeps_the_sample_data():
    call_command("load_sample_data", verbosity=0, stdout=io.StringIO())
    before = counts()
    assert before["Kehriz"] > 0
    generate("--kehriz", str(N), "--visits", str(VISITS))
    generate("--clear")
    assert counts() == before


def test_clear_then_generate_in_one_run(demo):
    before = counts()
    generate("--clear", "--kehriz", str(N), "--visits", str(VISITS))
    assert counts() == before


def test_it_asks_for_a_number():
    with pytest.raises(CommandError, match="--kehriz N"):
        generate()
    with pytest.raises(CommandError, match="negative"):
        generate("--kehriz", "-1")
    assert not Kehriz.objects.exists()


# --- --clear refuses while real records hang on synthetic ones ----------------------------------


def assert_nothing_removed(before):
    assert counts() == before
    assert Kehriz.objects.filter(is_synthetic=True).count() == N


def test_clear_refuses_a_real_observation_on_a_synthetic_visit(demo, goranboy):
    karvansara = factories.KehrizFactory(name="Karvansara", code="GOR-QRD-01", district=goranboy)
    visit = MonitoringVisit.objects.filter(is_synthetic=True).first()
    real = factories.ObservationFactory(visit=visit, kehriz=karvansara)
    factories.FollowUpFactory(observation=real)
    before = counts()
    with pytest.raises(CommandError) as refused:
        generate("--clear")
    message = str(refused.value)
    assert message.startswith("Nothing was removed")
    assert "1 observation of a real kəhriz is recorded on a synthetic visit" in message
    assert_nothing_removed(before)
    assert Observation.objects.filter(pk=real.pk).exists()
    assert real.follow_ups.count() == 1


def test_clear_refuses_a_real_kehriz_in_a_synthetic_village(demo):
    village = Village.objects.filter(is_synthetic=True).first()
    for n in range(2):
        factories.KehrizFactory(code=f"GOR-R-{n}", village=village, district=village.district)
    before = counts()
    with pytest.raises(CommandError) as refused:
        generate("--clear")
    assert "2 real kəhriz lie in synthetic villages" in str(refused.value)
    assert_nothing_removed(before)
    assert Kehriz.objects.real().count() == 2


def test_clear_refuses_a_synthetic_observation_on_a_real_visit(demo):
    visit = factories.MonitoringVisitFactory()
    factories.ObservationFactory(visit=visit, kehriz=demo.first())
    before = counts()
    with pytest.raises(CommandError) as refused:
        generate("--clear")
    assert "1 observation of a synthetic kəhriz is recorded on a real visit" in str(refused.value)
    assert_nothing_removed(before)
    assert visit.observations.count() == 1


def test_clear_names_every_kind_of_dependant(demo, goranboy):
    village = Village.objects.filter(is_synthetic=True).first()
    real = factories.KehrizFactory(code="GOR-R-1", village=village, district=village.district)
    factories.ObservationFactory(visit=MonitoringVisit.objects.filter(is_synthetic=True).first(), kehriz=real)
    before = counts()
    with pytest.raises(CommandError) as refused:
        generate("--clear", "--kehriz", str(N))
    message = str(refused.value)
    assert "1 real kəhriz lies in a synthetic village" in message
    assert "1 observation of a real kəhriz is recorded on a synthetic visit" in message
    assert_nothing_removed(before)


def test_clear_removes_what_users_added_to_synthetic_records_only(demo, media_in_tmp):
    """Works, follow-ups and photos on synthetic kəhriz and observations are about demo data:
    they go with it."""
    observation = Observation.objects.filter(kehriz__in=demo).first()
    factories.FollowUpFactory(observation=observation)
    factories.PhotoFactory(observation=observation)
    factories.RestorationWorkFactory(kehriz=demo.first())
    generate("--clear")
    assert not Kehriz.objects.exists()
    assert not (FollowUp.objects.exists() or Photo.objects.exists() or RestorationWork.objects.exists())
