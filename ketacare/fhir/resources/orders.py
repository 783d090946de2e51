"""The treatment record around the sessions: MedicationRequest (signed orders), CarePlan
(treatment courses with their aftercare plans), Consent (signed consents) and Appointment."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.db.models.functions import Coalesce

from ketacare.clinical.common import ROUTE_LABELS, Route
from ketacare.core.roles import Capability
from ketacare.fhir import terminology as t
from ketacare.fhir.registry import Include, ResourceType, param, patient_params, refs_at, register
from ketacare.fhir.resources.intake import PATIENT_INCLUDE, SUBJECT_INCLUDE
from ketacare.fhir.sources import (
    BY_PK,
    Build,
    CodeMap,
    Constant,
    DateField,
    ReferenceField,
    Source,
    TokenField,
    int_id,
    patient_filters,
    patient_reference,
    prefixed_id,
)
from ketacare.treatment.models import INDICATION_LABELS
from ketacare.treatment.selectors.treatment import (
    appointments_in_scope,
    consents_in_scope,
    courses_in_scope,
    orders_in_scope,
)


def route_label(route: str) -> str:
    try:
        return ROUTE_LABELS[Route(route)]
    except ValueError:
        return route


def drug_of(route: str) -> str:
    return "Esketamine nasal spray" if route == Route.ESKETAMINE_NASAL else "Ketamine hydrochloride"


def mg(value) -> dict[str, Any] | None:
    if value is None:
        return None
    return {"value": float(value), "unit": "mg", "system": t.UCUM, "code": "mg"}


def ml_per_hour(value) -> dict[str, Any] | None:
    if value is None:
        return None
    return {"value": float(value), "unit": "mL/h", "system": t.UCUM, "code": "mL/h"}


# --- MedicationRequest: signed orders ---------------------------------------------------------

ORDER_STATUS = {"active": ["signed"], "stopped": ["superseded"], "cancelled": ["cancelled"]}
REQUEST_STATUS = {stored: fhir for fhir, values in ORDER_STATUS.items() for stored in values}


def build_order(order, build: Build) -> dict[str, Any]:
    details = [f"{order.dose_mg} mg {route_label(order.route)}"]
    if order.infusion_minutes:
        details.append(f"over {order.infusion_minutes} min")
    details.append(f"{order.sessions_authorised} session(s) authorised")
    return t.compact(
        {
            "resourceType": "MedicationRequest",
            "id": str(order.pk),
            "status": REQUEST_STATUS.get(order.status, "unknown"),
            "intent": "order",
            "medicationCodeableConcept": t.text_concept(drug_of(order.route)),
            "subject": t.ref("Patient", order.patient_id),
            "authoredOn": t.when(order.signed_at),
            "requester": t.ref("Practitioner", order.signed_by_id),
            "reasonCode": [t.text_concept(INDICATION_LABELS.get(order.course.indication, ""))],
            "basedOn": [t.ref("CarePlan", order.course_id)],
            "priorPrescription": t.ref("MedicationRequest", order.supersedes_id)
            if order.supersedes_id
            else None,
            "dosageInstruction": [
                {
                    "text": "; ".join(details)
                    + (f". {order.instructions}" if order.instructions else ""),
                    "route": t.text_concept(route_label(order.route)),
                    "doseAndRate": [
                        {
                            "doseQuantity": mg(order.dose_mg),
                            "rateQuantity": ml_per_hour(order.rate_ml_per_h),
                        }
                    ],
                }
            ],
            "note": [{"text": f"Titration: {order.titration_reason}"}]
            if order.titration_reason
            else [],
        }
    )


ORDERS = Source(
    name="orders",
    rows=orders_in_scope,
    **BY_PK,
    build=build_order,
    patient="patient_id",
    related=("course",),
    # Superseding or cancelling an order records no time of its own.
    updated="signed_at",
    updated_exact=False,
    filters={
        **patient_filters("patient_id"),
        "status": TokenField("status", None, ORDER_STATUS),
        "intent": Constant("http://hl7.org/fhir/CodeSystem/medicationrequest-intent", "order"),
        "authoredon": DateField("signed_at"),
        "requester": ReferenceField({"Practitioner": ("signed_by_id", int_id)}),
    },
)


# --- CarePlan: treatment courses and their aftercare -------------------------------------------

COURSE_STATUS = {
    "active": ["planned", "induction", "evaluation", "maintenance", "booster"],
    "on-hold": ["paused"],
    "completed": ["completed"],
}
PLAN_STATUS = {stored: fhir for fhir, values in COURSE_STATUS.items() for stored in values}
AFTERCARE_LABELS = {
    "psychotherapy": "Psychotherapy or integration sessions",
    "medication_management": "Medication management",
    "exercise": "Exercise",
    "sleep": "Sleep",
    "nutrition": "Nutrition",
    "stress": "Stress",
    "follow_up_treatments": "Follow-up treatments",
    "monitoring_schedule": "Monitoring schedule",
}


def _aftercare(course) -> list[dict[str, Any]]:
    plan = getattr(course, "aftercare", None)
    if plan is None:
        return []
    status = "completed" if course.phase == "completed" else "in-progress"
    return [
        {
            "detail": {
                "kind": "ServiceRequest",
                "code": t.text_concept(label),
                "status": status,
                "description": getattr(plan, name),
            }
        }
        for name, label in AFTERCARE_LABELS.items()
        if getattr(plan, name)
    ]


def build_course(course, build: Build) -> dict[str, Any]:
    indication = INDICATION_LABELS.get(course.indication, course.indication)
    return t.compact(
        {
            "resourceType": "CarePlan",
            "id": str(course.pk),
            "status": PLAN_STATUS.get(course.phase, "unknown"),
            "intent": "plan",
            "category": [t.concept(t.CARE_PLAN_CATEGORY, "ketamine-course", "Ketamine treatment "
                                   "course")],
            "title": f"{route_label(course.route).capitalize()} course for {indication}",
            "description": f"Phase: {course.get_phase_display()}; regimen {course.regimen_key}.",
            "subject": t.ref("Patient", course.patient_id),
            "period": {"start": t.when(course.started_on), "end": t.when(course.ended_on)},
            "created": t.when(course.created_at),
            "author": t.ref("Practitioner", course.created_by_id),
            "activity": _aftercare(course),
            "note": [{"text": f"Risk and benefit: {course.risk_benefit_note}"}]
            if course.risk_benefit_note
            else [],
        }
    )


COURSES = Source(
    name="courses",
    rows=courses_in_scope,
    **BY_PK,
    build=build_course,
    patient="patient_id",
    related=("aftercare",),
    order=("created_at", "pk"),
    # A phase change records no time on the course: _lastUpdated cannot narrow courses.
    filters={
        **patient_filters("patient_id"),
        "status": TokenField("phase", None, COURSE_STATUS),
        "date": DateField("started_on", is_date=True),
        "category": Constant(t.CARE_PLAN_CATEGORY, "ketamine-course"),
    },
)


# --- Consent ----------------------------------------------------------------------------------


def _consent_status(signature) -> str:
    if signature.revoked_at:
        return "inactive"
    return "active" if signature.clinician_signed_at else "proposed"


def build_consent(signature, build: Build) -> dict[str, Any]:
    document = signature.document
    return t.compact(
        {
            "resourceType": "Consent",
            "id": str(signature.pk),
            "status": _consent_status(signature),
            "scope": t.concept(t.CONSENT_SCOPE, "treatment", "Treatment"),
            "category": [t.text_concept(f"Consent to {route_label(document.route)}")],
            "patient": t.ref("Patient", signature.patient_id),
            "dateTime": t.when(signature.patient_signed_at),
            "performer": [t.ref("Patient", signature.patient_id)],
            "organization": [t.ref("Organization", f"clinic-{document.clinic_id}")],
            "sourceAttachment": {
                "contentType": "text/plain",
                "title": f"{document.title} (version {document.version})",
                "creation": t.when(document.effective_from),
            },
            "policyRule": t.text_concept(
                f"{document.title}, version {document.version}, effective "
                f"{document.effective_from.isoformat()}"
            ),
            "verification": [
                {
                    "verified": True,
                    "verifiedWith": t.ref("Practitioner", signature.clinician_id),
                    "verificationDate": t.when(signature.clinician_signed_at),
                }
            ]
            if signature.clinician_signed_at
            else [],
            "provision": {
                "type": "permit",
                "period": t.period(signature.patient_signed_at, signature.revoked_at),
            },
        }
    )


CONSENT_STATUS = {
    "active": Q(clinician_signed_at__isnull=False, revoked_at__isnull=True),
    "proposed": Q(clinician_signed_at__isnull=True, revoked_at__isnull=True),
    "inactive": Q(revoked_at__isnull=False),
}
CONSENTS = Source(
    name="consents",
    rows=consents_in_scope,
    **BY_PK,
    build=build_consent,
    patient="patient_id",
    related=("document",),
    order=("patient_signed_at", "pk"),
    updated=Coalesce("revoked_at", "clinician_signed_at", "patient_signed_at"),
    filters={
        "patient": patient_reference("patient_id"),
        "status": CodeMap(CONSENT_STATUS),
        "date": DateField("patient_signed_at"),
        "scope": Constant(t.CONSENT_SCOPE, "treatment"),
    },
)


# --- Appointment ------------------------------------------------------------------------------

APPOINTMENT_STATUS = {
    "booked": ["booked"],
    "cancelled": ["cancelled"],
    "fulfilled": ["completed"],
    "noshow": ["no_show"],
}
FHIR_APPOINTMENT = {
    stored: fhir for fhir, values in APPOINTMENT_STATUS.items() for stored in values
}


def build_appointment(appointment, build: Build) -> dict[str, Any]:
    participants = [
        {"actor": t.ref("Patient", appointment.patient_id), "required": "required",
         "status": "accepted"},
    ]
    if appointment.nurse_id:
        participants.append(
            {"actor": t.ref("Practitioner", appointment.nurse_id), "required": "required",
             "status": "accepted"}
        )
    if appointment.chair_id:
        participants.append(
            {"actor": t.ref("Location", f"chair-{appointment.chair_id}"), "required": "required",
             "status": "accepted"}
        )
    minutes = int((appointment.ends_at - appointment.starts_at).total_seconds() // 60)
    return t.compact(
        {
            "resourceType": "Appointment",
            "id": str(appointment.pk),
            "status": FHIR_APPOINTMENT.get(appointment.status, "booked"),
            "serviceType": [
                t.concept(t.APPOINTMENT_KIND, appointment.kind, appointment.get_kind_display())
            ],
            "description": f"{appointment.get_kind_display()}"
            + (f" {appointment.sequence} of the course" if appointment.sequence else ""),
            "supportingInformation": [t.ref("CarePlan", appointment.course_id)]
            if appointment.course_id
            else [],
            "start": t.when(appointment.starts_at),
            "end": t.when(appointment.ends_at),
            "minutesDuration": minutes,
            "created": t.when(appointment.created_at),
            "patientInstruction": appointment.preparation_instructions,
            "participant": participants,
        }
    )


APPOINTMENTS = Source(
    name="appointments",
    rows=appointments_in_scope,
    **BY_PK,
    build=build_appointment,
    patient="patient_id",
    order=("starts_at", "pk"),
    # A move, cancellation or no-show records no time on the booking: not narrowed by
    # _lastUpdated.
    filters={
        "patient": patient_reference("patient_id"),
        "actor": ReferenceField(
            {
                "Patient": ("patient_id", int_id),
                "Practitioner": ("nurse_id", int_id),
                "Location": ("chair_id", prefixed_id("chair-")),
            }
        ),
        "practitioner": ReferenceField({"Practitioner": ("nurse_id", int_id)}),
        "location": ReferenceField({"Location": ("chair_id", prefixed_id("chair-"))}),
        "status": TokenField("status", None, APPOINTMENT_STATUS),
        "date": DateField("starts_at"),
        "service-type": TokenField("kind", t.APPOINTMENT_KIND),
    },
)

register(
    ResourceType(
        name="MedicationRequest",
        sources=(ORDERS,),
        params=(
            *patient_params("MedicationRequest"),
            param("MedicationRequest", "status", "token",
                  "active (signed), stopped (superseded) or cancelled.",
                  standard="medications-status"),
            param("MedicationRequest", "intent", "token", "order."),
            param("MedicationRequest", "authoredon", "date", "When the prescriber signed it."),
            param("MedicationRequest", "requester", "reference", "The signing prescriber."),
        ),
        capability=Capability.CHART_VIEW,
        patient_compartment=True,
        description="Treatment orders once a prescriber signed them (drafts are not served).",
        includes=(
            PATIENT_INCLUDE,
            SUBJECT_INCLUDE,
            Include("requester", "Practitioner", refs_at("requester")),
        ),
    ),
    ResourceType(
        name="CarePlan",
        sources=(COURSES,),
        params=(
            *patient_params("CarePlan"),
            param("CarePlan", "status", "token", "active, on-hold (paused) or completed."),
            param("CarePlan", "date", "date", "The day the course started.",
                  standard="clinical-date"),
            param("CarePlan", "category", "token", "ketamine-course."),
        ),
        capability=Capability.CHART_VIEW,
        patient_compartment=True,
        description="Treatment courses (route, indication, phase) with their aftercare plans.",
        includes=(PATIENT_INCLUDE, SUBJECT_INCLUDE),
    ),
    ResourceType(
        name="Consent",
        sources=(CONSENTS,),
        params=(
            *patient_params("Consent", subject=False),
            param("Consent", "status", "token",
                  "active (countersigned), proposed (awaiting the clinician) or inactive "
                  "(revoked)."),
            param("Consent", "date", "date", "When the patient signed.", standard="clinical-date"),
            param("Consent", "scope", "token", "treatment."),
        ),
        capability=Capability.CHART_VIEW,
        patient_compartment=True,
        description="Treatment consents signed by the patient and countersigned by a clinician.",
        includes=(PATIENT_INCLUDE,),
    ),
    ResourceType(
        name="Appointment",
        sources=(APPOINTMENTS,),
        params=(
            param("Appointment", "patient", "reference", "The patient."),
            param("Appointment", "actor", "reference", "The patient, the nurse or the chair."),
            param("Appointment", "practitioner", "reference", "The nurse."),
            param("Appointment", "location", "reference", "The chair or room."),
            param("Appointment", "status", "token", "booked, cancelled, fulfilled or noshow."),
            param("Appointment", "date", "date", "When it starts."),
            param("Appointment", "service-type", "token", "treatment, consult, follow_up, ..."),
        ),
        capability=Capability.SCHEDULE_VIEW,
        patient_compartment=True,
        description="Bookings: treatments, consultations, follow-ups, integration sessions.",
        includes=(
            Include("patient", "Patient", refs_at("participant.actor")),
            Include("practitioner", "Practitioner", refs_at("participant.actor")),
            Include("location", "Location", refs_at("participant.actor")),
        ),
    ),
)
