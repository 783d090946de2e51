"""Long-term safety on shared pages: the chart's panel, the open signals on the prescriber's
dashboard, and what is due on the session page before the session."""

from __future__ import annotations

from django.template.loader import render_to_string

from ketacare.clinical.common import Route
from ketacare.core.actions import action, audit_read
from ketacare.core.roles import Capability
from ketacare.longterm import selectors, services
from ketacare.longterm.presenters import exposure_rows

BEFORE_DOSING = ("scheduled", "checked_in", "prechecks_passed")


def chart_panel(request, patient) -> str | None:
    """Exposure per period, open signals and what is due, with a link to the full page."""
    if not request.access.can(Capability.LONGTERM_VIEW):
        return None
    act = action(request, Capability.LONGTERM_VIEW)
    view = services.overview_synced(patient=patient, with_benefit=False, **act.stamp)
    audit_read(
        act, object_type="longterm", patient=patient, summary="Long-term safety panel read (chart)"
    )
    return render_to_string(
        "longterm/_chart_panel.html",
        {
            "patient": patient,
            "view": view,
            "rows": exposure_rows(view),
            "zone": patient.clinic.time_zone,
        },
        request=request,
    )


def dashboard_panel(request) -> str | None:
    """The clinic's signals not yet reviewed, for those who review them."""
    access = request.access
    if access.clinic is None or not access.can(Capability.LONGTERM_REVIEW):
        return None
    signals = list(selectors.open_signals(access)[:30])
    if not signals:
        return None
    act = action(request, Capability.LONGTERM_REVIEW)
    audit_read(act, object_type="longterm_signal",
               summary=f"Long-term safety signals on the dashboard ({len(signals)})")  # fmt: skip
    return render_to_string(
        "longterm/_dashboard_panel.html",
        {"signals": signals, "zone": access.clinic.time_zone},
        request=request,
    )


def session_panel(request, session) -> str | None:
    """Before the session: the long-term checks that are due, with the urinary checklist."""
    if session.state not in BEFORE_DOSING or not request.access.can(Capability.LONGTERM_VIEW):
        return None
    act = action(request, Capability.LONGTERM_VIEW)
    patient = session.patient
    protocol = selectors.clinic_protocol(patient.clinic)
    due = selectors.due_items(
        patient,
        at=act.at,
        protocol=protocol,
        first_dose_at=selectors.first_dose_at(patient, at=act.at),
        every_visit=session.route == Route.ESKETAMINE_NASAL.value or None,
        visit_started_at=session.checked_in_at,
    )
    open_count = selectors.patient_signals(patient).filter(review__isnull=True).count()
    audit_read(
        act,
        object_type="longterm",
        patient=patient,
        summary="Long-term safety checks due (session page)",
    )
    return render_to_string(
        "longterm/_session_panel.html",
        {
            "session": session,
            "patient": patient,
            "due": due,
            "urinary_due": next(d for d in due if d.item == "urinary_check").is_due,
            "checklist": list(enumerate(selectors.checklist_of(protocol))),
            "open_count": open_count,
            "can_record": request.access.can(Capability.LONGTERM_RECORD),
        },
        request=request,
    )
