"""The flowsheet's reads: a session's alerts, its baseline reading, whether a reading is back within
limits (``monitoring.alert_resolved`` decides)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from ketacare.alerts.models import Alert
from ketacare.clinical.common import Provenance
from ketacare.clinical.monitoring import (
    AlertLevel,
    MonitoringProtocol,
    Phase,
    VitalAlert,
    alert_resolved,
)
from ketacare.sessions.models import (
    TreatmentSession,
    VitalsEntry,
)
from ketacare.sessions.records import (
    provenance_json,
    reading_of,
)

SOURCE_TYPE = "treatment_session"


VITAL_FIELDS = (
    "systolic_mmhg",
    "diastolic_mmhg",
    "heart_rate_bpm",
    "spo2_percent",
    "respiratory_rate_per_min",
    "moaas_level",
)


# What the nurse did, for the acknowledgement; stored as the alert's note (action "other").
ACK_ACTIONS = {
    "rechecked": "Rechecked the vital signs",
    "slowed": "Slowed the infusion",
    "paused": "Paused the infusion / gave no further dose",
    "prescriber_called": "Called the prescriber",
    "emergency": "Started the clinic's emergency protocol",
    "observed": "Stayed with the patient and observed",
}


RECORDING_STATES = ("checked_in", "prechecks_passed", "dosing", "recovery")


DOCUMENTING_STATES = (*RECORDING_STATES, "discharged")


def session_alerts(session: TreatmentSession, *, kinds: Iterable[str] | None = None):
    alerts = Alert.objects.filter(source_type=SOURCE_TYPE, source_id=str(session.pk))
    return alerts.filter(kind__in=list(kinds)) if kinds else alerts


def baseline_entry(session: TreatmentSession, *, before: dt.datetime | None = None):
    """The latest pre-dose reading with a blood pressure: the session's baseline."""
    rows = session.vitals.filter(phase=Phase.PRE_DOSE.value, systolic_mmhg__isnull=False)
    if before is not None:
        rows = rows.filter(taken_at__lte=before)
    return rows.order_by("-taken_at", "-pk").first()


def _finding_json(a: VitalAlert) -> dict:
    return {
        "code": a.code,
        "level": a.level.value,
        "message": a.message,
        "recommended_action": a.recommended_action,
        "provenance": provenance_json(a.provenance),
    }


def _vital_alert(alert: Alert) -> VitalAlert:
    """The clinical-core alert a stored Alert was opened from."""
    d = alert.details
    return VitalAlert(
        code=alert.code,
        level=AlertLevel(d["level"]),
        message=alert.message,
        recommended_action=alert.recommended_action,
        provenance=Provenance(tuple(d["provenance"]["sources"]), d["provenance"]["verified"]),
        reading_taken_at=dt.datetime.fromisoformat(d["reading_taken_at"]),
        phase=Phase(d["phase"]),
    )


def back_within(alert: Alert, later: Iterable[VitalsEntry], protocol: MonitoringProtocol):
    """The first later reading that shows the alert's value back within limits, or None."""
    opened = _vital_alert(alert)
    for entry in later:
        if entry.taken_at > opened.reading_taken_at and alert_resolved(
            opened, reading_of(entry), protocol
        ):
            return entry
    return None


def unacknowledged_alerts(session: TreatmentSession):
    return session_alerts(session).filter(status=Alert.Status.OPEN)
