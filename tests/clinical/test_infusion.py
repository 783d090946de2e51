"""The administration record of an infusion and its arithmetic (``ketacare.clinical.infusion``).

The delivered dose comes from the concentration in the bag the pump runs, never the vial's.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketacare.clinical.common import ClinicalRuleError
from ketacare.clinical.infusion import (
    AdminEvent,
    AdministrationRecord,
    check_not_above_order,
    delivered,
    order_reached_at,
    pump_contents,
    running_periods,
)

T0 = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


# --- what the pump holds: the bag, not the vial ------------------------------------------------


def test_bag_concentration_pins_the_worked_case():
    """36 mg (from a 50 mg/mL vial) in 100 mL over 40 min at 150 mL/h: 18 mg after 20 min."""
    bag = pump_contents(drug_mg=36, final_volume_ml=100, vial_concentration_mg_per_ml=50)
    assert bag.concentration_mg_per_ml == pytest.approx(0.36)
    assert bag.drug_volume_ml == pytest.approx(0.72)
    pump = AdministrationRecord((AdminEvent.start(at(0), 150),))
    after_20 = delivered(
        pump, bag_concentration_mg_per_ml=bag.concentration_mg_per_ml, as_of=at(20)
    )
    assert after_20.dose_mg == pytest.approx(18.0)
    assert after_20.volume_ml == pytest.approx(50.0)
    reached = order_reached_at(
        pump, bag_concentration_mg_per_ml=bag.concentration_mg_per_ml, ordered_mg=36
    )
    assert reached == at(40)  # the whole order, not after about a minute


def test_bag_concentration_not_the_vial_concentration_decides_when_the_order_is_reached():
    pump = AdministrationRecord((AdminEvent.start(at(0), 150),))
    with_vial = order_reached_at(pump, bag_concentration_mg_per_ml=50, ordered_mg=36)
    with_bag = order_reached_at(pump, bag_concentration_mg_per_ml=0.36, ordered_mg=36)
    assert with_vial is not None and with_vial < at(1)  # the defect: "stop now" after ~17 s
    assert with_bag == at(40)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"drug_mg": 0, "final_volume_ml": 100}, "drug in the bag"),
        ({"drug_mg": 36, "final_volume_ml": -1}, "final volume"),
        ({"drug_mg": 36, "final_volume_ml": float("nan")}, "final volume"),
        ({"drug_mg": 36, "final_volume_ml": 100, "diluent_ml": 100}, "less than the bag"),
        ({"drug_mg": 36, "final_volume_ml": 100, "diluent_ml": 0}, "diluent"),
        (
            {"drug_mg": 600, "final_volume_ml": 10, "vial_concentration_mg_per_ml": 50},
            "more than the bag",
        ),
        ({"drug_mg": 36, "final_volume_ml": 100, "vial_concentration_mg_per_ml": 0}, "vial"),
    ],
)
def test_pump_contents_that_do_not_add_up_are_refused(kwargs, fragment):
    with pytest.raises(ClinicalRuleError, match=fragment):
        pump_contents(**kwargs)


@given(
    drug_mg=st.floats(1, 500),
    final_volume_ml=st.floats(20, 500),
    rate=st.floats(10, 999),
    minutes=st.integers(0, 240),
)
def test_bag_concentration_delivers_rate_times_time_times_concentration(
    drug_mg, final_volume_ml, rate, minutes
):
    bag = pump_contents(drug_mg=drug_mg, final_volume_ml=final_volume_ml)
    pump = AdministrationRecord((AdminEvent.start(at(0), rate),))
    got = delivered(
        pump, bag_concentration_mg_per_ml=bag.concentration_mg_per_ml, as_of=at(minutes)
    )
    assert got.dose_mg == pytest.approx(rate * minutes / 60 * drug_mg / final_volume_ml)


# --- administration record -------------------------------------------------------------------


def record(*events: AdminEvent) -> AdministrationRecord:
    return AdministrationRecord(events)


def test_uninterrupted_standard_infusion():
    # 0.5 mg/kg x 70 kg = 35 mg in 100 mL (0.35 mg/mL) over 40 min = 150 mL/h
    r = record(AdminEvent.start(at(0), 150), AdminEvent.stop(at(40)))
    got = delivered(r, bag_concentration_mg_per_ml=0.35)
    assert (got.volume_ml, got.dose_mg, got.running_minutes) == (100.0, 35.0, 40.0)
    assert check_not_above_order(got.dose_mg, 35).remaining_mg == 0


def test_pause_and_rate_change_hand_computed():
    # 150 mL/h 0-10 min = 25 mL; paused 10-15; 150 mL/h 15-25 = 25 mL; 90 mL/h 25-45 = 30 mL
    r = record(
        AdminEvent.start(at(0), 150),
        AdminEvent.pause(at(10), "nausea"),
        AdminEvent.resume(at(15)),
        AdminEvent.rate_change(at(25), 90, "BP 178/98"),
        AdminEvent.stop(at(45)),
    )
    got = delivered(r, bag_concentration_mg_per_ml=0.35)
    assert got.volume_ml == pytest.approx(80.0)
    assert got.dose_mg == pytest.approx(28.0)
    assert got.running_minutes == pytest.approx(40.0)


def test_rate_change_while_paused_applies_on_resume():
    # 100 mL/h 0-30 = 50 mL; paused 30-35 (rate set to 60); 60 mL/h 35-45 = 10 mL
    r = record(
        AdminEvent.start(at(0), 100),
        AdminEvent.pause(at(30)),
        AdminEvent.rate_change(at(32), 60, "slower after pause"),
        AdminEvent.resume(at(35)),
        AdminEvent.stop(at(45)),
    )
    got = delivered(r, bag_concentration_mg_per_ml=1)
    assert (got.volume_ml, got.running_minutes) == (pytest.approx(60.0), pytest.approx(40.0))


def test_stopped_while_paused_counts_no_paused_time():
    r = record(AdminEvent.start(at(0), 120), AdminEvent.pause(at(10)), AdminEvent.stop(at(30)))
    assert delivered(r, bag_concentration_mg_per_ml=1).volume_ml == pytest.approx(20.0)


def test_running_infusion_counts_up_to_as_of():
    r = record(AdminEvent.start(at(0), 150))
    assert delivered(r, bag_concentration_mg_per_ml=0.35, as_of=at(6)).volume_ml == pytest.approx(
        15.0
    )
    with pytest.raises(ClinicalRuleError, match="as_of"):
        delivered(r, bag_concentration_mg_per_ml=0.35)


def test_as_of_before_start_or_after_stop():
    r = record(AdminEvent.start(at(0), 60), AdminEvent.stop(at(30)))
    assert delivered(r, bag_concentration_mg_per_ml=1, as_of=at(-5)).volume_ml == 0
    assert delivered(r, bag_concentration_mg_per_ml=1, as_of=at(90)).volume_ml == pytest.approx(
        30.0
    )


def test_empty_record_delivers_nothing():
    assert delivered(AdministrationRecord(), bag_concentration_mg_per_ml=1) == delivered(
        AdministrationRecord(), bag_concentration_mg_per_ml=2
    )
    assert delivered(AdministrationRecord(), bag_concentration_mg_per_ml=1).volume_ml == 0


@pytest.mark.parametrize(
    ("events", "fragment"),
    [
        ((AdminEvent.start(at(0), 100), AdminEvent.pause(at(-1))), "time order"),
        (
            (AdminEvent.start(at(0), 100), AdminEvent.resume(at(5))),
            "resume while the administration is running",
        ),
        ((AdminEvent.start(at(0), 100), AdminEvent.start(at(5), 100)), "start while"),
        ((AdminEvent.pause(at(0)),), "pause while the administration is not started"),
        (
            (AdminEvent.start(at(0), 100), AdminEvent.stop(at(5)), AdminEvent.resume(at(6))),
            "stopped",
        ),
    ],
)
def test_events_out_of_order_are_refused(events, fragment: str):
    with pytest.raises(ClinicalRuleError, match=fragment):
        AdministrationRecord(events)


def test_append_refuses_and_keeps_the_record():
    r = record(AdminEvent.start(at(0), 100))
    assert r.append(AdminEvent.pause(at(5))).status == "paused"
    with pytest.raises(ClinicalRuleError):
        r.append(AdminEvent.resume(at(5)))
    assert r.status == "running"


@pytest.mark.parametrize("reason", [None, "", "  "])
def test_rate_change_without_a_reason_is_refused(reason):
    with pytest.raises(ClinicalRuleError, match="documented reason"):
        AdminEvent(kind="rate_change", at=at(5), rate_ml_per_h=50, reason=reason)


@pytest.mark.parametrize("rate", [0, -10, float("nan"), float("inf"), None])
def test_rate_must_be_positive(rate):
    with pytest.raises(ClinicalRuleError, match="above 0 mL/h"):
        AdminEvent(kind="start", at=at(0), rate_ml_per_h=rate)


def test_pause_carries_no_rate():
    with pytest.raises(ClinicalRuleError, match="carries no rate"):
        AdminEvent(kind="pause", at=at(0), rate_ml_per_h=10)


def test_concentration_must_be_positive():
    with pytest.raises(ClinicalRuleError, match="concentration"):
        delivered(
            record(AdminEvent.start(at(0), 100), AdminEvent.stop(at(1))),
            bag_concentration_mg_per_ml=0,
        )


@pytest.mark.parametrize(
    ("given_mg", "ok"), [(34.99, True), (35, True), (35.000001, False), (36, False)]
)
def test_never_above_the_signed_order(given_mg: float, ok: bool):
    if ok:
        assert check_not_above_order(given_mg, 35).remaining_mg == pytest.approx(35 - given_mg)
    else:
        with pytest.raises(ClinicalRuleError, match="above the signed order of 35 mg"):
            check_not_above_order(given_mg, 35)


def test_order_reached_at_tells_when_to_stop():
    running = record(AdminEvent.start(at(0), 150))
    assert order_reached_at(running, bag_concentration_mg_per_ml=0.35, ordered_mg=35) == at(40)
    paused_once = running.append(AdminEvent.pause(at(10))).append(AdminEvent.resume(at(15)))
    assert order_reached_at(paused_once, bag_concentration_mg_per_ml=0.35, ordered_mg=35) == at(45)
    stopped_early = running.append(AdminEvent.stop(at(20)))
    assert order_reached_at(stopped_early, bag_concentration_mg_per_ml=0.35, ordered_mg=35) is None
    assert (
        order_reached_at(AdministrationRecord(), bag_concentration_mg_per_ml=1, ordered_mg=1)
        is None
    )


# --- hypothesis: delivered volume ------------------------------------------------------------

steps = st.lists(
    st.tuples(
        st.sampled_from(["pause_resume", "rate_change", "run"]),
        st.integers(min_value=0, max_value=600),  # seconds until the step
        st.floats(min_value=0.1, max_value=2000, allow_nan=False, allow_infinity=False),
    ),
    max_size=12,
)


def build(plan) -> tuple[AdministrationRecord, datetime]:  # type: ignore[no-untyped-def]
    now = T0
    events = [AdminEvent.start(now, 100)]
    for kind, seconds, rate in plan:
        now += timedelta(seconds=seconds)
        if kind == "pause_resume":
            events.append(AdminEvent.pause(now))
            now += timedelta(seconds=seconds)
            events.append(AdminEvent.resume(now))
        elif kind == "rate_change":
            events.append(AdminEvent.rate_change(now, rate, "titration"))
    return AdministrationRecord(tuple(events)), now


@given(plan=steps, offsets=st.lists(st.integers(0, 20_000), min_size=2, max_size=8))
def test_delivered_volume_is_monotonic_in_time_and_never_negative(plan, offsets):
    rec, _ = build(plan)
    volumes = [
        delivered(rec, bag_concentration_mg_per_ml=1, as_of=T0 + timedelta(seconds=s))
        for s in sorted(offsets)
    ]
    for earlier, later in itertools.pairwise(volumes):
        assert 0 <= earlier.volume_ml <= later.volume_ml
        assert 0 <= earlier.running_minutes <= later.running_minutes


@given(plan=steps, extra=st.integers(0, 3600))
def test_running_time_never_exceeds_elapsed_time(plan, extra):
    rec, last = build(plan)
    end = last + timedelta(seconds=extra)
    got = delivered(rec.append(AdminEvent.stop(end)), bag_concentration_mg_per_ml=2)
    assert got.running_minutes <= (end - T0).total_seconds() / 60 + 1e-9
    assert got.dose_mg == pytest.approx(got.volume_ml * 2)


def test_running_periods_leave_out_pauses_and_carry_the_bag_dose():
    pump = record(
        AdminEvent.start(at(0), 150),
        AdminEvent.pause(at(10), "BP"),
        AdminEvent.resume(at(15)),
        AdminEvent.rate_change(at(20), 90, "BP"),
        AdminEvent.stop(at(30)),
    )
    periods = running_periods(pump, bag_concentration_mg_per_ml=0.36)
    assert [(p.started_at, p.minutes, p.rate_ml_per_h) for p in periods] == [
        (at(0), 10, 150),
        (at(15), 5, 150),
        (at(20), 10, 90),
    ]
    assert [p.dose_mg for p in periods] == pytest.approx([9.0, 4.5, 5.4])
    total = delivered(pump, bag_concentration_mg_per_ml=0.36).dose_mg
    assert sum(p.dose_mg for p in periods) == pytest.approx(total)
    running = record(AdminEvent.start(at(0), 150))
    (only,) = running_periods(running, bag_concentration_mg_per_ml=0.36, as_of=at(20))
    assert only.dose_mg == pytest.approx(18.0)
    with pytest.raises(ClinicalRuleError, match="as_of"):
        running_periods(running, bag_concentration_mg_per_ml=0.36)
