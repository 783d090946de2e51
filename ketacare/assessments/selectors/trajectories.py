"""Trajectories: each instrument's scores over time with the course status."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from ketacare.assessments.models import (
    AssessmentResponse,
)
from ketacare.assessments.selectors.responses import responses_current
from ketacare.assessments.selectors.settings import outcome_settings_of, settings_for
from ketacare.assessments.treatments import treatment_times_for
from ketacare.clinical.common import ClinicalRuleError, Provenance
from ketacare.clinical.instruments import INSTRUMENTS
from ketacare.clinical.outcomes import (
    CourseStatus,
    DatedScore,
    RapidResponse,
    course_status,
    rapid_response,
)
from ketacare.patients.models import Patient


@dataclass(frozen=True)
class Trajectory:
    code: str
    name: str
    responses: tuple[AssessmentResponse, ...]
    treatments: tuple[dt.datetime, ...]
    status: CourseStatus | None
    status_note: str  # why there is no status, when there is none
    rapid: tuple[RapidResponse, ...] = ()
    rapid_note: str = ""

    @property
    def charted(self) -> bool:
        return INSTRUMENTS[self.code].score_range is not None

    @property
    def status_provenance(self) -> Provenance | None:
        return self.status.provenance if self.status else None


def trajectories(
    patient: Patient, *, treatments: list[dt.datetime] | None = None
) -> list[Trajectory]:
    """One trajectory per instrument the patient has answered, with the course status."""
    treatments = sorted(treatment_times_for(patient) if treatments is None else treatments)
    by_code: dict[str, list[AssessmentResponse]] = defaultdict(list)
    for r in responses_current(patient):
        by_code[r.instrument].append(r)
    settings = settings_for(patient.clinic)
    result = []
    for code in INSTRUMENTS:
        responses = by_code.get(code)
        if not responses:
            continue
        result.append(_trajectory(patient, code, responses, treatments, settings))
    return result


def _trajectory(patient, code, responses, treatments, settings) -> Trajectory:
    name = INSTRUMENTS[code].name
    if INSTRUMENTS[code].score_range is None:
        return Trajectory(
            code,
            name,
            tuple(responses),
            tuple(treatments),
            None,
            f"{name} is categorical: it has no total, so no course status.",
        )
    if not treatments:
        return Trajectory(
            code,
            name,
            tuple(responses),
            (),
            None,
            "Course status needs the time of the first treatment; none is recorded yet.",
        )
    scores = [DatedScore(code, r.total, r.completed_at) for r in responses]
    first = treatments[0]
    options = outcome_settings_of(settings, code)
    try:
        status = course_status(scores, code=code, first_treatment_at=first, settings=options)
    except ClinicalRuleError as refused:
        return Trajectory(code, name, tuple(responses), tuple(treatments), None, str(refused))
    rapid: tuple[RapidResponse, ...] = ()
    rapid_note = ""
    if INSTRUMENTS[code].response is None:
        rapid_note = ""
    elif settings.rapid_response_window_hours:
        rapid = rapid_response(
            scores,
            code=code,
            first_treatment_at=first,
            window=dt.timedelta(hours=settings.rapid_response_window_hours),
            settings=options,
        )
    else:
        rapid_note = (
            "Rapid response (24 h, 1 week) is off: the clinic has not set its time window "
            "(the reference gives none)."
        )
    return Trajectory(
        code, name, tuple(responses), tuple(treatments), status, "", rapid, rapid_note
    )
