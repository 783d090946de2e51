"""Urinary checklist, cognition, liver tests, due items and misuse signals (pure core)."""

from __future__ import annotations

import datetime as dt

import pytest

from ketacare.clinical.common import ClinicalRuleError
from ketacare.clinical.longterm import (
    AtHomeLog,
    Dispensed,
    DueStatus,
    checklist_items,
    cognition_change,
    cognition_due,
    continuation_due,
    dispensing_limit_check,
    doses_above_order,
    early_requests,
    ledger_corrections,
    liver_abnormal,
    liver_due,
    logged_beyond_dispensed,
    substance_use_reports,
    urinary_due,
    urinary_positive,
)
from ketacare.clinical.longterm.settings import SETTINGS, URINARY_CHECKLIST

AT = dt.datetime(2026, 6, 30, 12, 0, tzinfo=dt.UTC)


def ago(days: float) -> dt.datetime:
    return AT - dt.timedelta(days=days)


def test_every_number_setting_has_no_default_the_reference_is_silent():
    assert all(s.value is None for s in SETTINGS if s is not URINARY_CHECKLIST)
    assert not URINARY_CHECKLIST.provenance.verified  # shown as unverified until confirmed


def test_checklist_is_the_clinics_and_any_yes_is_positive():
    items = checklist_items(URINARY_CHECKLIST.value)
    assert items == (
        "frequency",
        "urgency",
        "pain on passing urine",
        "blood in urine",
        "suprapubic pain",
    )
    assert urinary_positive(dict.fromkeys(items, False)) == ()
    assert urinary_positive({**dict.fromkeys(items, False), "urgency": True}) == ("urgency",)
    with pytest.raises(ClinicalRuleError):
        checklist_items(" , ")


@pytest.mark.parametrize(
    ("every_visit", "interval", "last", "visit", "status"),
    [
        (True, None, None, ago(0.01), DueStatus.DUE),  # esketamine: every visit, label
        (True, None, ago(0.005), ago(0.01), DueStatus.NOT_DUE),  # asked in this visit
        (True, None, ago(3), ago(0.01), DueStatus.DUE),  # asked at the last visit only
        (True, None, None, None, DueStatus.NOT_DUE),  # not in a visit: asked at the next
        (False, None, None, ago(0.01), DueStatus.NOT_CONFIGURED),  # racemic, no interval set
        (False, 28, None, None, DueStatus.DUE),
        (False, 28, ago(10), None, DueStatus.NOT_DUE),
        (False, 28, ago(28), None, DueStatus.DUE),
        (False, 0, ago(3), ago(0.01), DueStatus.DUE),  # 0 days: every visit
    ],
)
def test_urinary_due(every_visit, interval, last, visit, status):
    due = urinary_due(
        every_visit=every_visit,
        interval_days=interval,
        last_at=last,
        visit_started_at=visit,
        at=AT,
    )
    assert due.status is status
    if status is DueStatus.NOT_CONFIGURED:
        assert "Not configured" in due.reason


@pytest.mark.parametrize(
    ("baseline", "latest", "worse_when", "points", "worse"),
    [
        (28, 25, "lower", 2, True),
        (28, 27, "lower", 2, False),
        (28, 30, "lower", 2, False),
        (10, 13, "higher", 3, True),
        (10, 13, None, 3, None),  # not configured: recorded, not judged
        (10, 13, "higher", None, None),
    ],
)
def test_cognition_change_uses_only_the_clinics_direction_and_points(
    baseline, latest, worse_when, points, worse
):
    judged = cognition_change(
        baseline=baseline, latest=latest, worse_when=worse_when, worsening_points=points
    )
    assert judged.worse is worse
    assert judged.change == latest - baseline


def test_cognition_baseline_is_due_first_then_the_interval():
    assert cognition_due(baseline_at=None, last_at=None, interval_days=None, at=AT).is_due
    assert (
        cognition_due(baseline_at=ago(5), last_at=ago(5), interval_days=None, at=AT).status
        is DueStatus.NOT_CONFIGURED
    )
    assert cognition_due(baseline_at=ago(100), last_at=ago(91), interval_days=90, at=AT).is_due


