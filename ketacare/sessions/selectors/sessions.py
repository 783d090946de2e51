"""The session and its screen, the today board, at-home logs: reads the pages and the API share."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, QuerySet
from django.http import Http404

from ketacare.alerts.models import Alert
from ketacare.assessments.selectors import responses_current
from ketacare.clinical.common import ClinicalRuleError, Route
from ketacare.clinical.instruments import score
from ketacare.clinical.monitoring import (
    MonitoringProtocol,
    Phase,
    is_overdue,
    next_reading_due,
)
from ketacare.clinical.session_flow import (
    phase_for_state,
)
from ketacare.core.access import Access
from ketacare.core.lookups import one_or_not_found
from ketacare.core.models import Chair
from ketacare.patients.models import Patient
from ketacare.sessions.models import (
    AtHomeSession,
    ScoredObservation,
    SideEffectEntry,
    TreatmentSession,
    VitalsEntry,
)
from ketacare.sessions.protocol import protocol_for
from ketacare.sessions.selectors.administration import (
    AdministrationSummary,
    administration_summary,
    uses_pump,
)
from ketacare.sessions.selectors.flowsheet import (
    SOURCE_TYPE,
    back_within,
    session_alerts,
)
from ketacare.treatment.models import Appointment, TreatmentCourse

ACTIVE_STATES = ("checked_in", "prechecks_passed", "dosing", "recovery")


def sessions_in_scope(access: Access) -> QuerySet[TreatmentSession]:
    if access.clinic is None:
        return TreatmentSession.objects.none()
    return TreatmentSession.objects.filter(clinic_id=access.clinic.pk).select_related(
        "patient", "order", "appointment", "appointment__chair", "clinic"
    )


NO_SESSION = "No such session at this clinic."


def session_get(access: Access, session_id: int) -> TreatmentSession:
    return one_or_not_found(sessions_in_scope(access), NO_SESSION, pk=session_id)


def session_page_get(access: Access, session_id: int) -> TreatmentSession:
    """The session for its page (read-only): its administration record is read once, for the
    screen and every panel that shows the dose (the ledger, the curve, long-term safety)."""
    records = sessions_in_scope(access).prefetch_related("administration")
    return one_or_not_found(records, NO_SESSION, pk=session_id)


def session_alert_get(session: TreatmentSession, alert_id: int) -> Alert:
    """An alert of the session's clinic (acknowledged from the session's screen)."""
    records = Alert.objects.filter(clinic_id=session.clinic_id)
    return one_or_not_found(records, "No such alert at this clinic.", pk=alert_id)


def appointment_get(access: Access, appointment_id: int) -> Appointment:
    if access.clinic is None:
        raise Http404("No clinic in use.")
    try:
        return Appointment.objects.select_related("course", "patient").get(
            pk=appointment_id, clinic_id=access.clinic.pk
        )
    except Appointment.DoesNotExist as missing:
        raise Http404("No such appointment at this clinic.") from missing


def at_home_in_scope(access: Access) -> QuerySet[AtHomeSession]:
    if access.clinic is None:
        return AtHomeSession.objects.none()
    return AtHomeSession.objects.filter(clinic_id=access.clinic.pk).select_related("patient")


@dataclass(frozen=True)
class Schedule:
    phase: Phase | None
    next_due: dt.datetime | None
    overdue: bool
    problem: str = ""  # e.g. the interval is not configured


def phase_started_at(session: TreatmentSession, phase: Phase) -> dt.datetime | None:
    return {
        Phase.PRE_DOSE: session.checked_in_at,
        Phase.DOSING: session.dosing_started_at,
        Phase.POST_DOSE: session.dosing_ended_at,
    }[phase]


def last_vitals_at(session: TreatmentSession) -> dt.datetime | None:
    rows = [v for v in session.vitals.all() if v.has_vitals]
    return rows[-1].taken_at if rows else None


def reading_schedule(
    session: TreatmentSession, protocol: MonitoringProtocol, *, now: dt.datetime
) -> Schedule:
    phase = phase_for_state(session.state) if session.state in ACTIVE_STATES else None
    if phase is None:
        return Schedule(None, None, False)
    started = phase_started_at(session, phase)
    last = last_vitals_at(session)
    try:
        due = next_reading_due(
            phase=phase, last_reading_at=last, phase_started_at=started, protocol=protocol
        )
        late = is_overdue(
            phase=phase,
            last_reading_at=last if last is None or last <= now else None,
            phase_started_at=started,
            protocol=protocol,
            now=now,
        )
    except ClinicalRuleError as missing:
        return Schedule(phase, None, False, str(missing))
    return Schedule(phase, due, late)


@dataclass
class AlertRow:
    alert: Alert
    back_within_at: dt.datetime | None = None


@dataclass
class Row:
    entry: VitalsEntry
    moaas_text: str | None


@dataclass
class SessionScreen:
    session: TreatmentSession
    protocol: MonitoringProtocol
    unconfigured: list[str]
    schedule: Schedule
    minutes_in: int | None
    rows: list[Row]
    alerts: list[AlertRow]
    closed_alerts: list[Alert]
    administration: AdministrationSummary | None
    pump: bool
    events: list = field(default_factory=list)


def minutes_into(session: TreatmentSession, now: dt.datetime) -> int | None:
    """Whole minutes since dosing started (or since check-in before that)."""
    start = session.dosing_started_at or session.checked_in_at
    if start is None or session.state not in ACTIVE_STATES:
        return None
    return max(0, int((now - start) // dt.timedelta(minutes=1)))


def session_screen(session: TreatmentSession, *, now: dt.datetime) -> SessionScreen:
    protocol = protocol_for(session.clinic, session.route)
    entries = list(session.vitals.all())
    rows = [
        Row(e, score("moaas", [e.moaas_level]).description if e.moaas_level is not None else None)
        for e in entries
    ]
    alerts, closed = [], []
    for alert in session_alerts(session).order_by("-opened_at"):
        if alert.status == Alert.Status.RESOLVED:
            closed.append(alert)
            continue
        row = AlertRow(alert)
        if alert.kind == Alert.Kind.VITALS and "reading_taken_at" in alert.details:
            later = back_within(alert, entries, protocol)
            row.back_within_at = later.taken_at if later else None
        alerts.append(row)
    admin = None
    if session.order_id and (session.dosing_started_at or session.administration.exists()):
        admin = administration_summary(session, now=now)
    return SessionScreen(
        session=session,
        protocol=protocol,
        unconfigured=[s.label for s in protocol.unconfigured()],
        schedule=reading_schedule(session, protocol, now=now),
        minutes_in=minutes_into(session, now),
        rows=rows,
        alerts=alerts,
        closed_alerts=closed,
        administration=admin,
        pump=uses_pump(session),
        events=list(session.events.select_related("recorded_by")),
    )


@dataclass
class ChairRow:
    chair: Chair
    session: TreatmentSession | None = None
    appointment: Appointment | None = None  # the next booked one without an active session
    minutes_in: int | None = None
    schedule: Schedule | None = None
    open_alerts: list[Alert] = field(default_factory=list)
    later: list[Appointment] = field(default_factory=list)


def today_board(access: Access, *, now: dt.datetime) -> list[ChairRow]:
    """Every active chair of the clinic: who is in it, minutes in, next reading, open alerts."""
    clinic = access.clinic
    if clinic is None:
        return []
    zone = clinic.zone
    day = now.astimezone(zone).date()
    start = dt.datetime.combine(day, dt.time.min, zone)
    # Only what sits in a chair reaches a row: today's appointments without one are listed
    # apart (``today_appointments_without_chair``), and a busy clinic has many of them.
    appointments = list(
        Appointment.objects.filter(
            clinic=clinic,
            kind=Appointment.Kind.TREATMENT,
            starts_at__gte=start,
            starts_at__lt=start + dt.timedelta(days=1),
            chair__isnull=False,
        )
        .exclude(status=Appointment.Status.CANCELLED)
        .select_related("patient", "chair")
        .order_by("starts_at")
    )
    # Each session's readings come with it (the next reading is due from the last one).
    sessions = {
        s.appointment_id: s
        for s in TreatmentSession.objects.filter(appointment__in=appointments)
        .select_related("patient", "clinic", "appointment")
        .prefetch_related("vitals")
    }
    # Sessions still in a chair from an earlier day (a long recovery past midnight).
    active = TreatmentSession.objects.filter(
        clinic=clinic, state__in=ACTIVE_STATES, appointment__chair__isnull=False
    ).exclude(appointment_id__in=list(sessions))
    for s in active.select_related("patient", "clinic", "appointment").prefetch_related("vitals"):
        sessions.setdefault(s.appointment_id, s)
    open_alerts = _open_alerts_by_session(
        [s for s in sessions.values() if s.state in ACTIVE_STATES]
    )
    rows = []
    for chair in Chair.objects.filter(clinic=clinic, active=True).order_by("name"):
        row = ChairRow(chair)
        in_chair = [s for s in sessions.values() if s.appointment.chair_id == chair.pk]
        current = [s for s in in_chair if s.state in ACTIVE_STATES]
        if current:
            row.session = current[0]
            protocol = protocol_for(clinic, row.session.route)
            row.minutes_in = minutes_into(row.session, now)
            row.schedule = reading_schedule(row.session, protocol, now=now)
            row.open_alerts = open_alerts.get(str(row.session.pk), [])
        waiting = [
            a
            for a in appointments
            if a.chair_id == chair.pk
            and (a.pk not in sessions or sessions[a.pk].state == "scheduled")
        ]
        if waiting and row.session is None:
            row.appointment = waiting[0]
            row.later = waiting[1:]
        else:
            row.later = waiting
        rows.append(row)
    return rows


def _open_alerts_by_session(sessions: list[TreatmentSession]) -> dict[str, list[Alert]]:
    """The unresolved alerts of these sessions, in one read, by session id (as text)."""
    found: dict[str, list[Alert]] = {}
    if not sessions:
        return found
    alerts = Alert.objects.filter(
        source_type=SOURCE_TYPE, source_id__in=[str(s.pk) for s in sessions]
    ).exclude(status=Alert.Status.RESOLVED)
    for alert in alerts:
        found.setdefault(alert.source_id, []).append(alert)
    return found


def today_appointments_without_chair(access: Access, *, now: dt.datetime) -> list[Appointment]:
    clinic = access.clinic
    if clinic is None:
        return []
    day = now.astimezone(clinic.zone).date()
    start = dt.datetime.combine(day, dt.time.min, clinic.zone)
    return list(
        Appointment.objects.filter(
            clinic=clinic,
            kind=Appointment.Kind.TREATMENT,
            chair__isnull=True,
            starts_at__gte=start,
            starts_at__lt=start + dt.timedelta(days=1),
        )
        .exclude(status=Appointment.Status.CANCELLED)
        .select_related("patient")
    )


def is_esketamine(session: TreatmentSession) -> bool:
    return session.route == Route.ESKETAMINE_NASAL.value


def assessment_completed_on(patient: Patient, code: str, day: dt.date) -> bool:
    """Whether the patient completed instrument ``code`` on ``day`` (clinic time)."""
    zone = patient.clinic.zone
    since = dt.datetime.combine(day, dt.time.min, zone) - dt.timedelta(days=1)
    return any(
        r.completed_at.astimezone(zone).date() == day
        for r in responses_current(patient, code).filter(completed_at__gte=since)
    )


AT_HOME_ROUTES = (Route.RACEMIC_SUBLINGUAL.value, Route.RACEMIC_ORAL.value)


def at_home_course(patient: Patient) -> TreatmentCourse | None:
    """The patient's current course whose route may be taken at home, if any."""
    return (
        TreatmentCourse.objects.filter(patient=patient, route__in=AT_HOME_ROUTES)
        .exclude(phase__in=["completed", "paused", "planned"])
        .order_by("-created_at")
        .first()
    )


