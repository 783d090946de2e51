"""The treatment session in the chair: Encounter (the visit), Procedure (the treatment given),
MedicationAdministration (what was given: dose, route, rate, lot) and AdverseEvent (side effects
recorded during it). Each is named by the session's id."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from ketacare.core.errors import DomainError
from ketacare.core.roles import Capability
from ketacare.fhir import terminology as t
from ketacare.fhir.registry import Include, ResourceType, param, patient_params, refs_at, register
from ketacare.fhir.resources.intake import PATIENT_INCLUDE, SUBJECT_INCLUDE
from ketacare.fhir.resources.orders import drug_of, mg, ml_per_hour, route_label
from ketacare.fhir.sources import (
    BY_PK,
    Build,
    CodeMap,
    DateField,
    ReferenceField,
    Source,
    TokenField,
    int_id,
    patient_filters,
    patient_reference,
    prefixed_id,
)
from ketacare.sessions.selectors import administration_summary
from ketacare.sessions.selectors.sessions import sessions_in_scope, side_effects_in_scope

FINISHED_STATES = ("discharged", "signed", "cosigned")
ENCOUNTER_STATUS = {
    "planned": Q(state="scheduled"),
    "arrived": Q(state="checked_in"),
    "in-progress": Q(state__in=("prechecks_passed", "dosing", "recovery")),
    "finished": Q(state__in=FINISHED_STATES) | Q(state="aborted", checked_in_at__isnull=False),
    "cancelled": Q(state="cancelled") | Q(state="aborted", checked_in_at__isnull=True),
}
# The treatment itself: stopped when the session was aborted after the first dose.
TREATMENT_STATUS = {
    "stopped": Q(state="aborted"),
    "in-progress": ~Q(state="aborted") & Q(dosing_ended_at__isnull=True),
    "completed": ~Q(state="aborted") & Q(dosing_ended_at__isnull=False),
}


def encounter_status(session) -> str:
    if session.state == "aborted":
        return "finished" if session.checked_in_at else "cancelled"
    return {
        "scheduled": "planned",
        "checked_in": "arrived",
        "prechecks_passed": "in-progress",
        "dosing": "in-progress",
        "recovery": "in-progress",
        "cancelled": "cancelled",
    }.get(session.state, "finished")


def treatment_status(session) -> str:
    if session.state == "aborted":
        return "stopped"
    return "in-progress" if session.dosing_ended_at is None else "completed"


def _nurse(session) -> int | None:
    return session.appointment.nurse_id or session.signed_by_id


def build_encounter(session, build: Build) -> dict[str, Any]:
    appointment = session.appointment
    start = session.checked_in_at or appointment.starts_at
    end = session.discharged_at or (session.state_changed_at if session.state in (
        "cancelled", "aborted") else None)
    nurse = _nurse(session)
    return t.compact(
        {
            "resourceType": "Encounter",
            "id": str(session.pk),
            "status": encounter_status(session),
            "class": t.coding(t.ACT_CODE, "AMB", "ambulatory"),
            "type": [t.text_concept(f"Ketamine treatment session: {route_label(session.route)}")],
            "subject": t.ref("Patient", session.patient_id),
            "appointment": [t.ref("Appointment", session.appointment_id)],
            "period": t.period(start, end),
            "participant": [{"individual": t.ref("Practitioner", nurse)}] if nurse else [],
            "location": [{"location": t.ref("Location", f"chair-{appointment.chair_id}")}]
            if appointment.chair_id
            else [],
            "serviceProvider": t.ref("Organization", f"clinic-{session.clinic_id}"),
        }
    )


def build_procedure(session, build: Build) -> dict[str, Any]:
    nurse = _nurse(session)
    return t.compact(
        {
            "resourceType": "Procedure",
            "id": str(session.pk),
            "status": treatment_status(session),
            "category": t.text_concept("Ketamine treatment"),
            "code": t.concept(t.ROUTE, session.route, route_label(session.route)),
            "subject": t.ref("Patient", session.patient_id),
            "encounter": t.ref("Encounter", session.pk),
            "basedOn": [t.ref("CarePlan", session.course_id)] if session.course_id else [],
            "performedPeriod": t.period(session.dosing_started_at, session.dosing_ended_at),
            "performer": [{"actor": t.ref("Practitioner", nurse)}] if nurse else [],
            "location": t.ref("Location", f"chair-{session.appointment.chair_id}")
            if session.appointment.chair_id
            else None,
            "statusReason": t.text_concept(session.ended_reason)
            if session.state == "aborted" and session.ended_reason
            else None,
        }
    )


def _last_rate(session) -> float | None:
    rates = [e.rate_ml_per_h for e in session.administration.all() if e.rate_ml_per_h is not None]
    return float(rates[-1]) if rates else None


def build_administration(session, build: Build) -> dict[str, Any]:
    try:
        given = administration_summary(session, now=build.now)
    except DomainError:  # what the bag holds was not recorded: the dose cannot be worked out
        given = None
    nurse = _nurse(session)
    medication = {
        "resourceType": "Medication",
        "id": "drug",
        "code": t.text_concept(session.drug or drug_of(session.route)),
        "batch": {"lotNumber": session.lot_number} if session.lot_number else None,
    }
    text = []
    if given is not None:
        text.append(f"{given.dose_mg:.2f} mg given")
    if session.bag_drug_mg is not None and session.bag_volume_ml is not None:
        text.append(f"bag of {session.bag_drug_mg} mg in {session.bag_volume_ml} mL")
    return t.compact(
        {
            "resourceType": "MedicationAdministration",
            "id": str(session.pk),
            "contained": [t.compact(medication)],
            "status": treatment_status(session),
            "medicationReference": {"reference": "#drug"},
            "subject": t.ref("Patient", session.patient_id),
            "context": t.ref("Encounter", session.pk),
            "effectivePeriod": t.period(session.dosing_started_at, session.dosing_ended_at),
            "performer": [{"actor": t.ref("Practitioner", nurse)}] if nurse else [],
            "request": t.ref("MedicationRequest", session.order_id) if session.order_id else None,
            "dosage": {
                "text": "; ".join(text),
                "route": t.text_concept(route_label(session.route)),
                "dose": mg(round(given.dose_mg, 2)) if given is not None else None,
                "rateQuantity": ml_per_hour(_last_rate(session)),
            },
        }
    )


def _treatments(access):
    return sessions_in_scope(access).filter(dosing_started_at__isnull=False)


SESSION_FILTERS = {
    **patient_filters("patient_id"),
}
ENCOUNTERS = Source(
    name="sessions",
    rows=sessions_in_scope,
    **BY_PK,
    build=build_encounter,
    patient="patient_id",
    related=("appointment",),
    updated="state_changed_at",
    order=("appointment__starts_at", "pk"),
    filters={
        **SESSION_FILTERS,
        "status": CodeMap(ENCOUNTER_STATUS),
        "date": DateField("appointment__starts_at"),
        "location": ReferenceField({"Location": ("appointment__chair_id", prefixed_id("chair-"))}),
        "practitioner": ReferenceField({"Practitioner": ("appointment__nurse_id", int_id)}),
        "appointment": ReferenceField({"Appointment": ("appointment_id", int_id)}),
    },
)
PROCEDURES = Source(
    name="treatments",
    rows=_treatments,
    **BY_PK,
    build=build_procedure,
    patient="patient_id",
    related=("appointment",),
    updated="state_changed_at",
    order=("dosing_started_at", "pk"),
    filters={
        **SESSION_FILTERS,
        "status": CodeMap(TREATMENT_STATUS),
        "date": DateField("dosing_started_at"),
        "encounter": ReferenceField({"Encounter": ("pk", int_id)}),
    },
)
ADMINISTRATIONS = Source(
    name="administrations",
    rows=_treatments,
    **BY_PK,
    build=build_administration,
    patient="patient_id",
    related=("appointment", "order"),
    updated="state_changed_at",
    prefetch=("administration",),
    order=("dosing_started_at", "pk"),
    filters={
        **SESSION_FILTERS,
        "status": CodeMap(TREATMENT_STATUS),
        "effective-time": DateField("dosing_started_at"),
        "context": ReferenceField({"Encounter": ("pk", int_id)}),
        "request": ReferenceField({"MedicationRequest": ("order_id", int_id)}),
    },
)


# --- AdverseEvent: side effects recorded in a session ---------------------------------------------


def build_adverse_event(entry, build: Build) -> dict[str, Any]:
    label = entry.effect.replace("_", " ").capitalize()
    return t.compact(
        {
            "resourceType": "AdverseEvent",
            "id": str(entry.pk),
            "actuality": "actual",
            "category": [t.text_concept("Side effect during a treatment session")],
            "event": t.concept(t.SIDE_EFFECT, entry.effect, label,
                               text=f"{label}: {entry.note}" if entry.note else label),
            "subject": t.ref("Patient", entry.session.patient_id),
            "encounter": t.ref("Encounter", entry.session_id),
            "date": t.when(entry.observed_at),
            "recordedDate": t.when(entry.recorded_at),
            "recorder": t.ref("Practitioner", entry.recorded_by_id)
            if entry.recorded_by_id
            else None,
            "seriousness": t.concept(
                t.ADVERSE_SERIOUSNESS,
                *(("serious", "Serious") if entry.serious_adverse_event else
                  ("non-serious", "Non-serious")),
            ),
            "severity": t.concept(t.ADVERSE_SEVERITY, entry.severity, entry.severity.capitalize()),
            "suspectEntity": [{"instance": t.ref("MedicationAdministration", entry.session_id)}]
            if entry.session.dosing_started_at
            else [],
        }
    )


ADVERSE_EVENTS = Source(
    name="side effects",
    rows=side_effects_in_scope,
    **BY_PK,
    build=build_adverse_event,
    patient="session__patient_id",
    related=("session",),
    updated="recorded_at",
    order=("observed_at", "pk"),
    filters={
        "subject": patient_reference("session__patient_id"),
        "date": DateField("observed_at"),
        "seriousness": TokenField(
            "serious_adverse_event",
            t.ADVERSE_SERIOUSNESS,
            {"serious": [True], "non-serious": [False]},
        ),
        "severity": TokenField("severity", t.ADVERSE_SEVERITY),
        "event": TokenField("effect", t.SIDE_EFFECT),
    },
)

SESSION_INCLUDES = (PATIENT_INCLUDE, SUBJECT_INCLUDE)
register(
    ResourceType(
        name="Encounter",
        sources=(ENCOUNTERS,),
        params=(
            *patient_params("Encounter"),
            param("Encounter", "status", "token",
                  "planned, arrived, in-progress, finished or cancelled."),
            param("Encounter", "date", "date", "When the session was booked to start.",
                  standard="clinical-date"),
            param("Encounter", "location", "reference", "The chair or room."),
            param("Encounter", "practitioner", "reference", "The nurse."),
            param("Encounter", "appointment", "reference", "The booking."),
        ),
        capability=Capability.CHART_VIEW,
        patient_compartment=True,
        description="Treatment sessions in the chair, from booking to discharge.",
        includes=(
            *SESSION_INCLUDES,
            Include("location", "Location", refs_at("location.location")),
            Include("practitioner", "Practitioner", refs_at("participant.individual")),
        ),
    ),
    ResourceType(
        name="Procedure",
        sources=(PROCEDURES,),
        params=(
            *patient_params("Procedure"),
            param("Procedure", "status", "token", "in-progress, completed or stopped."),
            param("Procedure", "date", "date", "When dosing started.", standard="clinical-date"),
            param("Procedure", "encounter", "reference", "The session's Encounter.",
                  standard="clinical-encounter"),
        ),
        capability=Capability.CHART_VIEW,
        patient_compartment=True,
        description="The treatment given in a session (every session whose dosing started).",
        includes=(*SESSION_INCLUDES, Include("encounter", "Encounter", refs_at("encounter"))),
    ),
    ResourceType(
        name="MedicationAdministration",
        sources=(ADMINISTRATIONS,),
        params=(
            *patient_params("MedicationAdministration"),
            param("MedicationAdministration", "status", "token",
                  "in-progress, completed or stopped.", standard="medications-status"),
            param("MedicationAdministration", "effective-time", "date", "When dosing started."),
            param("MedicationAdministration", "context", "reference", "The session's Encounter."),
            param("MedicationAdministration", "request", "reference", "The signed order."),
        ),
        capability=Capability.CHART_VIEW,
        patient_compartment=True,
        description="What a session gave: dose in mg (pump delivery from the bag's "
        "concentration plus discrete doses), route, last pump rate, lot.",
        includes=(
            *SESSION_INCLUDES,
            Include("request", "MedicationRequest", refs_at("request")),
            Include("context", "Encounter", refs_at("context")),
        ),
    ),
    ResourceType(
        name="AdverseEvent",
        sources=(ADVERSE_EVENTS,),
        params=(
            param("AdverseEvent", "subject", "reference", "The patient."),
            param("AdverseEvent", "date", "date", "When it was observed."),
            param("AdverseEvent", "seriousness", "token", "serious or non-serious."),
            param("AdverseEvent", "severity", "token", "mild, moderate or severe."),
            param("AdverseEvent", "event", "token", "The side effect (Ketacare's codes)."),
        ),
        capability=Capability.CHART_VIEW,
        patient_compartment=True,
        description="Side effects recorded during a session, with severity and seriousness.",
        includes=(SUBJECT_INCLUDE,),
    ),
)