@pytest.mark.parametrize(
    ("value", "flag", "lower", "upper", "clinic", "abnormal"),
    [
        (30, "normal", 7, 56, None, False),
        (30, "high", None, None, None, True),  # the lab's flag
        (60, "", 7, 56, None, True),  # the lab's range
        (50, "", None, None, 40, True),  # the clinic's limit
        (50, "", None, None, None, False),  # nothing to judge by: not abnormal
    ],
)
def test_liver_abnormal(value, flag, lower, upper, clinic, abnormal):
    reasons = liver_abnormal(
        value=value, lab_flag=flag, lab_lower=lower, lab_upper=upper, clinic_upper=clinic
    )
    assert bool(reasons) is abnormal


def test_liver_due_for_prolonged_treatment_only():
    kw = {"last_result_at": None, "interval_days": 180, "at": AT}
    assert liver_due(first_dose_at=ago(400), prolonged_after_days=None, **kw).status is (
        DueStatus.NOT_CONFIGURED
    )
    assert liver_due(first_dose_at=ago(30), prolonged_after_days=90, **kw).status is (
        DueStatus.NOT_DUE
    )
    missing = liver_due(first_dose_at=ago(100), prolonged_after_days=90, **kw)
    assert missing.is_due and "no liver function results" in missing.reason
    kw["last_result_at"] = ago(10)
    assert not liver_due(first_dose_at=ago(100), prolonged_after_days=90, **kw).is_due


def test_continuation_review_due():
    assert (
        continuation_due(
            first_dose_at=ago(10), last_review_at=None, interval_days=None, at=AT
        ).status
        is DueStatus.NOT_CONFIGURED
    )
    assert continuation_due(
        first_dose_at=ago(100), last_review_at=None, interval_days=90, at=AT
    ).is_due
    assert not continuation_due(
        first_dose_at=ago(100), last_review_at=ago(5), interval_days=90, at=AT
    ).is_due


def test_early_request_when_earlier_supply_not_logged():
    dispensed = [Dispensed("d1", ago(20), 300), Dispensed("d2", ago(10), 300)]
    logs = [AtHomeLog(f"l{i}", ago(19 - i), 100, 100) for i in range(2)]  # 200 of 300 logged
    found = early_requests(dispensed, logs)
    assert [(f.kind, f.key, f.evidence["unaccounted_mg"]) for f in found] == [
        ("early_request", "d2", 100)
    ]
    logs.append(AtHomeLog("l2", ago(11), 100, 100))
    assert early_requests(dispensed, logs) == []


def test_dose_above_order_and_logged_beyond_dispensed():
    logs = [AtHomeLog("l1", ago(5), 100, 100), AtHomeLog("l2", ago(3), 150, 100)]
    assert [f.key for f in doses_above_order(logs)] == ["l2"]
    assert logged_beyond_dispensed([], logs) == []  # no ledger dispensing: nothing to compare
    found = logged_beyond_dispensed([Dispensed("d1", ago(6), 200)], logs)
    assert [(f.key, f.evidence["logged_taken_mg"]) for f in found] == [("l2", 250)]


def test_prechecks_and_ledger_corrections_become_signals():
    assert substance_use_reports([("session:4", ago(1))])[0].kind == "substance_use_at_prechecks"
    found = ledger_corrections([("entry:9", ago(1), "dispense", 100.0)])
    assert found[0].kind == "ledger_correction" and found[0].evidence["corrected_kind"] == (
        "dispense"
    )


def test_dispensing_limit():
    earlier = [Dispensed("d1", ago(20), 300), Dispensed("d0", ago(40), 300)]
    ok = dispensing_limit_check(earlier=earlier, this_mg=300, at=AT, limit_mg=600, period_days=30)
    assert ok.within and ok.period_total_mg == 600
    over = dispensing_limit_check(earlier=earlier, this_mg=301, at=AT, limit_mg=600, period_days=30)
    assert not over.within and "above the prescriber's limit of 600 mg" in over.message
    with pytest.raises(ClinicalRuleError):
        dispensing_limit_check(earlier=[], this_mg=1, at=AT, limit_mg=0, period_days=30)


def test_current_drug_use_on_the_intake_is_a_signal():
    from ketacare.clinical.longterm import intake_substance_use

    found = intake_substance_use([("intake:3", ago(2))])
    assert [(f.kind, f.key) for f in found] == [("substance_use_on_intake", "intake:3")]
    assert intake_substance_use([]) == []