# --- cohort reads (analytics export) ------------------------------------------------------------


def side_effects_in_scope(access: Access) -> QuerySet[SideEffectEntry]:
    """Side effects recorded in the clinic's sessions."""
    if access.clinic is None:
        return SideEffectEntry.objects.none()
    return SideEffectEntry.objects.filter(session__clinic_id=access.clinic.pk)


def vital_alert_counts(access: Access) -> dict[int, int]:
    """Vital-sign alerts raised per session of the clinic in use: {session id: count}."""
    if access.clinic is None:
        return {}
    rows = (
        Alert.objects.filter(
            clinic_id=access.clinic.pk, kind=Alert.Kind.VITALS, source_type=SOURCE_TYPE
        )
        .values("source_id")
        .annotate(n=Count("pk"))
    )
    return {int(row["source_id"]): row["n"] for row in rows if row["source_id"].isdigit()}


def vitals_in_scope(access: Access) -> QuerySet[VitalsEntry]:
    """Flowsheet rows recorded in the clinic's sessions."""
    if access.clinic is None:
        return VitalsEntry.objects.none()
    return VitalsEntry.objects.filter(session__clinic_id=access.clinic.pk)


def session_ratings_in_scope(access: Access) -> QuerySet[ScoredObservation]:
    """Instruments rated during the clinic's sessions (CADSS-6)."""
    if access.clinic is None:
        return ScoredObservation.objects.none()
    return ScoredObservation.objects.filter(session__clinic_id=access.clinic.pk)
