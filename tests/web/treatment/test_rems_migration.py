"""REMS enrolment recorded on courses folds into the patient's one record without losing a
recorded enrolment and without overriding a patient's "not enrolled"."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [
    ("treatment", "0003_protocol_settings_to_clinic_settings"),
    ("treatment_sessions", "0003_monitoring_settings_to_clinic_settings"),
]
AFTER = [("treatment", "0004_rems_enrolment_once_per_patient")]


@pytest.mark.django_db(transaction=True)
def test_course_enrolments_fold_into_the_patients_one_record():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    organisation = old.get_model("core", "Organisation").objects.create(name="Net", slug="net")
    clinic = old.get_model("core", "Clinic").objects.create(
        organisation=organisation, name="Harbor", slug="harbor"
    )
    user = old.get_model("core", "User").objects.create(username="doc")
    now = timezone.now()

    def patient(mrn: str):
        return old.get_model("patients", "Patient").objects.create(
            clinic=clinic, mrn=mrn, first_name="A", last_name=mrn,
            date_of_birth=dt.date(1980, 1, 1), sex_at_birth="female", created_at=now,
        )  # fmt: skip

    def course(p, enrolled_on, number):
        return old.get_model("treatment", "TreatmentCourse").objects.create(
            clinic=clinic, patient=p, route="esketamine_nasal", indication="depression",
            regimen_key="esketamine-trd", created_at=now, created_by=user,
            rems_enrolled_on=enrolled_on, rems_enrolment_id=number,
        )  # fmt: skip

    only_course, both_enrolled, withdrawn = patient("M1"), patient("M2"), patient("M3")
    course(only_course, dt.date(2025, 3, 1), "RMS-1")
    course(both_enrolled, dt.date(2025, 3, 2), "RMS-2")
    course(withdrawn, dt.date(2025, 3, 3), "RMS-3")
    enrolment = old.get_model("treatment_sessions", "RemsEnrolment")
    enrolment.objects.create(
        patient=both_enrolled, status="enrolled", enrolled_on=dt.date(2025, 2, 1), updated_at=now
    )
    enrolment.objects.create(patient=withdrawn, status="not_enrolled", updated_at=now)

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    rows = {
        r.patient_id: r for r in new.get_model("treatment", "RemsEnrolment").objects.all()
    }
    assert (rows[only_course.pk].status, rows[only_course.pk].enrolled_on) == (
        "enrolled", dt.date(2025, 3, 1),
    )  # fmt: skip
    assert rows[only_course.pk].enrolment_id == "RMS-1"
    assert rows[both_enrolled.pk].enrolled_on == dt.date(2025, 2, 1)  # its own date stands
    assert rows[both_enrolled.pk].enrolment_id == "RMS-2"
    assert rows[withdrawn.pk].status == "not_enrolled"  # the safer reading stands
    assert "2025-03-03 RMS-3" in rows[withdrawn.pk].note
    executor.loader.build_graph()
    MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes())
