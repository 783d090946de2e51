"""Resource needs per route and slot finding for one session, on crafted calendars (the times
expected were worked out by hand on the calendar each case describes)."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketacare.clinical.common import ClinicalRuleError
from ketacare.clinical.scheduling import (
    Interval,
    PatientAvailability,
    Why,
    add_minutes,
    check_slot,
    day_starts,
    find_slots,
    local_datetime,
    minutes_between,
    subtract,
    weekly_intervals,
)
from ketacare.clinical.scheduling_needs import SETTING_KINDS, SETTINGS, resource_needs
from tests.clinical.scheduling_calendars import (
    IV_VALUES,
    MON,
    NY,
    at,
    clinic,
    esketamine_needs,
    iv_needs,
    nurse_session,
    span,
)

TUE, WED = MON + timedelta(days=1), MON + timedelta(days=2)
SUNDAY_BEFORE = MON - timedelta(days=1)
PUMP = frozenset({"iv_pump"})


@pytest.fixture
def _fast_and_quiet() -> None:
    """No Django needed here (stands in for tests/conftest.py's autouse settings fixture)."""


# --- needs per route ---------------------------------------------------------------------------


def test_iv_session_holds_the_chair_for_check_in_infusion_observation_and_turnover():
    needs = iv_needs()
    assert needs.chair_minutes == 20 + 40 + 30 + 10
    assert needs.capabilities == {"iv_pump"}
    assert needs.nurse_minutes == 30 and not needs.prescriber_on_site
    assert "infusion 40 min (S1, S2" in needs.describe()


def test_esketamine_needs_two_hours_from_the_first_device_and_a_prescriber_on_site():
    needs = esketamine_needs()
    assert needs.chair_minutes == 15 + 120 + 15  # observation counted from the first device
    assert needs.prescriber_on_site  # REMS (S12)
    assert needs.capabilities == {"esketamine_observation"}
    assert "S10, S11, S12" in needs.describe()


@pytest.mark.parametrize(
    ("route", "values", "observation", "message"),
    [
        ("racemic_iv", {}, 30, "check-in and pre-dose checks has no value"),
        ("racemic_iv", IV_VALUES, None, "minimum observation time has no value"),
        ("esketamine_nasal", IV_VALUES, 90, "at least 120 min"),
        ("racemic_im", IV_VALUES, 30, "IM ketamine injection: check-in"),
        ("racemic_iv", {**IV_VALUES, "racemic_iv.nurse_minutes": 200}, 30, "longer than"),
        ("racemic_iv", {**IV_VALUES, "racemic_iv.prescriber_on_site": None}, 30, "prescriber"),
    ],
)
def test_needs_refuse_until_every_value_is_set(route, values, observation, message):
    with pytest.raises(ClinicalRuleError, match=message):
        resource_needs(
            route, values=values, observation_minutes=observation, iv_infusion_minutes=40
        )


def test_every_unset_setting_has_a_kind_and_none_claims_a_clinical_source():
    assert {s.key for s in SETTINGS if s.value is None} == set(SETTING_KINDS)
    assert all(s.provenance.sources == () for s in SETTINGS)  # none claims a clinical source


# --- time on the clinic's wall clock -----------------------------------------------------------


def test_wall_clock_times_in_the_spring_gap_do_not_exist_and_elapsed_time_crosses_it():
    assert local_datetime(date(2026, 3, 8), time(2, 30), NY) is None
    assert local_datetime(date(2026, 3, 8), time(3, 30), NY) is not None
    one_am = at(date(2026, 3, 8), "01:00")
    assert add_minutes(one_am, 120).strftime("%H:%M %Z") == "04:00 EDT"
    assert minutes_between(one_am, at(date(2026, 3, 8), "04:00")) == 120


def test_opening_hours_are_shorter_on_the_day_clocks_go_forward():
    hours = {6: [(time(1), time(5))]}  # a Sunday night clinic, to cross 02:00
    spring = weekly_intervals(hours, start=date(2026, 3, 8), end=date(2026, 3, 8), zone=NY)
    autumn = weekly_intervals(hours, start=date(2026, 11, 1), end=date(2026, 11, 1), zone=NY)
    assert [minutes_between(i.start, i.end) for i in spring] == [180]
    assert [minutes_between(i.start, i.end) for i in autumn] == [300]


def test_subtracting_time_off_leaves_the_rest_of_the_day():
    day = span(MON, "08:00", "18:00")
    assert subtract([day], [span(MON, "12:00", "13:00")]) == [
        span(MON, "08:00", "12:00"),
        span(MON, "13:00", "18:00"),
    ]


# --- one session: the earliest slot on crafted calendars ----------------------------------------

CASES = [
    # (case, calendar, patient, now, expected first slot "Mon 08:00 Chair A", first reason)
    ("empty clinic: Monday at opening", {}, {}, None, "Mon 08:00 Chair A", None),
    (
        "chair A booked: chair B at opening",
        {"chairs": (("Chair A", PUMP, (span(MON, "07:00", "12:00"),)), ("Chair B", PUMP, ()))},
        {},
        None,
        "Mon 08:00 Chair B",
        None,
    ),
    (
        "the only pump chair booked until 10:00",
        {
            "chairs": (
                ("Chair A", PUMP, (span(MON, "08:00", "10:00"),)),
                ("Chair B", frozenset(), ()),
            )
        },
        {},
        None,
        "Mon 10:00 Chair A",
        None,
    ),
    (
        "the nurse is off on Monday",
        {"nurses": (("Nina", None, (span(MON, "00:00", "23:59"),), ()),)},
        {},
        None,
        "Tue 08:00 Chair A",
        None,
    ),
    (
        "one patient per nurse: wait for her 08:00 session to end",
        {"nurses": (("Nina", None, (), (nurse_session(MON, "08:00"),)),)},
        {},
        None,
        "Mon 09:45 Chair A",
        None,
    ),
    (
        "two patients per nurse: start after her one-to-one half hour",
        {"nurses": (("Nina", None, (), (nurse_session(MON, "08:00"),)),), "capacity": 2},
        {},
        None,
        "Mon 08:30 Chair A",
        None,
    ),
    (
        "closed on Monday (holiday)",
        {"closed": (MON,)},
        {},
        None,
        "Tue 08:00 Chair A",
        None,
    ),
    (
        "patient prefers Wednesday afternoons",
        {},
        {"weekdays": frozenset({2}), "earliest": time(13)},
        None,
        "Wed 13:00 Chair A",
        None,
    ),
    (
        "patient has a morning appointment elsewhere in the clinic",
        {},
        {"busy": (span(MON, "07:30", "11:50"),)},
        None,
        "Mon 12:00 Chair A",
        None,
    ),
    (
        "now is Monday 10:07: the next start on the grid",
        {},
        {},
        at(MON, "10:07"),
        "Mon 10:15 Chair A",
        None,
    ),
    (
        "a session must end by closing: 16:15 is the last start on the grid",
        {},
        {"earliest": time(16, 15)},
        None,
        "Mon 16:15 Chair A",
        None,
    ),
    (
        "patient only after 16:30: nothing ends by closing",
        {},
        {"earliest": time(16, 30)},
        None,
        None,
        Why.PATIENT_PREFERENCE,
    ),
    (
        "no chair has an IV pump",
        {"chairs": (("Chair A", frozenset(), ()),)},
        {},
        None,
        None,
        Why.NO_CAPABLE_CHAIR,
    ),
    (
        "the clinic opens for less than a session",
        {"hours": {d: [(time(8), time(9))] for d in range(7)}},
        {},
        None,
        None,
        Why.OUTSIDE_HOURS,
    ),
    (
        "no nurse at all",
        {"nurses": ()},
        {},
        None,
        None,
        Why.NO_NURSE,
    ),
]


def _label(slot, calendar) -> str:
    chair = {c.chair_id: c.name for c in calendar.chairs}[slot.chair_id]
    return f"{slot.start.astimezone(NY):%a %H:%M} {chair}"


@pytest.mark.parametrize(
    ("case", "calendar_args", "patient_args", "now", "expected", "reason"),
    CASES,
    ids=[c[0] for c in CASES],
)
def test_earliest_slot_on_a_crafted_calendar(
    case, calendar_args, patient_args, now, expected, reason
):
    calendar = clinic(**calendar_args)
    now = now or at(SUNDAY_BEFORE, "12:00")
    result = find_slots(
        iv_needs(),
        calendar,
        PatientAvailability(**patient_args),
        not_before=now,
        now=now,
        days=14,
    )
    if expected is None:
        assert result.slots == ()
        assert result.reasons[0][0] is reason
        assert result.problems()[0].message.endswith("start times)")
    else:
        assert _label(result.slots[0], calendar) == expected
        assert result.slots[0].end == add_minutes(result.slots[0].start, 100)


def test_esketamine_waits_for_the_prescriber_and_takes_the_esketamine_chair():
    calendar = clinic(prescribers=(("Dr Chen", {d: [(time(13), time(18))] for d in range(5)}, ()),))
    now = at(SUNDAY_BEFORE, "12:00")
    result = find_slots(
        esketamine_needs(), calendar, PatientAvailability(), not_before=now, now=now, days=7
    )
    assert _label(result.slots[0], calendar) == "Mon 13:00 Chair B"
    assert result.slots[0].prescriber_id == 200
    assert (result.slots[0].end - result.slots[0].start) == timedelta(minutes=150)


def test_an_esketamine_session_leaves_the_iv_only_chair_for_iv():
    calendar = clinic(
        chairs=(
            ("Chair A", frozenset({"iv_pump", "esketamine_observation"}), ()),
            ("Chair B", frozenset({"esketamine_observation"}), ()),
        )
    )
    now = at(SUNDAY_BEFORE, "12:00")
    result = find_slots(
        esketamine_needs(), calendar, PatientAvailability(), not_before=now, now=now, days=2
    )
    assert _label(result.slots[0], calendar) == "Mon 08:00 Chair B"


def test_proposals_offer_a_choice_of_days():
    now = at(SUNDAY_BEFORE, "12:00")
    result = find_slots(
        iv_needs(), clinic(), PatientAvailability(), not_before=now, now=now, days=7, limit=4
    )
    assert [f"{s.start:%a %H:%M}" for s in result.slots] == [
        "Mon 08:00",
        "Mon 08:15",
        "Tue 08:00",
        "Tue 08:15",
    ]


# --- bad input: one start checked -------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "chair", "why", "message"),
    [
        (at(MON, "09:00"), None, Why.PAST, "is in the past"),
        (
            at(TUE, "17:00"),
            None,
            Why.OUTSIDE_HOURS,
            "open 08:00–18:00 on Tue 03 Mar; a 100-minute session starting 17:00 would end at "
            "18:40. Start by 16:20",
        ),
        (
            at(TUE, "09:00"),
            2,
            Why.NO_CAPABLE_CHAIR,
            "Chair B has no IV infusion pump; chairs that can: Chair A.",
        ),
        (at(date(2026, 3, 7), "09:00"), None, Why.CLOSED, "not open on Saturdays"),
    ],
)
def test_a_start_that_cannot_be_used_says_what_to_change(start, chair, why, message):
    calendar = clinic(chairs=(("Chair A", PUMP, ()), ("Chair B", frozenset(), ())))
    slot, problems = check_slot(
        iv_needs(),
        calendar,
        PatientAvailability(),
        start=start,
        now=at(MON, "12:00"),
        chair_id=chair,
    )
    assert slot is None
    assert problems[0].why is why
    assert message in problems[0].message
    assert problems[0].fix


