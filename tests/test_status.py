"""The restoration lifecycle: identified → assessed → planned → under restoration → restored →
handed over, recorded as dated events that are never edited."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from projects.models import Kehriz, Status, StatusEvent
from projects.services import change_status, create_kehriz, record_initial_status
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

LIFECYCLE = list(Status.values)
D = datetime.date


def today():
    return timezone.localdate()


@pytest.fixture
def kehriz(goranboy):
    """A kəhriz identified on 10 January 2024, with its first status event."""
    return create_kehriz(
        name="Karvansara",
        code="GOR-QRD-01",
        district=goranboy,
        outlet=factories.point(factories.GORANBOY_TOWN),
        status_on=D(2024, 1, 10),
    )


FIRST_RECORDED = D(2024, 1, 10)


def at_status(status):
    """A kəhriz first recorded at ``status`` on 10 January 2024."""
    k = factories.KehrizFactory(status=status, status_changed_on=FIRST_RECORDED)
    record_initial_status(kehriz=k, on_date=FIRST_RECORDED)
    return k


def history(kehriz):
    return list(
        StatusEvent.objects.filter(kehriz=kehriz).values_list(
            "from_status", "to_status", "changed_on", "changed_by__username", "is_correction"
        )
    )


def test_lifecycle_step_by_step_records_history_in_order(kehriz, data_manager):
    dates = [D(2024, 2, 1), D(2024, 3, 1), D(2024, 4, 1), D(2024, 9, 1), D(2024, 10, 1)]
    for to_status, on_date in zip(LIFECYCLE[1:], dates, strict=True):
        event = change_status(kehriz=kehriz, to_status=to_status, on_date=on_date, user=data_manager)
        assert event.to_status == to_status
        kehriz.refresh_from_db()
        assert kehriz.status == to_status
        assert kehriz.status_changed_on == on_date

    assert history(kehriz) == [
        ("", "identified", D(2024, 1, 10), None, False),
        ("identified", "assessed", D(2024, 2, 1), "manager", False),
        ("assessed", "planned", D(2024, 3, 1), "manager", False),
        ("planned", "under_restoration", D(2024, 4, 1), "manager", False),
        ("under_restoration", "restored", D(2024, 9, 1), "manager", False),
        ("restored", "handed_over", D(2024, 10, 1), "manager", False),
    ]
    assert Kehriz.objects.handed_over().get() == kehriz
    assert Kehriz.objects.restored().get() == kehriz


def test_change_status_updates_the_instance_passed_in(kehriz):
    change_status(kehriz=kehriz, to_status="assessed", on_date=D(2024, 2, 1))
    assert (kehriz.status, kehriz.status_changed_on) == ("assessed", D(2024, 2, 1))


def test_change_status_is_dated_today_by_default(kehriz):
    event = change_status(kehriz=kehriz, to_status="assessed")
    assert event.changed_on == today()
    kehriz.refresh_from_db()
    assert kehriz.status_changed_on == today()


def test_same_day_change_is_allowed(kehriz):
    change_status(kehriz=kehriz, to_status="assessed", on_date=D(2024, 1, 10))
    change_status(kehriz=kehriz, to_status="planned", on_date=D(2024, 1, 10))
    assert [e[1] for e in history(kehriz)] == ["identified", "assessed", "planned"]


def assert_refused(kehriz, field, *fragments, **kwargs):
    """change_status refuses with a message on ``field`` and writes nothing."""
    kehriz.refresh_from_db()
    status_before, since_before = kehriz.status, kehriz.status_changed_on
    events_before = history(kehriz)
    with pytest.raises(ValidationError) as caught:
        change_status(kehriz=kehriz, **kwargs)
    messages = caught.value.message_dict[field]
    for fragment in fragments:
        assert any(fragment in m for m in messages), (fragment, messages)
    kehriz.refresh_from_db()
    assert (kehriz.status, kehriz.status_changed_on) == (status_before, since_before)
    assert history(kehriz) == events_before
    return messages


@pytest.mark.parametrize(
    ("current", "target", "next_step"),
    [
        ("identified", "planned", "assessed"),
        ("identified", "handed_over", "assessed"),
        ("assessed", "under_restoration", "planned"),
        ("planned", "restored", "under restoration"),
        ("under_restoration", "handed_over", "restored"),
    ],
)
def test_skipping_a_step_is_refused_and_names_the_next_step(current, target, next_step):
    k = at_status(current)
    messages = assert_refused(k, "to_status", to_status=target, on_date=D(2024, 2, 1))
    label = Status(current).label
    assert messages == [
        f"A kəhriz cannot go from {label} to {Status(target).label} directly. "
        f"The next step is {next_step}. "
        "To put a mistake right, record it as a correction with a reason."
    ]


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("assessed", "identified"),
        ("restored", "under_restoration"),
        ("handed_over", "restored"),
        ("handed_over", "identified"),
    ],
)
def test_going_back_is_refused(current, target):
    k = at_status(current)
    assert_refused(
        k,
        "to_status",
        f"cannot go from {Status(current).label} to {Status(target).label} directly",
        "record it as a correction with a reason",
        to_status=target,
        on_date=D(2024, 2, 1),
    )


def test_the_refusal_is_explained_in_azerbaijani():
    k = at_status("identified")
    with translation.override("az"), pytest.raises(ValidationError) as caught:
        change_status(kehriz=k, to_status="planned", on_date=D(2024, 2, 1))
    (message,) = caught.value.message_dict["to_status"]
    with translation.override("az"):
        identified, planned, assessed = (str(Status(s).label) for s in ("identified", "planned", "assessed"))
    assert identified != "identified"  # the labels are translated too
    assert f"«{identified}»" in message and f"«{planned}»" in message and f"«{assessed}»" in message
    assert "%(" not in message


def test_handed_over_has_no_next_step():
    k = at_status("handed_over")
    messages = assert_refused(k, "to_status", to_status="restored", on_date=D(2024, 2, 1))
    assert "next step" not in messages[0]


def test_the_same_status_again_is_refused(kehriz):
    assert_refused(kehriz, "to_status", "already identified", to_status="identified", on_date=D(2024, 2, 1))


def test_the_same_status_is_refused_even_as_a_correction(kehriz):
    assert_refused(
        kehriz,
        "to_status",
        "already identified",
        to_status="identified",
        on_date=D(2024, 2, 1),
        correction=True,
        note="re-recorded",
    )


def test_an_unknown_status_is_refused(kehriz):
    assert_refused(kehriz, "to_status", "Unknown restoration status: repaired.", to_status="repaired")


def test_a_future_date_is_refused(kehriz):
    assert_refused(
        kehriz,
        "on_date",
        "cannot be in the future",
        to_status="assessed",
        on_date=today() + datetime.timedelta(days=1),
    )


def test_a_date_before_the_last_change_is_refused(kehriz):
    change_status(kehriz=kehriz, to_status="assessed", on_date=D(2024, 3, 1))
    assert_refused(
        kehriz,
        "on_date",
        "before the last recorded change (2024-03-01)",
        to_status="planned",
        on_date=D(2024, 2, 28),
    )


def test_a_date_before_the_first_record_is_refused(kehriz):
    assert_refused(kehriz, "on_date", "(2024-01-10)", to_status="assessed", on_date=D(2024, 1, 9))


@pytest.mark.parametrize(("current", "target"), [("identified", "restored"), ("handed_over", "planned")])
def test_a_correction_with_a_reason_may_skip_or_go_back(current, target, data_manager):
    k = at_status(current)
    event = change_status(
        kehriz=k,
        to_status=target,
        on_date=D(2024, 2, 1),
        user=data_manager,
        correction=True,
        note="  Entered in the wrong row of the survey sheet.  ",
    )
    k.refresh_from_db()
    assert (k.status, k.status_changed_on) == (target, D(2024, 2, 1))
    assert history(k)[-1] == (current, target, D(2024, 2, 1), "manager", True)
    assert event.note == "Entered in the wrong row of the survey sheet."


@pytest.mark.parametrize("note", ["", "   "])
def test_a_correction_without_a_reason_is_refused(note):
    k = at_status("planned")
    assert_refused(
        k,
        "note",
        "Say why this correction is made.",
        to_status="assessed",
        on_date=D(2024, 2, 1),
        correction=True,
        note=note,
    )


def test_a_correction_cannot_be_dated_before_the_last_change(kehriz):
    """A back-dated correction would sit in the middle of the history: its "from" would not be
    the status at that date, and the kəhriz would show a status the last event contradicts."""
    change_status(kehriz=kehriz, to_status="assessed", on_date=D(2024, 3, 1))
    assert_refused(
        kehriz,
        "on_date",
        "before the last recorded change (2024-03-01)",
        to_status="identified",
        on_date=D(2024, 2, 1),
        correction=True,
        note="The assessment was never done.",
    )


# --- The first event ---------------------------------------------------------------------------


def test_create_kehriz_records_the_initial_status(goranboy, data_manager):
    k = create_kehriz(
        name="Əsgər",
        code="CAB-HOR-01",
        district=goranboy,
        status=Status.UNDER_RESTORATION,
        status_on=D(2024, 3, 13),
        status_note="Works seen on the visit.",
        user=data_manager,
    )
    k.refresh_from_db()
    assert (k.status, k.status_changed_on) == ("under_restoration", D(2024, 3, 13))
    event = k.status_events.get()
    assert (event.from_status, event.to_status, event.changed_on) == ("", "under_restoration", D(2024, 3, 13))
    assert event.changed_by == data_manager
    assert event.note == "Works seen on the visit."
    assert not event.is_correction


def test_create_kehriz_without_a_date_records_today(goranboy):
    k = create_kehriz(name="Orta", code="CAB-HOR-02", district=goranboy)
    event = k.status_events.get()
    assert event.changed_on == today()
    assert event.note == "Status when first recorded."
    k.refresh_from_db()
    assert k.status_changed_on == today()


def test_create_kehriz_links_projects(goranboy):
    project = factories.ProjectFactory()
    k = create_kehriz(name="Orta", code="CAB-HOR-02", district=goranboy, projects=[project])
    assert list(k.projects.all()) == [project]


def test_create_kehriz_with_invalid_data_writes_nothing(cebrayil):
    with pytest.raises(ValidationError) as caught:
        create_kehriz(
            name="Wrong place",
            code="BAD-01",
            district=cebrayil,
            outlet=factories.point(factories.QAZAX_TOWN),
        )
    assert "outlet" in caught.value.message_dict
    assert not Kehriz.objects.filter(code="BAD-01").exists()
    assert not StatusEvent.objects.exists()


def test_create_kehriz_refuses_a_future_status_date(goranboy):
    with pytest.raises(ValidationError):
        create_kehriz(
            name="Orta",
            code="CAB-HOR-02",
            district=goranboy,
            status_on=today() + datetime.timedelta(days=30),
        )
    assert not Kehriz.objects.filter(code="CAB-HOR-02").exists()
    assert not StatusEvent.objects.exists()
