"""Reads of long-term safety, clinic-scoped: the patient's history gathered once into the
clinical core's facts (doses, dispensings, at-home logs), and the overview the chart panel, the
page and the API share."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import QuerySet

from ketacare.assessments.selectors import trajectories
from ketacare.clinic_settings.selectors import ClinicProtocol, clinic_protocol
from ketacare.clinical import longterm as core
from ketacare.clinical.common import Route
from ketacare.clinical.longterm import settings as keys
from ketacare.controlled_substances.models import LedgerEntry
from ketacare.core.access import Access
from ketacare.core.lookups import one_or_not_found
from ketacare.longterm.models import (
    CognitiveScreen,
    ContinuationReview,
    DispensingLimit,
    LiverResult,
    Signal,
    SignalReview,
    UrinaryCheck,
)
from ketacare.patients.models import IntakeVersion, Patient
from ketacare.sessions.models import AtHomeSession, TreatmentSession
from ketacare.sessions.records import SessionRefused
from ketacare.sessions.selectors import ACTIVE_STATES, administration_summary
from ketacare.treatment.models import Order, TreatmentCourse

ESKETAMINE = Route.ESKETAMINE_NASAL.value
CURRENT_PHASES_EXCLUDED = ("completed", "paused", "planned")


def setting(protocol: ClinicProtocol, default) -> object:
    return protocol.get(f"{keys.SECTION}.{default.key}")


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


# --- the history as the core's facts ------------------------------------------------------------


@dataclass(frozen=True)
class History:
    """What the exposure and misuse rules and the overview read of one patient's record, read
    once per request: the chart panel, the page and the API sync the signals and then show the
    overview from the same history."""

    doses: list[core.Dose]
    unreadable_sessions: list[str]
    at_home: list[tuple[AtHomeSession, Order | None]]
    intake_answers: list[tuple[str, dt.datetime, dict]]


def history_of(patient: Patient, *, at: dt.datetime) -> History:
    at_home = _at_home(patient)
    doses, unreadable = doses_for(patient, at=at, at_home=at_home)
    return History(doses, unreadable, at_home, _intake_answers(patient))


def doses_for(
    patient: Patient,
    *,
    at: dt.datetime,
    at_home: list[tuple[AtHomeSession, Order | None]] | None = None,
) -> tuple[list[core.Dose], list[str]]:
    """Each session's total given (``administration_summary``: the pump's delivery at the bag's
    concentration plus discrete doses) and each at-home dose logged; the second list names the
    sessions whose total could not be read (e.g. an infusion without its bag recorded)."""
    doses: list[core.Dose] = []
    unreadable: list[str] = []
    sessions = (
        TreatmentSession.objects.filter(patient=patient, dosing_started_at__isnull=False)
        .exclude(state="cancelled")
        .select_related("order")
        .prefetch_related("administration")
    )
    for session in sessions:
        try:
            given = administration_summary(session, now=at).dose_mg
        except SessionRefused:
            unreadable.append(f"session:{session.pk}")
            continue
        if given <= 0:
            continue
        first = min((e.at for e in session.administration.all()), default=None)
        doses.append(
            core.Dose(
                f"session:{session.pk}",
                first or session.dosing_started_at,
                session.route,
                round(given, 2),
                _float(session.order.dosing_weight_kg) if session.order_id else None,
            )
        )
    for log, order in _at_home(patient) if at_home is None else at_home:
        doses.append(
            core.Dose(
                f"at_home:{log.pk}",
                log.started_at,
                log.course.route if log.course_id else Route.RACEMIC_SUBLINGUAL.value,
                float(log.dose_taken_mg),
                _float(order.dosing_weight_kg) if order else None,
                at_home=True,
            )
        )
    return doses, unreadable


def _at_home(patient: Patient) -> list[tuple[AtHomeSession, Order | None]]:
    logs = list(AtHomeSession.objects.filter(patient=patient).select_related("course"))
    course_ids = {log.course_id for log in logs if log.course_id}
    orders: dict[int, Order] = {}
    for order in Order.objects.filter(course_id__in=course_ids, status="signed").order_by(
        "signed_at", "pk"
    ):
        orders[order.course_id] = order  # the latest signed order of each course
    return [(log, orders.get(log.course_id)) for log in logs]


def at_home_logs(at_home: list[tuple[AtHomeSession, Order | None]]) -> list[core.AtHomeLog]:
    return [
        core.AtHomeLog(
            f"at_home:{log.pk}",
            log.started_at,
            float(log.dose_taken_mg),
            _float(order.dose_mg) if order else None,
        )
        for log, order in at_home
    ]


def dispensed_to(patient: Patient) -> list[core.Dispensed]:
    """Take-home supply dispensed from the ledger, less the entries since corrected."""
    entries = LedgerEntry.objects.filter(
        patient=patient, kind="dispense", correction__isnull=True
    ).order_by("occurred_at", "pk")
    return [core.Dispensed(f"ledger:{e.pk}", e.occurred_at, float(e.quantity_mg)) for e in entries]


def _corrections(patient: Patient) -> list[tuple[str, dt.datetime, str, float]]:
    entries = LedgerEntry.objects.filter(
        kind="correction",
        corrects__patient=patient,
        corrects__kind__in=["administration", "dispense"],
    ).select_related("corrects")
    return [
        (f"ledger:{e.pk}", e.recorded_at, e.corrects.kind, float(e.quantity_mg)) for e in entries
    ]


def _substance_use(patient: Patient) -> list[tuple[str, dt.datetime]]:
    sessions = TreatmentSession.objects.filter(
        patient=patient, precheck_facts__substance_use_since_last_visit="yes"
    )
    return [(f"session:{s.pk}", s.prechecked_at or s.created_at) for s in sessions]


def _intake_answers(patient: Patient) -> list[tuple[str, dt.datetime, dict]]:
    versions = IntakeVersion.objects.filter(patient=patient, status="signed").order_by("number")
    return [
        (f"intake:{v.pk}", v.signed_at or v.created_at, (v.data or {}).get("conditions") or {})
        for v in versions
    ]


def _intake_use(answers: list[tuple[str, dt.datetime, dict]]) -> list[tuple[str, dt.datetime]]:
    return [(ref, at) for ref, at, given in answers if given.get("substance_use_active") == "yes"]


def substance_use_history(answers: list[tuple[str, dt.datetime, dict]]) -> bool:
    """The latest signed intake reports a past substance use disorder: the label asks for
    greater caution [S14][S56]."""
    return bool(answers) and answers[-1][2].get("substance_use_history") == "yes"


def mg_limits(protocol: ClinicProtocol) -> dict[tuple[str, int], float | None]:
    return {pair: setting(protocol, default) for pair, default in keys.EXPOSURE_LIMITS.items()}


def derived_findings(
    patient: Patient, *, at: dt.datetime, history: History | None = None
) -> list[core.Finding]:
    """The exposure and misuse findings the history holds now (raised as signals by
    ``services.signals_sync``; urinary, cognition and liver signals come from their records)."""
    protocol = clinic_protocol(patient.clinic)
    history = history or history_of(patient, at=at)
    doses = [d for d in history.doses if d.at <= at]
    dispensed, logs = dispensed_to(patient), at_home_logs(history.at_home)
    return [
        *core.exposure_findings(
            doses,
            mg_limits=mg_limits(protocol),
            sessions_per_30_days_max=setting(protocol, keys.SESSIONS_PER_30_DAYS_MAX),
            shortest_interval_hours_min=setting(protocol, keys.SHORTEST_INTERVAL_HOURS_MIN),
        ),
        *core.early_requests(dispensed, logs),
        *core.doses_above_order(logs),
        *core.logged_beyond_dispensed(dispensed, logs),
        *core.substance_use_reports(_substance_use(patient)),
        *core.intake_substance_use(_intake_use(history.intake_answers)),
        *core.ledger_corrections(_corrections(patient)),
    ]


# --- reads for the screens ----------------------------------------------------------------------


def patient_signals(patient: Patient) -> QuerySet[Signal]:
    return (
        Signal.objects.filter(patient=patient)
        .select_related("review", "review__reviewed_by")
        .prefetch_related("review__addenda")
    )


def open_signals(access: Access) -> QuerySet[Signal]:
    """The clinic's signals not yet reviewed, oldest first (the prescriber's dashboard)."""
    if access.clinic is None:
        return Signal.objects.none()
    return (
        Signal.objects.filter(clinic_id=access.clinic.pk, review__isnull=True)
        .select_related("patient")
        .order_by("recorded_at", "pk")
    )


def _clinic_in_use(access: Access) -> int | None:
    return access.clinic.pk if access.clinic else None


def signal_get(access: Access, signal_id: int) -> Signal:
    return one_or_not_found(
        Signal.objects.select_related("patient", "patient__clinic"),
        "No such signal at this clinic.",
        pk=signal_id,
        clinic_id=_clinic_in_use(access),
    )


def signal_review_get(access: Access, review_id: int) -> SignalReview:
    return one_or_not_found(
        SignalReview.objects.select_related("signal"),
        "No such review at this clinic.",
        pk=review_id,
        signal__clinic_id=_clinic_in_use(access),
    )


def continuation_get(access: Access, review_id: int) -> ContinuationReview:
    return one_or_not_found(
        ContinuationReview.objects.all(),
        "No such continuation review at this clinic.",
        pk=review_id,
        clinic_id=_clinic_in_use(access),
    )


def dispensing_limit_for(patient: Patient) -> DispensingLimit | None:
    return DispensingLimit.objects.filter(patient=patient).first()


def current_visit_started_at(patient: Patient) -> dt.datetime | None:
    session = (
        TreatmentSession.objects.filter(patient=patient, state__in=ACTIVE_STATES)
        .order_by("-checked_in_at")
        .first()
    )
    return session.checked_in_at if session else None


def on_esketamine(patient: Patient) -> bool:
    return (
        TreatmentCourse.objects.filter(patient=patient, route=ESKETAMINE)
        .exclude(phase__in=CURRENT_PHASES_EXCLUDED)
        .exists()
    )


@dataclass(frozen=True)
class CognitionView:
    screens: list[CognitiveScreen]
    instrument: str | None
    change: core.CognitionChange | None


@dataclass
class Overview:
    """Everything the long-term safety panel, page and API show for one patient."""

    patient: Patient
    at: dt.datetime
    exposure: core.Exposure
    unreadable_sessions: list[str]
    limits: list[core.LimitView]
    due: list[core.Due]
    signals: list[Signal]
    urinary: list[UrinaryCheck]
    checklist: tuple[str, ...]
    cognition: CognitionView
    liver: list[LiverResult]
    continuation: list[ContinuationReview]
    dispensing_limit: DispensingLimit | None
    benefit: list[dict] = field(default_factory=list)
    substance_use_history: bool = False

    @property
    def open_signals(self) -> list[Signal]:
        return [s for s in self.signals if s.is_open]

    @property
    def due_now(self) -> list[core.Due]:
        return [d for d in self.due if d.is_due]

    @property
    def not_configured(self) -> list[str]:
        labels = [d.label for d in self.due if d.status is core.DueStatus.NOT_CONFIGURED]
        if not any(v.configured for v in self.limits):
            labels.insert(0, "Exposure review limits")
        return labels


def benefit_of(patient: Patient) -> list[dict]:
    """Each instrument's course status (issue 11's outcome rules, via the assessments app)."""
    out = []
    for t in trajectories(patient):
        status = t.status
        out.append(
            {
                "instrument": t.name,
                "code": t.code,
                "status": status.status.value if status else None,
                "reason": status.reason if status else t.status_note,
                "percent_change": status.percent_change if status else None,
                "latest": status.latest.total if status and status.latest else None,
                "latest_at": status.latest.at.isoformat() if status and status.latest else None,
            }
        )
    return out


def cognition_view(patient: Patient, protocol: ClinicProtocol) -> CognitionView:
    screens = list(CognitiveScreen.objects.filter(patient=patient))
    change = None
    if len(screens) >= 2:
        baseline, latest = screens[-1], screens[0]
        change = core.cognition_change(
            baseline=float(baseline.score),
            latest=float(latest.score),
            worse_when=setting(protocol, keys.COGNITION_WORSE_WHEN),
            worsening_points=setting(protocol, keys.COGNITION_WORSENING_POINTS),
        )
    return CognitionView(screens, setting(protocol, keys.COGNITION_INSTRUMENT), change)


def checklist_of(protocol: ClinicProtocol) -> tuple[str, ...]:
    return core.checklist_items(setting(protocol, keys.URINARY_CHECKLIST))


def due_items(
    patient: Patient,
    *,
    at: dt.datetime,
    protocol: ClinicProtocol,
    first_dose_at: dt.datetime | None,
    every_visit: bool | None = None,
    visit_started_at: dt.datetime | None = None,
    urinary: list[UrinaryCheck] | None = None,
    screens: list[CognitiveScreen] | None = None,
    liver: list[LiverResult] | None = None,
    reviews: list[ContinuationReview] | None = None,
) -> list[core.Due]:
    """What is due for the patient now (``visit_started_at``: the visit in progress, if any).
    The records already read (newest first) are passed in; the others are read here."""
    urinary = list(UrinaryCheck.objects.filter(patient=patient)[:1]) if urinary is None else urinary
    screens = list(CognitiveScreen.objects.filter(patient=patient)) if screens is None else screens
    liver = list(LiverResult.objects.filter(patient=patient)[:1]) if liver is None else liver
    if reviews is None:
        reviews = list(ContinuationReview.objects.filter(patient=patient)[:1])
    last_liver = liver[0] if liver else None
    last_review = reviews[0] if reviews else None
    zone = patient.clinic.zone
    return [
        core.urinary_due(
            every_visit=on_esketamine(patient) if every_visit is None else every_visit,
            interval_days=setting(protocol, keys.URINARY_INTERVAL_DAYS),
            last_at=urinary[0].asked_at if urinary else None,
            visit_started_at=visit_started_at or current_visit_started_at(patient),
            at=at,
        ),
        core.cognition_due(
            baseline_at=screens[-1].administered_at if screens else None,
            last_at=screens[0].administered_at if screens else None,
            interval_days=setting(protocol, keys.COGNITION_INTERVAL_DAYS),
            at=at,
        ),
        core.liver_due(
            first_dose_at=first_dose_at,
            last_result_at=dt.datetime.combine(last_liver.collected_on, dt.time.min, zone)
            if last_liver
            else None,
            prolonged_after_days=setting(protocol, keys.LIVER_PROLONGED_AFTER_DAYS),
            interval_days=setting(protocol, keys.LIVER_INTERVAL_DAYS),
            at=at,
        ),
        core.continuation_due(
            first_dose_at=first_dose_at,
            last_review_at=last_review.signed_at if last_review else None,
            interval_days=setting(protocol, keys.CONTINUATION_REVIEW_INTERVAL_DAYS),
            at=at,
        ),
    ]


def first_dose_at(patient: Patient, *, at: dt.datetime) -> dt.datetime | None:
    doses, _ = doses_for(patient, at=at)
    return min((d.at for d in doses if d.at <= at), default=None)


def overview(
    patient: Patient,
    *,
    at: dt.datetime,
    with_benefit: bool = True,
    history: History | None = None,
) -> Overview:
    protocol = clinic_protocol(patient.clinic)
    history = history or history_of(patient, at=at)
    doses, unreadable = history.doses, history.unreadable_sessions
    exposure = core.cumulative_exposure(doses, at=at)
    limits = core.limit_views(
        exposure,
        mg_limits=mg_limits(protocol),
        sessions_per_30_days_max=setting(protocol, keys.SESSIONS_PER_30_DAYS_MAX),
        shortest_interval_hours_min=setting(protocol, keys.SHORTEST_INTERVAL_HOURS_MIN),
        routes=[d.route for d in doses],
    )
    urinary = list(UrinaryCheck.objects.filter(patient=patient).select_related("recorded_by"))
    cognition = cognition_view(patient, protocol)
    liver = list(LiverResult.objects.filter(patient=patient))
    reviews = list(ContinuationReview.objects.filter(patient=patient).prefetch_related("addenda"))
    return Overview(
        patient=patient,
        at=at,
        exposure=exposure,
        unreadable_sessions=unreadable,
        limits=limits,
        due=due_items(
            patient,
            at=at,
            protocol=protocol,
            first_dose_at=exposure.first_dose_at,
            urinary=urinary,
            screens=cognition.screens,
            liver=liver,
            reviews=reviews,
        ),
        signals=list(patient_signals(patient)),
        urinary=urinary,
        checklist=checklist_of(protocol),
        cognition=cognition,
        liver=liver,
        continuation=reviews,
        dispensing_limit=dispensing_limit_for(patient),
        benefit=benefit_of(patient) if with_benefit else [],
        substance_use_history=substance_use_history(history.intake_answers),
    )
