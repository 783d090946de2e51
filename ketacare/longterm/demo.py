"""The demo clinics' long-term safety records, loaded last: for a few patients who have been
dosed, a urinary symptom check (one with a symptom, which alerts the prescriber), a baseline on
the clinic's own cognitive screen (named as a demo screen: the reference names none), liver
results (one flagged high by the lab), then the signals the records hold.

No clinic limit or interval is set: the demo shows what "not configured" looks like until a
medical director sets them (the reference gives no value for any of them).
"""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from ketacare.audit.services import RequestOrigin
from ketacare.core.models import Clinic, StaffMembership
from ketacare.core.roles import Role
from ketacare.longterm import services
from ketacare.patients.models import Patient
from ketacare.sessions.models import TreatmentSession

DEMO_SCREEN = "Clinic cognitive screen (demo)"
CHECKLIST = ("frequency", "urgency", "pain on passing urine", "blood in urine", "suprapubic pain")
PATIENTS_PER_CLINIC = 4


def load(*, rng: random.Random, clinics: list[Clinic]) -> None:
    now = timezone.now()
    for clinic in clinics:
        nurse = (
            StaffMembership.objects.filter(clinic=clinic, role=Role.NURSE, active=True)
            .select_related("user")
            .first()
        )
        if nurse is None:
            continue
        origin = RequestOrigin(actor=nurse.user, actor_label=nurse.user.username)
        dosed = (
            TreatmentSession.objects.filter(clinic=clinic, dosing_started_at__isnull=False)
            .values_list("patient_id", flat=True)
            .distinct()
            .order_by("patient_id")[:PATIENTS_PER_CLINIC]
        )
        for index, patient in enumerate(Patient.objects.filter(pk__in=list(dosed))):
            asked = now - dt.timedelta(days=rng.randint(1, 20))
            answers = dict.fromkeys(CHECKLIST, False)
            if index == 0:
                answers["urgency"] = True
            services.urinary_check_record(
                patient=patient, answers=answers, asked_at=asked, origin=origin, at=now
            )
            services.cognitive_screen_record(
                patient=patient,
                score=rng.randint(24, 30),
                administered_at=now - dt.timedelta(days=rng.randint(30, 60)),
                instrument=DEMO_SCREEN,
                origin=origin,
                at=now,
            )
            services.liver_result_record(
                patient=patient,
                analyte="alt",
                value=88 if index == 1 else rng.randint(12, 40),
                lab_flag="high" if index == 1 else "normal",
                lab_lower=7,
                lab_upper=56,
                collected_on=(now - dt.timedelta(days=rng.randint(5, 40))).date(),
                origin=origin,
                at=now,
            )
            services.signals_sync(patient=patient, origin=origin, at=now)
