"""The REMS Patient Monitoring Form as the flat record the sessions app exports (CSV and JSON)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from ketacare.clinical.monitoring import VitalsReading
from ketacare.clinical.rems import CONCOMITANT_CLASSES, PatientMonitoringForm, form_from_session
from ketacare.sessions.clinical_records import REMS_FORM_KEYS, rems_form_record

NEW_YORK = ZoneInfo("America/New_York")
FIRST_DEVICE = datetime(2025, 3, 4, 14, 0, tzinfo=UTC)  # 09:00 in New York


def after(minutes: float) -> datetime:
    return FIRST_DEVICE + timedelta(minutes=minutes)


def bp(minutes: float, sys_mmhg: int, dia_mmhg: int) -> VitalsReading:
    return VitalsReading(taken_at=after(minutes), systolic_mmhg=sys_mmhg, diastolic_mmhg=dia_mmhg)


def session_form() -> PatientMonitoringForm:
    return form_from_session(
        clinic_zone=NEW_YORK,
        first_device_at=FIRST_DEVICE,
        monitoring_ended_at=after(125),
        ready_to_leave_at=after(90),
        dose_mg=56,
        lot_number="LOT123",
        first_treatment=False,
        concomitant=dict.fromkeys(CONCOMITANT_CLASSES, False),
        patient_name="Alex Doe",
        patient_date_of_birth=date(1980, 5, 17),
        patient_sex="female",
        pre_dose=bp(-5, 128, 82),
        post_dose_40_min=bp(40, 146, 90),
        before_completion=bp(120, 130, 84),
    )


# --- the export ----------------------------------------------------------------------------------

EXPECTED_KEYS = (
    "patient_name",
    "patient_date_of_birth",
    "patient_sex",
    "first_treatment",
    "enrolled",
    "concomitant_benzodiazepines",
    "concomitant_non_benzodiazepine_sedative_hypnotics",
    "concomitant_psychostimulants",
    "concomitant_maois",
    "concomitant_opioids",
    "monitoring_hcp_name",
    "monitoring_hcp_phone",
    "monitoring_hcp_email",
    "setting_name",
    "setting_address",
    "treatment_date",
    "dose",
    "dose_other_mg",
    "lot_number",
    "total_monitoring_minutes",
    "ready_to_leave_minutes",
    "vitals_acceptable_before_administration",
    "vitals_acceptable_before_completion",
    "bp_pre_dose_systolic_mmhg",
    "bp_pre_dose_diastolic_mmhg",
    "bp_40_min_post_dose_systolic_mmhg",
    "bp_40_min_post_dose_diastolic_mmhg",
    "bp_before_completion_systolic_mmhg",
    "bp_before_completion_diastolic_mmhg",
    "sedation_occurred",
    "sedation_resolved",
    "dissociation_occurred",
    "dissociation_resolved",
    "respiratory_depression_occurred",
    "respiratory_depression_resolved",
    "adverse_events_occurred",
    "adverse_events_description",
    "submitted_on",
    "submission_due_on",
)


def test_export_field_names_are_stable():
    assert REMS_FORM_KEYS == EXPECTED_KEYS
    assert tuple(rems_form_record(session_form())) == EXPECTED_KEYS


def test_export_is_json_and_csv_friendly():
    data = rems_form_record(session_form())
    assert json.loads(json.dumps(data)) == data
    assert data["treatment_date"] == "2025-03-04"
    assert data["submission_due_on"] == "2025-03-11"
    assert data["dose"] == "56"
    assert data["first_treatment"] == "no"
    assert data["bp_40_min_post_dose_systolic_mmhg"] == 146
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=REMS_FORM_KEYS)
    writer.writeheader()
    writer.writerow(data)
    assert buffer.getvalue().splitlines()[0].startswith("patient_name,patient_date_of_birth")


def test_a_blank_form_exports_every_column_empty():
    data = rems_form_record(PatientMonitoringForm())
    assert tuple(data) == EXPECTED_KEYS
    assert data["submission_due_on"] is None and data["bp_pre_dose_systolic_mmhg"] is None