def test_a_free_start_gets_its_chair_and_nurse():
    slot, problems = check_slot(
        iv_needs(), clinic(), PatientAvailability(), start=at(TUE, "09:00"), now=at(MON, "12:00")
    )
    assert problems == [] and slot is not None
    assert (slot.chair_id, slot.nurse_id, slot.prescriber_id) == (1, 100, None)


# --- properties --------------------------------------------------------------------------------

bookings = st.lists(
    st.tuples(
        st.integers(0, 1),  # chair index
        st.integers(0, 13),  # day offset
        st.integers(7 * 4, 18 * 4),  # start, in quarter hours
        st.integers(1, 16),  # length, in quarter hours
    ),
    max_size=25,
)


@given(bookings=bookings, capacity=st.integers(1, 3), first=st.integers(0, 6))
def test_proposals_never_overlap_a_booking_and_stay_inside_opening_hours(bookings, capacity, first):
    busy: dict[int, list[Interval]] = {0: [], 1: []}
    for chair, offset, quarter, length in bookings:
        start = add_minutes(at(MON, "00:00", offset), quarter * 15)
        busy[chair].append(Interval(start, add_minutes(start, length * 15)))
    calendar = clinic(
        chairs=tuple((f"Chair {i}", PUMP, tuple(busy[i])) for i in (0, 1)), capacity=capacity
    )
    now = at(MON, "07:00", first)
    result = find_slots(
        iv_needs(), calendar, PatientAvailability(), not_before=now, now=now, days=14, limit=6
    )
    for slot in result.slots:
        session = Interval(slot.start, slot.end)
        chair = next(c for c in calendar.chairs if c.chair_id == slot.chair_id)
        assert not any(b.overlaps(session) for b in chair.busy)
        assert any(o.contains(session) for o in calendar.opening)
        assert slot.start >= now
        assert minutes_between(slot.start, slot.end) == 100


@given(day=st.dates(date(2026, 1, 1), date(2027, 12, 31)))
def test_every_start_offered_exists_on_the_wall_clock_and_fits_the_day(day):
    hours = {d: [(time(0, 30), time(23, 30))] for d in range(7)}
    calendar = clinic(start=day, days=1, hours=hours, step=30)
    for start in day_starts(calendar, day, 100):
        assert local_datetime(day, start.time().replace(tzinfo=None), NY) == start
        assert any(o.contains(Interval(start, add_minutes(start, 100))) for o in calendar.opening)
