"""Observation and QuestionnaireResponse.

Observations come from three places:

- the session flowsheet: one vital-signs Observation per measured sign of each row (FHIR's
  vital signs profile; LOINC from reference §4.5, tagged [memory, verify] there), named
  ``vitals-<row>-<sign>``, and the MOAA/S rating of the row (``vitals-<row>-moaas``);
- questionnaire totals (PHQ-9 as LOINC 44261-6, GAD-7 as 70274-6, the others under the codes the
  instrument catalogue holds, or Ketacare's instrument codes where the reference has none),
  named ``score-<response>``;
- instruments rated during a session (CADSS-6), named ``session-score-<row>``.

A questionnaire's item answers are its QuestionnaireResponse (named by the response's id); only
the current version of a corrected response is served (``amended``).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from ketacare.assessments.selectors import responses_in_scope
from ketacare.clinical.instruments import INSTRUMENTS, MOAAS
from ketacare.clinical.vital_signs import FLOWSHEET_VITAL_SIGNS, VitalSign
from ketacare.core.roles import Capability
from ketacare.fhir import terminology as t
from ketacare.fhir.registry import Include, ResourceType, param, patient_params, refs_at, register
from ketacare.fhir.resources.intake import PATIENT_INCLUDE, SUBJECT_INCLUDE
from ketacare.fhir.resources.intake_measures import INTAKE_MEASURES
from ketacare.fhir.sources import (
    BY_PK,
    Build,
    CodeMap,
    Constant,
    DateField,
    ReferenceField,
    Source,
    TokenMatch,
    int_id,
    patient_filters,
)
from ketacare.sessions.selectors.sessions import session_ratings_in_scope, vitals_in_scope

OBSERVATION_STATUS = "http://hl7.org/fhir/observation-status"


def _category(code: str, display: str) -> list[dict[str, Any]]:
    return [t.concept(t.OBSERVATION_CATEGORY, code, display)]


def _instrument_codings(code: str) -> list[dict[str, str]]:
    """The LOINC total (when the reference gives one) and Ketacare's own instrument code."""
    instrument = INSTRUMENTS.get(code)
    name = instrument.name if instrument else code
    codings = []
    if instrument is not None and instrument.loinc_total is not None:
        codings.append(t.coding(t.LOINC, instrument.loinc_total.code, f"{name} total score"))
    codings.append(t.coding(t.INSTRUMENT, code, f"{name} total score"))
    return codings


def _instrument_match(token) -> list[str] | None:
    """The instruments a code token names (by LOINC total or Ketacare code); None: any."""
    if token.code is None and token.system in (None, t.LOINC, t.INSTRUMENT):
        return None
    return [
        code
        for code in INSTRUMENTS
        if any(token.matches(c["system"], c["code"]) for c in _instrument_codings(code))
    ]


def _instrument_filter(path: str):
    def match(token) -> Q | None:
        codes = _instrument_match(token)
        if codes is None:
            return Q()
        return Q(**{f"{path}__in": codes}) if codes else None

    return TokenMatch(match)


def _performer(user_id: int | None) -> list[dict[str, str]]:
    return [t.ref("Practitioner", user_id)] if user_id else []


# --- the flowsheet -------------------------------------------------------------------------------


def _vital_id(key: str):
    def from_id(text: str) -> Q | None:
        head, _, tail = text.rpartition("-")
        if tail != key or not head.startswith("vitals-"):
            return None
        number = int_id(head[len("vitals-") :])
        return Q(pk=number) if number is not None else None

    return from_id


def _vital_builder(sign: VitalSign):
    def build(entry, build: Build) -> dict[str, Any]:
        return {
            "resourceType": "Observation",
            "id": f"vitals-{entry.pk}-{sign.key}",
            "meta": {"profile": [t.VITAL_SIGNS_PROFILE]},
            "status": "final",
            "category": _category("vital-signs", "Vital Signs"),
            "code": {
                "coding": [t.coding(t.LOINC, sign.loinc.code, sign.label)],
                "text": sign.label,
            },
            "subject": t.ref("Patient", entry.session.patient_id),
            "encounter": t.ref("Encounter", entry.session_id),
            "effectiveDateTime": t.when(entry.taken_at),
            "issued": t.when(entry.recorded_at),
            "performer": _performer(entry.recorded_by_id),
            "valueQuantity": {
                "value": getattr(entry, sign.field),
                "unit": sign.unit,
                "system": t.UCUM,
                "code": sign.ucum,
            },
        }

    return build


def _code_is(system: str, code: str):
    return TokenMatch(lambda token: Q() if token.matches(system, code) else None)


FLOWSHEET_FILTERS = {
    **patient_filters("session__patient_id"),
    "date": DateField("taken_at"),
    "status": Constant(OBSERVATION_STATUS, "final"),
    "encounter": ReferenceField({"Encounter": ("session_id", int_id)}),
}


