"""Demo data for measurement-based care, loaded by ``ketacare demo`` (deterministic per seed).

Every clinic gets its settings and the default schedule rules. About a third of the patients are
on a measurement plan with weekly PHQ-9 and GAD-7 trajectories (responders, partial responders,
non-responders) and C-SSRS screens. The demo opens no safety alert: the scores are generated with
PHQ-9 item 9 at 0 and no C-SSRS answer above "low". The portal demo patient has a fresh plan, so
a baseline PHQ-9 and GAD-7 are due when they sign in.

A clinic's chairs start only so many new courses a week, so a large register is the work of
years: a clinic whose plans would not fit in twelve weeks at ``NEW_COURSES_PER_WEEK`` spreads
their starts over ``history_weeks`` instead, and the plans whose measurement finished long ago
are ended. At the default 200 patients every plan is current, as before.
"""

from __future__ import annotations

import datetime as dt
import math
import random

from django.utils import timezone

from ketacare.assessments.defaults import clinic_setup
from ketacare.assessments.models import AssessmentPlan, AssessmentResponse
from ketacare.clinical.instruments import INSTRUMENTS, score
from ketacare.core.models import User
from ketacare.patients.models import Patient

SHARE_ON_PLAN = 0.35
WEEKS = (0, 1, 2, 3, 4, 6, 8, 10)
BATCH = 20_000  # responses held in memory before they are written
RECENT_WEEKS = 12  # the longest measurement a demo plan has (weeks on a plan: 2 to 12)
# A demo figure, not a clinical one: four chairs, five two-hour treatments a day on weekdays,
# about ten treatments a course, the chairs two-thirds full.
NEW_COURSES_PER_WEEK = 6
ENDED_AFTER = dt.timedelta(weeks=2)  # a plan quiet this long after its last score is ended


def history_weeks(clinic_patients: int) -> int:
    """Over how many weeks a clinic of this many demo patients started its measured courses."""
    plans = clinic_patients * SHARE_ON_PLAN
    return max(RECENT_WEEKS, math.ceil(plans / NEW_COURSES_PER_WEEK))


def _answers(rng: random.Random, code: str, total: int, frozen: tuple[int, ...] = ()) -> list[int]:
    """Item answers summing to ``total``; items in ``frozen`` (numbers) stay 0."""
    instrument = INSTRUMENTS[code]
    answers = [0] * len(instrument.items)
    open_items = [i for i in range(len(answers)) if i + 1 not in frozen]
    top = instrument.item_range[1]
    total = min(total, top * len(open_items))
    while sum(answers) < total:
        i = rng.choice(open_items)
        if answers[i] < top:
            answers[i] += 1
    return answers


def _response(patient, code, answers, at, by) -> AssessmentResponse:
    result = score(code, answers)
    return AssessmentResponse(
        patient=patient,
        instrument=code,
        answers=answers,
        total=result.total,
        severity=result.severity or "",
        flags=sorted(result.flags),
        flag_reasons=[],
        details={"triage_reason": result.triage_reason} if result.triage_reason else {},
        scorer_version=result.scorer_version,
        source=AssessmentResponse.Source.DEMO,
        completed_at=at,
        entered_at=at,
        entered_by=by,
        entered_by_label="ketacare demo",
    )


def load(*, rng: random.Random, clinics) -> None:
    now = timezone.now()
    nurse = User.objects.filter(username="nurse").first()
    prescriber = User.objects.filter(username="prescriber").first()
    for clinic in clinics:
        clinic_setup(clinic)
    plans: list[AssessmentPlan] = []
    responses: list[AssessmentResponse] = []
    portal_patient = Patient.objects.filter(portal_user__username="patient").first()
    patients = Patient.objects.filter(clinic__in=clinics).order_by("pk").only("pk", "clinic_id")
    horizon = {clinic.pk: history_weeks(clinic.patients.count()) for clinic in clinics}
    for patient in patients.iterator(chunk_size=2000):
        if len(responses) >= BATCH:
            _flush(plans, responses)
        if portal_patient is not None and patient.pk == portal_patient.pk:
            plans.append(
                AssessmentPlan(
                    patient=patient,
                    started_at=now - dt.timedelta(hours=6),
                    prescriber=prescriber if patient.clinic_id == clinics[0].pk else None,
                    created_at=now,
                )
            )
            continue
        if rng.random() >= SHARE_ON_PLAN:
            continue
        weeks_on: float = rng.randint(2, RECENT_WEEKS)
        start = now - dt.timedelta(weeks=weeks_on, hours=rng.randint(0, 48))
        if horizon[patient.clinic_id] > RECENT_WEEKS:
            # A large register: the course started at any time in the clinic's history and was
            # measured for ``weeks_on`` weeks, or until now if it started more recently.
            start = now - dt.timedelta(weeks=rng.uniform(2, horizon[patient.clinic_id]))
            weeks_on = min(weeks_on, (now - start) / dt.timedelta(weeks=1))
        last_score = start + dt.timedelta(weeks=weeks_on)
        plans.append(
            AssessmentPlan(
                patient=patient,
                started_at=start,
                maintenance_started_at=start + dt.timedelta(weeks=4) if weeks_on > 6 else None,
                ended_at=last_score + ENDED_AFTER if last_score + ENDED_AFTER < now else None,
                prescriber=prescriber if patient.clinic_id == clinics[0].pk else None,
                created_at=start,
            )
        )
        kind = rng.choices(("responder", "partial", "none"), weights=(5, 3, 2))[0]
        floor = {"responder": 0.3, "partial": 0.65, "none": 0.9}[kind]
        phq0, gad0 = rng.randint(14, 24), rng.randint(9, 19)
        for week in WEEKS:
            if week > weeks_on:
                break
            at = start + dt.timedelta(weeks=week, hours=rng.randint(-3, 3))
            fall = 1 - (1 - floor) * min(1.0, week / 4)
            noise = rng.uniform(-0.08, 0.08)
            phq = max(0, round(phq0 * (fall + noise)))
            gad = max(0, round(gad0 * (fall + noise)))
            responses.append(_response(patient, "phq9", _answers(rng, "phq9", phq, (9,)), at, None))
            responses.append(_response(patient, "gad7", _answers(rng, "gad7", gad), at, None))
            if week in (0, 2, 4, 8):
                cssrs = [1 if rng.random() < 0.15 else 0, 0, 0, 0, 0, 0, 0]
                responses.append(_response(patient, "cssrs_screen", cssrs, at, nurse))
    _flush(plans, responses)


def _flush(plans: list[AssessmentPlan], responses: list[AssessmentResponse]) -> None:
    AssessmentPlan.objects.bulk_create(plans, batch_size=1000)
    AssessmentResponse.objects.bulk_create(responses, batch_size=1000)
    plans.clear()
    responses.clear()
