"""The patients app's section of the portal: the health questionnaire."""

from __future__ import annotations

from django.template.loader import render_to_string

from ketacare.patients.selectors import intake_current


def portal_panel(request, patient) -> str | None:
    return render_to_string(
        "patients/_portal_panel.html",
        {"patient": patient, "intake": intake_current(patient)},
        request=request,
    )