def _vital_source(sign: VitalSign) -> Source:
    return Source(
        name=f"flowsheet {sign.key}",
        rows=lambda access: vitals_in_scope(access).filter(**{f"{sign.field}__isnull": False}),
        to_id=lambda entry: f"vitals-{entry.pk}-{sign.key}",
        from_id=_vital_id(sign.key),
        build=_vital_builder(sign),
        patient="session__patient_id",
        related=("session",),
        updated="recorded_at",
        order=("taken_at", "pk"),
        filters={
            **FLOWSHEET_FILTERS,
            "code": _code_is(t.LOINC, sign.loinc.code),
            "category": Constant(t.OBSERVATION_CATEGORY, "vital-signs"),
        },
    )


def build_sedation(entry, build: Build) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": f"vitals-{entry.pk}-moaas",
        "status": "final",
        "category": _category("survey", "Survey"),
        "code": {"coding": [t.coding(t.INSTRUMENT, "moaas", MOAAS.name)], "text": MOAAS.name},
        "subject": t.ref("Patient", entry.session.patient_id),
        "encounter": t.ref("Encounter", entry.session_id),
        "effectiveDateTime": t.when(entry.taken_at),
        "issued": t.when(entry.recorded_at),
        "performer": _performer(entry.recorded_by_id),
        "valueInteger": entry.moaas_level,
    }


SEDATION = Source(
    name="flowsheet moaas",
    rows=lambda access: vitals_in_scope(access).filter(moaas_level__isnull=False),
    to_id=lambda entry: f"vitals-{entry.pk}-moaas",
    from_id=_vital_id("moaas"),
    build=build_sedation,
    patient="session__patient_id",
    related=("session",),
    updated="recorded_at",
    order=("taken_at", "pk"),
    filters={
        **FLOWSHEET_FILTERS,
        "code": _code_is(t.INSTRUMENT, "moaas"),
        "category": Constant(t.OBSERVATION_CATEGORY, "survey"),
    },
)


# --- questionnaire totals ------------------------------------------------------------------------


def _value(total: int | None, severity: str) -> dict[str, Any]:
    if total is not None:
        return {"valueInteger": total}
    if severity:  # the C-SSRS Screener is categorical: its triage level
        return {"valueCodeableConcept": t.text_concept(f"{severity} risk")}
    return {"dataAbsentReason": t.concept(
        "http://terminology.hl7.org/CodeSystem/data-absent-reason", "not-applicable",
        "Not Applicable")}


def _respondent(response) -> dict[str, str] | None:
    if response.source in ("portal", "link"):
        return t.ref("Patient", response.patient_id)
    return t.ref("Practitioner", response.entered_by_id) if response.entered_by_id else None


def build_score(response, build: Build) -> dict[str, Any]:
    instrument = INSTRUMENTS.get(response.instrument)
    name = instrument.name if instrument else response.instrument
    performer = _respondent(response)
    return t.compact(
        {
            "resourceType": "Observation",
            "id": f"score-{response.pk}",
            "status": "amended" if response.version > 1 else "final",
            "category": _category("survey", "Survey"),
            "code": {"coding": _instrument_codings(response.instrument), "text": f"{name} total"},
            "subject": t.ref("Patient", response.patient_id),
            "effectiveDateTime": t.when(response.completed_at),
            "issued": t.when(response.entered_at),
            "performer": [performer] if performer else [],
            **_value(response.total, response.severity),
            "interpretation": [t.text_concept(response.severity)]
            if response.severity and response.total is not None
            else [],
            "derivedFrom": [t.ref("QuestionnaireResponse", response.pk)],
        }
    )


def _prefixed_pk(prefix: str):
    def from_id(text: str) -> Q | None:
        number = int_id(text[len(prefix) :]) if text.startswith(prefix) else None
        return Q(pk=number) if number is not None else None

    return from_id


RESPONSE_STATUS = {"final": Q(version=1), "amended": Q(version__gt=1)}
SCORES = Source(
    name="questionnaire totals",
    rows=responses_in_scope,
    to_id=lambda response: f"score-{response.pk}",
    from_id=_prefixed_pk("score-"),
    build=build_score,
    patient="patient_id",
    updated="entered_at",
    order=("completed_at", "pk"),
    filters={
        **patient_filters("patient_id"),
        "code": _instrument_filter("instrument"),
        "category": Constant(t.OBSERVATION_CATEGORY, "survey"),
        "date": DateField("completed_at"),
        "status": CodeMap(RESPONSE_STATUS, OBSERVATION_STATUS),
    },
)


def build_session_rating(rating, build: Build) -> dict[str, Any]:
    instrument = INSTRUMENTS.get(rating.instrument)
    name = instrument.name if instrument else rating.instrument
    return t.compact(
        {
            "resourceType": "Observation",
            "id": f"session-score-{rating.pk}",
            "status": "final",
            "category": _category("survey", "Survey"),
            "code": {"coding": _instrument_codings(rating.instrument), "text": f"{name} total"},
            "subject": t.ref("Patient", rating.session.patient_id),
            "encounter": t.ref("Encounter", rating.session_id),
            "effectiveDateTime": t.when(rating.observed_at),
            "issued": t.when(rating.recorded_at),
            "performer": _performer(rating.recorded_by_id),
            **_value(rating.total, ""),
        }
    )


