"""Funnel, safety rates and suicidal-ideation trajectories on a hand-made export."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ketacare.analytics.engine import open_export
from ketacare.clinical.common import ClinicalRuleError
from ketacare.clinical.outcomes import DatedScore
from tests.analytics.export_builder import CraftedPatient, write_export

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(days: float) -> datetime:
    return T0 + timedelta(days=days)


PATIENTS = [
    CraftedPatient(1, None, stage_minutes={"screened": None, "eligible": None, "consented": None}),
    CraftedPatient(2, None, stage_minutes={"eligible": None, "consented": None}),
    CraftedPatient(3, None, stage_minutes={"consented": None}),
    CraftedPatient(4, None, sex="male"),  # consented, never treated
    CraftedPatient(
        5,
        T0,
        (
            DatedScore("phq9", 21, at(-1)),
            DatedScore("phq9", 9, at(6)),
            DatedScore("phq9", 3, at(9)),
        ),
        sessions=((at(0), "induction", 1), (at(3), "induction", 0), (at(40), "booster", 2)),
        adverse_events=((at(0), False), (at(3), True)),
    ),
    CraftedPatient(
        6,
        T0,
        (DatedScore("phq9", 14, at(-2)), DatedScore("phq9", 14, at(2))),
        route="esketamine_nasal",
        sessions=((at(0), "induction", 0),),
    ),
]


@pytest.fixture(scope="module")
def analytics(tmp_path_factory):
    return open_export(write_export(tmp_path_factory.mktemp("figures"), PATIENTS))


def test_funnel_counts_each_stage_or_beyond(analytics):
    (row,) = analytics.funnel()
    assert dict(row.stages) == {
        "referred": 6,
        "screened": 5,
        "eligible": 4,
        "consented": 3,
        "started": 2,
        "completed_induction": 0,
        "maintenance": 0,
    }
    by_sex = {r.group["sex"]: dict(r.stages)["consented"] for r in analytics.funnel(by=["sex"])}
    assert by_sex == {"female": 2, "male": 1}


def test_safety_rates_per_100_administered_sessions(analytics):
    rates = {r.group["route"]: r for r in analytics.safety_rates(by=["route"])}
    iv = rates["racemic_iv"]
    assert (iv.sessions, iv.adverse_events, iv.serious_adverse_events, iv.vital_alerts) == (
        3,
        2,
        1,
        3,
    )
    assert iv.adverse_events_per_100 == pytest.approx(200 / 3)
    assert rates["esketamine_nasal"].vital_alerts_per_100 == 0


def test_si_item_trajectory_by_week(analytics):
    points = {p.period: p for p in analytics.si_trajectory(instrument="phq9")}
    # the builder's SI item is total // 7: 21 -> 3, 14 -> 2, 9 -> 1, 3 -> 0
    assert sorted(points) == [-1, 0, 1]
    assert (points[-1].observations, points[-1].mean_item, points[-1].positive) == (2, 2.5, 2)
    assert (points[0].observations, points[0].patients, points[0].mean_item) == (2, 2, 1.5)
    assert (points[1].mean_item, points[1].positive) == (0.0, 0)
    assert all(p.suppressed for p in points.values())  # two patients: small cells


def test_si_item_needs_an_instrument_that_has_one(analytics):
    with pytest.raises(ClinicalRuleError):
        analytics.si_trajectory(instrument="gad7")
