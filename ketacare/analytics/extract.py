"""From the live database to the export's five tables (``ketacare.analytics.layout``).

One extraction serves the dashboard (in memory, for the clinics a director sees), the API and
the de-identified export, so the three give the same numbers. Everything is read through the
owning apps' selectors, clinic by clinic, a few queries per table (never one per patient).

Times become whole minutes from a per-patient reference point: registration in memory; for an
export, registration less a random shift kept only in the protected mapping (``pseudonyms``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ketacare.analytics.derived import derive, derived_columns
from ketacare.analytics.layout import TABLES, age_band, observations_table
from ketacare.assessments.selectors import responses_in_scope
from ketacare.audit.selectors import field_history
from ketacare.core.access import Access
from ketacare.core.models import Clinic
from ketacare.patients.selectors import latest_intake_data, patients_in_scope
from ketacare.sessions.selectors.sessions import (
    sessions_in_scope,
    side_effects_in_scope,
    vital_alert_counts,
)
from ketacare.treatment.models import Appointment
from ketacare.treatment.selectors.treatment import (
    consents_in_scope,
    courses_in_scope,
    screenings_in_scope,
    treatment_appointments_in_scope,
)

# The suicidal-ideation item of each instrument, as an index into its answers.
SI_ITEM_INDEX = {"phq9": 8, "madrs": 9, "qids_sr16": 11}
ELIGIBLE_OUTCOMES = ("eligible", "eligible_with_cautions")


def clinic_access(clinic: Clinic) -> Access:
    """The read scope of one clinic, for extractions made outside a request (commands)."""
    return Access(user=None, clinic=clinic, clinic_ids=frozenset({clinic.pk}), clinics=(clinic,))


@dataclass
class Tables:
    """The five tables as columns (lists), ready for ``layout.as_arrow`` / ``write_table``."""

    columns: dict[str, dict[str, Any]] = field(default_factory=dict)  # lists, derived: arrays

    def add(self, table: str, rows: Iterable[dict[str, Any]]) -> None:
        target = self.columns.setdefault(table, defaultdict(list))
        for row in rows:
            for name, value in row.items():
                target[name].append(value)


def _minutes(moment: dt.datetime | None, reference: dt.datetime) -> int | None:
    if moment is None:
        return None
    return int((moment - reference).total_seconds() // 60)


def _age(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _first(rows: Iterable[tuple[int, dt.datetime]]) -> dict[int, dt.datetime]:
    earliest: dict[int, dt.datetime] = {}
    for key, moment in rows:
        if moment is not None and (key not in earliest or moment < earliest[key]):
            earliest[key] = moment
    return earliest


@dataclass(frozen=True)
class Ids:
    """How records are named in the tables: database ids in memory, random surrogates in an
    export (``pseudonyms.Surrogates``)."""

    patient: Any = None
    clinic: Any = None
    course: Any = None
    session: Any = None
    event: Any = None
    shift_minutes: Any = None  # patient id -> minutes the reference point lies before registration


def _same(value: int) -> int:
    return value


def _no_shift(_: int) -> int:
    return 0


IN_MEMORY = Ids(_same, _same, _same, _same, _same, _no_shift)


def extract(clinics: Iterable[Clinic], *, now: dt.datetime, ids: Ids = IN_MEMORY) -> Tables:
    """The five tables for ``clinics`` as the record stands at ``now``."""
    tables = Tables()
    observations: list[dict[str, Any]] = []
    for clinic in clinics:
        _clinic(clinic_access(clinic), tables, observations, now=now, ids=ids)
    tables.columns["observations"] = observations_table(observations)
    for table, schema in TABLES.items():  # empty tables still carry every column
        columns = tables.columns.setdefault(table, defaultdict(list))
        for name in schema.names:
            if name not in derived_columns(table):
                columns.setdefault(name, [])
    courses, scores = derive(tables.columns["courses"], tables.columns["observations"])
    tables.columns["courses"], tables.columns["observations"] = courses, scores
    return tables


def _clinic(access: Access, tables: Tables, observations: list, *, now, ids: Ids) -> None:
    patients = list(
        patients_in_scope(access).values_list(
            "pk", "sex_at_birth", "date_of_birth", "state", "created_at"
        )
    )
    if not patients:
        return
    patient_ids = [p[0] for p in patients]
    reference = {
        pk: created - dt.timedelta(minutes=ids.shift_minutes(pk))
        for pk, _, _, _, created in patients
    }
    screened = _first(screenings_in_scope(access).values_list("patient_id", "screened_at"))
    eligible = _first(
        screenings_in_scope(access)
        .filter(outcome__in=ELIGIBLE_OUTCOMES)
        .values_list("patient_id", "screened_at")
    )
    consented = _first(
        consents_in_scope(access)
        .filter(clinician_signed_at__isnull=False, revoked_at__isnull=True)
        .values_list("patient_id", "patient_signed_at")
    )
    intakes = latest_intake_data(patient_ids)
    courses = list(
        courses_in_scope(access).values_list("pk", "patient_id", "route", "indication", "ended_on")
    )
    course_ids = [c[0] for c in courses]
    phases: dict[int, list[tuple[dt.datetime, str]]] = defaultdict(list)
    for object_id, at, phase in field_history("course", course_ids, "phase"):
        phases[int(object_id)].append((at, str(phase)))
    appointments = list(
        treatment_appointments_in_scope(access, until=now).values_list(
            "pk", "course_id", "patient_id", "starts_at", "status"
        )
    )
    dosed = dict(
        sessions_in_scope(access)
        .filter(dosing_started_at__isnull=False)
        .values_list("appointment_id", "pk")
    )
    alerts_by_session = vital_alert_counts(access)
    first_treatment = _first((a[1], a[3]) for a in appointments)

    first_treated: dict[int, dt.datetime] = {}
    for course_id, patient_id, *_ in courses:
        if course_id in first_treatment:
            moment = first_treatment[course_id]
            if patient_id not in first_treated or moment < first_treated[patient_id]:
                first_treated[patient_id] = moment
    tables.add(
        "patients",
        (
            {
                "patient_id": ids.patient(pk),
                "clinic_id": ids.clinic(access.clinic.pk),
                "sex": sex or "unknown",
                "age_band": age_band(_age(born, (first_treated.get(pk) or created).date())),
                "state": (state or "").strip().upper()[:2] or None,
                "prior_trials": _prior_trials(intakes.get(pk)),
                "referred_min": _minutes(created, reference[pk]),
                "screened_min": _minutes(screened.get(pk), reference[pk]),
                "eligible_min": _minutes(eligible.get(pk), reference[pk]),
                "consented_min": _minutes(consented.get(pk), reference[pk]),
            }
            for pk, sex, born, state, created in patients
        ),
    )
    course_patient = {c[0]: c[1] for c in courses}
    tables.add(
        "courses",
        (
            {
                "course_id": ids.course(course_id),
                "patient_id": ids.patient(patient_id),
                "clinic_id": ids.clinic(access.clinic.pk),
                "route": route,
                "indication": indication,
                "first_treatment_min": _minutes(
                    first_treatment.get(course_id), reference[patient_id]
                ),
                "induction_completed_min": _minutes(
                    _entered(phases[course_id], ("evaluation", "maintenance")),
                    reference[patient_id],
                ),
                "maintenance_started_min": _minutes(
                    _entered(phases[course_id], ("maintenance",)), reference[patient_id]
                ),
                "ended_min": _minutes(
                    _entered(phases[course_id], ("completed",)), reference[patient_id]
                )
                if ended_on
                else None,
            }
            for course_id, patient_id, route, indication, ended_on in courses
        ),
    )
    tables.add(
        "sessions",
        (
            {
                "session_id": ids.session(pk),
                "course_id": ids.course(course_id),
                "patient_id": ids.patient(patient_id),
                "at_min": _minutes(starts_at, reference[patient_id]),
                "phase": _phase_at(phases[course_id], starts_at),
                "administered": status == Appointment.Status.COMPLETED or pk in dosed,
                "dose_mg": None,
                "vital_alerts": alerts_by_session.get(dosed.get(pk, -1), 0),
            }
            for pk, course_id, patient_id, starts_at, status in appointments
            if course_id in course_patient
        ),
    )
    for patient_id, instrument, completed_at, total, answers in (
        responses_in_scope(access)
        .filter(total__isnull=False, completed_at__lte=now)
        .order_by("patient_id", "instrument", "completed_at", "version", "pk")
        .values_list("patient_id", "instrument", "completed_at", "total", "answers")
    ):
        index = SI_ITEM_INDEX.get(instrument)
        observations.append(
            {
                "patient_id": ids.patient(patient_id),
                "instrument": instrument,
                "at_min": _minutes(completed_at, reference[patient_id]),
                "score": total,
                "si_item": answers[index] if index is not None and len(answers) > index else None,
            }
        )
    session_appointment = {
        session_pk: appointment_pk for appointment_pk, session_pk in dosed.items()
    }
    appointment_course = {a[0]: a[1] for a in appointments}
    tables.add(
        "adverse_events",
        (
            {
                "event_id": ids.event(pk),
                "patient_id": ids.patient(patient_id),
                "course_id": ids.course(appointment_course[session_appointment[session_id]])
                if session_appointment.get(session_id) in appointment_course
                else None,
                "session_id": ids.session(session_appointment[session_id])
                if session_id in session_appointment
                else None,
                "at_min": _minutes(observed_at, reference[patient_id]),
                "category": effect,
                "severity": severity,
                "serious": serious,
            }
            for pk, session_id, patient_id, observed_at, effect, severity, serious in (
                side_effects_in_scope(access).values_list(
                    "pk",
                    "session_id",
                    "session__patient_id",
                    "observed_at",
                    "effect",
                    "severity",
                    "serious_adverse_event",
                )
            )
        ),
    )


def _prior_trials(intake: dict | None) -> int | None:
    if not intake:
        return None
    trials = intake.get("antidepressant_trials")
    return len(trials) if isinstance(trials, list) else None


def _entered(history: list[tuple[dt.datetime, str]], phases: tuple[str, ...]) -> dt.datetime | None:
    for at, phase in history:
        if phase in phases:
            return at
    return None


def _phase_at(history: list[tuple[dt.datetime, str]], moment: dt.datetime) -> str:
    """The course's phase at a session: booster or maintenance once entered, else induction."""
    current = "induction"
    for at, phase in history:
        if at > moment:
            break
        if phase in ("maintenance", "booster"):
            current = phase
        elif phase == "induction":
            current = "induction"
    return current
