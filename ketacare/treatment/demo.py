"""Demo data for eligibility, consent and plans, loaded by ``ketacare demo`` (deterministic).

Every clinic gets the default consent forms and one protocol choice the reference leaves to the
clinic, made here for the demo only: treatment resistance = 2 adequate failed trials. A handful
of patients at each clinic are screened (some turn out not eligible, and stay so), and the first
eligible ones get a course with a signed order, consent signed and countersigned, the checklist
started, and treatments booked from today, so the session app's today board has patients. Every
write goes through the services, so the audit trail reads like a real clinic's.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random

from django.utils import timezone

from ketacare.audit.services import RequestOrigin
from ketacare.core.errors import DomainError
from ketacare.core.models import Chair, Clinic, StaffMembership, User
from ketacare.core.roles import Role
from ketacare.patients.models import IntakeVersion, Patient
from ketacare.treatment import selectors, services
from ketacare.treatment.dose import DoseInput
from ketacare.treatment.models import TreatmentCourse

DEMO_TRD_TRIALS = 2  # a demo clinic's choice; the reference gives no number
COURSES_PER_CLINIC = (5, 2)
CANDIDATES = 40
# Staggered starts so one nurse never has two patients at once (each visit is 160 min for IV).
NURSE_SLOTS = (dt.time(8, 0), dt.time(10, 45), dt.time(13, 30))
OTHER_SLOTS = (dt.time(8, 30), dt.time(11, 15), dt.time(14, 0), dt.time(9, 15))
AFTERCARE = {
    "psychotherapy": "Integration session with your therapist within 48 hours of each infusion.",
    "medication_management": "Continue your antidepressant unchanged; review at the end of the "
    "first six infusions.",
    "exercise": "A 20–30 minute walk on most days.",
    "sleep": "Keep a regular bedtime; no screens in the hour before sleep.",
    "nutrition": "Regular meals; avoid alcohol on treatment days.",
    "stress": "Five minutes of slow breathing morning and evening.",
    "follow_up_treatments": "Response is reviewed after the sixth infusion; maintenance by "
    "response.",
    "monitoring_schedule": "PHQ-9 and GAD-7 before each treatment; C-SSRS at every visit.",
}


def _staff(clinic: Clinic, role: str) -> User | None:
    membership = (
        StaffMembership.objects.filter(clinic=clinic, role=role, active=True)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return membership.user if membership else None


def _complete_intake(patient: Patient) -> IntakeVersion | None:
    """Tick "this list is complete" on the demo-generated intake (v1, source demo).

    The demo generator predates those two questions, and an unticked box is read as unknown, so
    every demo screening would otherwise ask for them. Only demo-sourced versions are touched,
    before anything has read them; real intakes are never rewritten.
    """
    current = patient.intake_versions.order_by("-number").first()
    if current is None or current.source != IntakeVersion.Source.DEMO:
        return None
    data = {**current.data, "medications_complete": True, "antidepressant_history_complete": True}
    if patient.sex_at_birth == "male":
        data["pregnancy_possible"] = "no"
    IntakeVersion.objects.filter(pk=current.pk).update(data=data)
    current.data = data
    return current


def _course(
    patient: Patient, route: str, regimen: str, origin: RequestOrigin, now
) -> TreatmentCourse | None:
    screening = services.screening_run(
        patient=patient, route=route, indication="depression", origin=origin, at=now
    )
    if not screening.allows_treatment:
        return None
    try:
        return services.course_create(
            patient=patient,
            route=route,
            indication="depression",
            regimen_key=regimen,
            risk_benefit_note="Cautions reviewed with the patient; benefit outweighs the risks."
            if screening.outcome == "eligible_with_cautions"
            else "",
            origin=origin,
            at=now,
        )
    except DomainError:
        return None


def _prepare(course: TreatmentCourse, prescriber: User, nurse: User | None, now) -> None:
    doctor = RequestOrigin(actor=prescriber, actor_label=prescriber.username)
    if course.route == "esketamine_nasal":
        inputs = DoseInput(dose_mg=56)
        services.course_rems_enrol(
            course=course,
            enrolled_on=now.astimezone(course.clinic.zone).date(),
            enrolment_id=f"DEMO-{course.pk:05d}",
            origin=doctor,
            at=now,
        )
    else:
        inputs = DoseInput(dose_mg_per_kg=0.5, concentration_mg_per_ml=10, bag_volume_ml=100)
    order = services.order_draft(course=course, inputs=inputs, origin=doctor, at=now)
    services.order_sign(order=order, origin=doctor, at=now)
    document = selectors.consent_document_current(course.clinic, course.route, at=now)
    signature = services.consent_patient_sign(
        patient=course.patient,
        document=document,
        typed_name=course.patient.full_name,
        agreed=True,
        origin=RequestOrigin.system("patient portal (demo)"),
        at=now,
    )
    countersigner = nurse or prescriber
    services.consent_countersign(
        signature=signature,
        origin=RequestOrigin(actor=countersigner, actor_label=countersigner.username),
        at=now,
    )
    for key, note in (("medical_exam", "Normal examination (demo)"), ("escort", "Partner")):
        services.checklist_confirm(course=course, key=key, note=note, origin=doctor, at=now)
    services.aftercare_save(course=course, values=AFTERCARE, origin=doctor, at=now)
    services.course_move(course=course, to="induction", origin=doctor, at=now)


def _book(
    course: TreatmentCourse, chair: Chair, nurse: User | None, slot: dt.time, origin, day_start
) -> None:
    services.course_book_series(
        course=course,
        phase="induction",
        start=day_start.date(),
        time=slot,
        duration_minutes=selectors.default_duration_minutes(course),
        chair=chair,
        nurse=nurse,
        origin=origin,
        at=day_start,  # today's early slots count as bookable for the demo
    )


def load(*, rng: random.Random, clinics: list[Clinic]) -> None:
    now = timezone.now()
    for index, clinic in enumerate(clinics):
        prescriber = _staff(clinic, Role.PRESCRIBER)
        nurse = _staff(clinic, Role.NURSE)
        director = (
            StaffMembership.objects.filter(role=Role.MEDICAL_DIRECTOR, active=True)
            .select_related("user")
            .order_by("pk")
            .first()
        )
        system = RequestOrigin.system("ketacare demo")
        services.consent_documents_ensure(
            clinic=clinic, on=now.astimezone(clinic.zone).date(), origin=system
        )
        services.protocol_setting_set(
            clinic=clinic,
            key="trd.required_adequate_trials",
            value=DEMO_TRD_TRIALS,
            origin=RequestOrigin(actor=director.user, actor_label=director.user.username)
            if director
            else system,
            at=now,
        )
        if prescriber is None:
            continue
        origin = RequestOrigin(actor=prescriber, actor_label=prescriber.username)
        wanted = COURSES_PER_CLINIC[min(index, len(COURSES_PER_CLINIC) - 1)]
        pool = [
            version.patient
            for version in IntakeVersion.objects.filter(
                patient__clinic=clinic, status="signed", source=IntakeVersion.Source.DEMO
            )
            .select_related("patient")
            .order_by("patient_id")[: CANDIDATES * 3]
            if any(d["code"].startswith(("F32", "F33")) for d in version.data["diagnoses"])
        ]
        portal = [p for p in pool if p.portal_user_id]
        rest = [p for p in pool if not p.portal_user_id]
        candidates = portal + rng.sample(rest, k=min(CANDIDATES, len(rest)))
        zone = clinic.zone
        day_start = dt.datetime.combine(now.astimezone(zone).date(), dt.time(7, 0), tzinfo=zone)
        chairs = list(Chair.objects.filter(clinic=clinic, active=True).order_by("name"))
        made = 0
        esketamine_done = False
        for patient in candidates:
            if made >= wanted:
                break
            if _complete_intake(patient) is None:
                continue
            course = None
            if made >= 2 and not esketamine_done:  # one esketamine course per clinic, if any
                course = _course(patient, "esketamine_nasal", "esketamine-trd", origin, now)
                esketamine_done = course is not None
            if course is None:
                course = _course(patient, "racemic_iv", "iv-depression", origin, now)
            if course is None:
                continue
            with_nurse = made < len(NURSE_SLOTS)
            slot = NURSE_SLOTS[made] if with_nurse else OTHER_SLOTS[made % len(OTHER_SLOTS)]
            _prepare(course, prescriber, nurse, now)
            # A clash with an earlier demo course leaves this one unbooked, as a clinic would.
            with contextlib.suppress(DomainError):
                _book(
                    course,
                    chairs[made % len(chairs)],
                    nurse if with_nurse else None,
                    slot,
                    origin,
                    day_start,
                )
            made += 1