SESSION_RATINGS = Source(
    name="session ratings",
    rows=session_ratings_in_scope,
    to_id=lambda rating: f"session-score-{rating.pk}",
    from_id=_prefixed_pk("session-score-"),
    build=build_session_rating,
    patient="session__patient_id",
    related=("session",),
    updated="recorded_at",
    order=("observed_at", "pk"),
    filters={
        **patient_filters("session__patient_id"),
        "code": _instrument_filter("instrument"),
        "category": Constant(t.OBSERVATION_CATEGORY, "survey"),
        "date": DateField("observed_at"),
        "status": Constant(OBSERVATION_STATUS, "final"),
        "encounter": ReferenceField({"Encounter": ("session_id", int_id)}),
    },
)


# --- QuestionnaireResponse ---------------------------------------------------------------


def questionnaire_url(code: str) -> str:
    return f"urn:ketacare:questionnaire:{code}"


def build_questionnaire_response(response, build: Build) -> dict[str, Any]:
    instrument = INSTRUMENTS.get(response.instrument)
    items = instrument.items if instrument else ()
    answers = list(response.answers or [])
    # Items are named by their LOINC codes where the catalogue holds one for every item (PHQ-9,
    # GAD-7; reference §4.5), as in US Core's PHQ-9 example [S79]; by position otherwise.
    by_loinc = bool(items) and all(item.loinc is not None for item in items)
    entries = []
    for position, answer in enumerate(answers, start=1):
        item = items[position - 1] if position <= len(items) else None
        entries.append(
            {
                "linkId": item.loinc.code if by_loinc and item else str(position),
                "text": item.label if item else f"Item {position}",
                "answer": [{"valueInteger": answer}] if isinstance(answer, int) else [],
            }
        )
    author = _respondent(response)
    return t.compact(
        {
            "resourceType": "QuestionnaireResponse",
            "id": str(response.pk),
            "questionnaire": questionnaire_url(response.instrument),
            "status": "amended" if response.version > 1 else "completed",
            "subject": t.ref("Patient", response.patient_id),
            "authored": t.when(response.completed_at),
            "author": author,
            "source": t.ref("Patient", response.patient_id),
            "item": entries,
        }
    )


QR_STATUS = {"completed": Q(version=1), "amended": Q(version__gt=1)}
RESPONSES = Source(
    name="responses",
    rows=responses_in_scope,
    **BY_PK,
    build=build_questionnaire_response,
    patient="patient_id",
    updated="entered_at",
    order=("completed_at", "pk"),
    filters={
        **patient_filters("patient_id"),
        "status": CodeMap(QR_STATUS),
        "authored": DateField("completed_at"),
        "questionnaire": TokenMatch(
            lambda token: Q(instrument=token.code.rpartition(":")[2])
            if token.code and token.code.startswith("urn:ketacare:questionnaire:")
            else None
        ),
    },
)

register(
    ResourceType(
        name="Observation",
        sources=(
            *(_vital_source(sign) for sign in FLOWSHEET_VITAL_SIGNS),
            SEDATION,
            INTAKE_MEASURES,
            SCORES,
            SESSION_RATINGS,
        ),
        params=(
            *patient_params("Observation"),
            param("Observation", "code", "token",
                  "LOINC (http://loinc.org|44261-6 for the PHQ-9 total) or Ketacare's instrument "
                  "code.", standard="clinical-code"),
            param("Observation", "category", "token", "vital-signs or survey."),
            param("Observation", "date", "date", "When it was measured or answered.",
                  standard="clinical-date"),
            param("Observation", "status", "token", "final or amended (a corrected response)."),
            param("Observation", "encounter", "reference", "The session it was recorded in.",
                  standard="clinical-encounter"),
        ),
        capability=Capability.CHART_VIEW,
        patient_compartment=True,
        description="Vital signs from the session flowsheet and weight and height from the "
        "intake (vital signs profile), sedation ratings, questionnaire totals and in-session "
        "ratings.",
        profiles=(t.VITAL_SIGNS_PROFILE,),
        includes=(
            PATIENT_INCLUDE,
            SUBJECT_INCLUDE,
            Include("encounter", "Encounter", refs_at("encounter")),
        ),
    ),
    ResourceType(
        name="QuestionnaireResponse",
        sources=(RESPONSES,),
        params=(
            param("QuestionnaireResponse", "patient", "reference", "The patient."),
            param("QuestionnaireResponse", "subject", "reference", "The patient."),
            param("QuestionnaireResponse", "status", "token", "completed or amended."),
            param("QuestionnaireResponse", "authored", "date", "When it was answered."),
            param("QuestionnaireResponse", "questionnaire", "reference",
                  "urn:ketacare:questionnaire:phq9 (and gad7, madrs, ...)."),
        ),
        capability=Capability.ASSESSMENT_VIEW,
        patient_compartment=True,
        description="Questionnaires item by item (current version of each response).",
        includes=(PATIENT_INCLUDE, SUBJECT_INCLUDE),
    ),
)
