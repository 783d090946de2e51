"""Outcomes on the chart: trajectory charts (severity bands, treatment markers), the table view,
and the course status with the rule that decided it — all from ``clinical.outcomes``."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db

D = dt.timedelta(days=1)


@pytest.fixture
def treatments(monkeypatch):
    """Treatment times, as the treatment app will provide them."""
    from ketacare.assessments import treatments as provider

    times: list[dt.datetime] = []
    monkeypatch.setattr(provider, "_provider", lambda: lambda patient: times)
    return times


@pytest.fixture
def responder(patient, make_plan, submit, treatments):
    """PHQ-9 19 at baseline, then 12, then 8 after the first treatment: a responder."""
    now = timezone.now()
    first = now - 20 * D
    treatments.extend([first, first + 2 * D, first + 4 * D])
    make_plan(patient, started_at=first - 3 * D)
    for days, answers in (
        (-2, [3, 3, 2, 2, 2, 2, 2, 2, 1]),
        (5, [2, 2, 1, 1, 1, 1, 2, 2, 0]),
        (14, [1, 1, 1, 1, 1, 1, 1, 1, 0]),
    ):
        submit(patient, "phq9", answers, completed_at=first + days * D)
    submit(patient, "cssrs_screen", [0] * 7, completed_at=first - D)
    return patient


def test_chart_panel_shows_trajectory_bands_markers_table_and_status(responder, client_for):
    html = client_for("prescriber").get(f"/patients/{responder.pk}/").content.decode()
    assert "Measurement-based care" in html
    assert '<svg class="trajectory-chart"' in html and 'role="img"' in html
    for band in ("minimal", "mild", "moderate", "moderately severe", "severe"):
        assert f"{band}</text>" in html
    assert html.count('<g class="treatment">') == 3 and "Treatment 1 — " in html
    assert 'class="point baseline"' in html
    assert "Responder" in html and "fell 58 %" in html  # 19 -> 8
    assert "Decided by: S3, S16, S29" in html
    assert "Table view" in html and "moderately severe" in html
    assert "C-SSRS Screener is categorical" in html
    assert "style=" not in html.split("Measurement-based care", 1)[1]  # CSP: no inline styles
    assert "<script>" not in html


def test_trajectories_api_gives_points_status_and_provenance(responder, client_for):
    rows = (
        client_for("nurse").get(f"/api/v1/assessments/patients/{responder.pk}/trajectories").json()
    )
    phq9 = next(r for r in rows if r["instrument"] == "phq9")
    assert [p["total"] for p in phq9["points"]] == [19, 12, 8]
    assert len(phq9["treatments"]) == 3
    status = phq9["status"]
    assert status["state"] == "responder" and status["baseline"]["total"] == 19
    assert status["provenance"]["sources"] == ["S3", "S16", "S29"]
    assert status["provenance"]["verified"] is True
    assert status["remission"]["met"] is False and "< 5" in status["remission"]["reason"]
    assert "Rapid response" in phq9["rapid_response_note"]  # off until the clinic sets a window
    cssrs = next(r for r in rows if r["instrument"] == "cssrs_screen")
    assert cssrs["status"] is None and cssrs["points"][0]["severity"] == "none"


def test_rapid_response_appears_once_the_clinic_sets_its_window(
    responder, client_for, clinic, staff_origin
):
    from ketacare.assessments.services import settings_update

    settings_update(
        clinic=clinic, values={"rapid_response_window_hours": 48},
        origin=staff_origin(),
        at=timezone.now(),
    )
    rows = (
        client_for("nurse").get(f"/api/v1/assessments/patients/{responder.pk}/trajectories").json()
    )
    rapid = next(r for r in rows if r["instrument"] == "phq9")["rapid_response"]
    assert [r["time_point"] for r in rapid] == ["24 h", "1 week"]
    assert rapid[1]["judgement"]["met"] is False  # day 5 (within 48 h of 1 week): 19 -> 12, 37 %


def test_a_clinic_remission_setting_changes_the_status(
    patient, make_plan, submit, treatments, client_for, clinic, staff_origin
):
    from ketacare.assessments.services import settings_update

    first = timezone.now() - 10 * D
    treatments.append(first)
    submit(patient, "madrs", [4] * 10, completed_at=first - D)  # 40
    submit(patient, "madrs", [1] * 9 + [3], completed_at=first + 5 * D)  # 12
    status = lambda: next(  # noqa: E731
        r
        for r in client_for("nurse")
        .get(f"/api/v1/assessments/patients/{patient.pk}/trajectories")
        .json()
        if r["instrument"] == "madrs"
    )["status"]
    assert status()["state"] == "responder"
    settings_update(
        clinic=clinic, values={"remission_madrs": 12}, origin=staff_origin(), at=timezone.now()
    )
    assert status()["state"] == "remitter" and "S18" in status()["provenance"]["cite"]


def test_without_treatments_the_status_says_why(patient, submit, client_for, treatments):
    submit(patient, "phq9", [1] * 9)
    html = client_for("nurse").get(f"/assessments/patients/{patient.pk}/").content.decode()
    assert "needs the time of the first treatment" in html
    assert '<svg class="trajectory-chart"' in html


def test_chart_panel_is_left_out_for_front_desk(responder, client_for):
    html = client_for("front_desk").get(f"/patients/{responder.pk}/").content.decode()
    assert "Measurement-based care" not in html
