"""The patient's side: answer in the portal (signed in) or through a one-time link (no login).

The moment a patient submits, the next page shows crisis resources. Nothing may keep that page
from the patient: the answers are scored first (pure), then stored; if storing or anything after
it fails, the error is logged and the page still shows the resources and the clinic's number.
"""

from __future__ import annotations

import logging

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from ketacare.assessments import selectors, services
from ketacare.assessments.crisis import CRISIS_RESOURCES
from ketacare.assessments.forms import form_rows, parse_answers
from ketacare.assessments.models import AssessmentResponse
from ketacare.assessments.treatments import treatment_times_for
from ketacare.clinical.instruments import INSTRUMENTS
from ketacare.core.access import require_patient
from ketacare.core.actions import action
from ketacare.patients.models import Patient

logger = logging.getLogger(__name__)


def _portal_patient(request: HttpRequest) -> Patient:
    return Patient.objects.select_related("clinic").get(pk=request.access.patient_id)


def portal_items(patient: Patient) -> dict:
    """What the portal offers: due questionnaires first, then the others the clinic uses."""
    due = [
        item
        for item in selectors.assessments_due_for(
            patient, treatments=treatment_times_for(patient), now=timezone.now()
        )
        if item.completed_by_patient
    ]
    due_codes = {item.instrument for item in due}
    others = [
        (code, INSTRUMENTS[code].name)
        for code in selectors.patient_instruments(patient.clinic)
        if code not in due_codes
    ]
    return {"due": due, "others": others}


@require_patient
def portal_list(request: HttpRequest) -> HttpResponse:
    patient = _portal_patient(request)
    return render(
        request, "assessments/portal_list.html", {"patient": patient, **portal_items(patient)}
    )


@require_patient
def portal_answer(request: HttpRequest, code: str) -> HttpResponse:
    """A patient answers a questionnaire in the portal."""
    act = action(request)
    patient = _portal_patient(request)
    if code not in INSTRUMENTS or INSTRUMENTS[code].completed_by != "patient":
        raise Http404("No such questionnaire.")
    spec = selectors.form_spec(patient.clinic, code)
    if request.method == "POST":
        answers, values, errors = parse_answers(code, request.POST)
        if answers is None:
            return _form(request, patient, spec, values, errors)

        def store():
            return services.response_submit(
                patient=patient,
                instrument=code,
                answers=answers,
                source=AssessmentResponse.Source.PORTAL,
                wording_id=spec.wording_id,
                **act.stamp,
            )

        return _submit_and_thank(request, patient, code, answers, store)
    return _form(request, patient, spec, {}, {})


def by_link(request: HttpRequest, token: str) -> HttpResponse:
    """The questionnaire opened from an e-mailed one-time link (no login)."""
    act = action(request)
    try:
        link = services.questionnaire_link_resolve(token, at=act.at)
    except services.LinkInvalid as invalid:
        return _link_invalid(request, str(invalid))
    patient = link.patient
    spec = selectors.form_spec(patient.clinic, link.instrument)
    if request.method == "POST":
        answers, values, errors = parse_answers(link.instrument, request.POST)
        if answers is None:
            return _form(request, patient, spec, values, errors, public=True)

        def store():
            return services.response_submit_via_link(
                token=token, answers=answers, wording_id=spec.wording_id, **act.stamp
            )

        return _submit_and_thank(request, patient, link.instrument, answers, store, public=True)
    return _form(request, patient, spec, {}, {}, public=True)


def _form(request, patient, spec, values, errors, *, public: bool = False) -> HttpResponse:
    return render(
        request,
        "assessments/answer.html",
        {
            "patient": patient,
            "clinic": patient.clinic,
            "spec": spec,
            "rows": form_rows(spec, values, errors),
            "errors": errors,
            "public": public,
        },
        status=422 if errors else 200,
    )


def _submit_and_thank(request, patient, code, answers, store, *, public: bool = False):
    """Store the answers, then always show the thank-you page with crisis resources."""
    flagged = False
    try:
        flagged = bool(
            services.score_answers(patient.clinic, code, answers).flags
            & services.SAFETY_FLAGS.keys()
        )
    except Exception:
        logger.exception("Scoring a submitted %s failed; showing crisis resources anyway", code)
        flagged = True
    saved = False
    reason = ""
    try:
        result = store()
        saved = True
        flagged = flagged or result.safety_flagged
    except services.LinkInvalid as invalid:
        reason = str(invalid)
    except Exception:
        logger.exception("Storing a submitted %s for patient %s failed", code, patient.pk)
    try:
        return render(
            request,
            "assessments/thanks.html",
            {
                "patient": patient,
                "clinic": patient.clinic,
                "name": INSTRUMENTS[code].name,
                "flagged": flagged,
                "saved": saved,
                "reason": reason,
                "resources": CRISIS_RESOURCES,
                "public": public,
            },
        )
    except Exception:
        logger.exception("The thank-you page failed; sending the plain crisis page")
        return HttpResponse(_PLAIN_CRISIS_PAGE)


def _plain_crisis_page() -> str:
    from django.utils.html import escape

    items = "".join(
        f"<li><strong>{escape(r.name)}</strong>: {escape(r.how)}</li>" for r in CRISIS_RESOURCES
    )
    return (
        "<!doctype html><html lang=en><meta charset=utf-8><title>Thank you</title>"
        "<h1>Thank you</h1><p>If you are thinking about suicide or are in crisis, "
        f"reach out now:</p><ul>{items}</ul></html>"
    )


_PLAIN_CRISIS_PAGE = _plain_crisis_page()


def _link_invalid(request: HttpRequest, reason: str) -> HttpResponse:
    return render(
        request,
        "assessments/link_invalid.html",
        {"reason": reason, "resources": CRISIS_RESOURCES},
        status=410,
    )
