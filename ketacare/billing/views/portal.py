"""The patient's own billing in the portal: statement and superbill downloads, and paying the
balance online on the card provider's page (the local fake stands in for it in development)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from ketacare.billing import documents
from ketacare.billing.card_gateway import FakeGateway, card_gateway
from ketacare.billing.models import Payment
from ketacare.billing.services import online
from ketacare.billing.views.common import date_field
from ketacare.core.access import require_patient
from ketacare.core.actions import action
from ketacare.core.errors import Invalid
from ketacare.core.pages import flash_back, page_errors, posted
from ketacare.patients.models import Patient


def _patient(request: HttpRequest) -> Patient:
    return Patient.objects.select_related("clinic").get(pk=request.access.patient_id)


def _portal(request: HttpRequest, *args, **kwargs) -> str:
    return reverse("portal:home")


@require_patient
@page_errors()
def my_document(request: HttpRequest, kind: str) -> HttpResponse:
    act = action(request)
    patient = _patient(request)
    today = act.at.astimezone(patient.clinic.zone).date()
    ends_on = date_field(request, "to", default=today, source=request.GET)
    starts_on = date_field(request, "from", default=ends_on.replace(month=1, day=1),
                           source=request.GET)
    if starts_on > ends_on:
        raise Invalid.field("from", "The period starts after it ends.")
    return documents.document_download(
        kind=kind,
        patient=patient,
        starts_on=starts_on,
        ends_on=ends_on,
        issued_on=today,
        **act.stamp,
    )


@require_POST
@require_patient
@page_errors(flash_back(_portal))
def my_pay(request: HttpRequest) -> HttpResponse:
    """Start paying online; the patient types the card on the provider's page, not here."""
    act = action(request)
    payment = online.online_checkout_start(
        patient=_patient(request),
        **posted(request, "amount", "idempotency_key"),
        success_url=request.build_absolute_uri(reverse("billing:my_paid"))
        + "?checkout={CHECKOUT_SESSION_ID}",
        cancel_url=request.build_absolute_uri(reverse("portal:home")),
        **act.stamp,
    )
    return redirect(payment.provider_checkout_url)


@require_patient
@page_errors(flash_back(_portal))
def my_paid(request: HttpRequest) -> HttpResponse:
    """The provider sends the patient back here; the payment is recorded once it is paid."""
    act = action(request)
    payment = online.online_checkout_settle(
        checkout_id=request.GET.get("checkout", ""),
        patient=_patient(request),
        **act.stamp,
    )
    if payment.status == Payment.Status.SUCCEEDED:
        messages.success(request, f"Thank you: ${payment.amount:,.2f} received.")
    elif payment.status == Payment.Status.FAILED:
        messages.error(request, "The payment was not completed; nothing was charged.")
    else:
        messages.info(request, "The card provider has not confirmed the payment yet.")
    return redirect("portal:home")


@require_patient
def fake_checkout(request: HttpRequest, checkout_id: str) -> HttpResponse:
    """The local fake's hosted payment page (development and tests only): pay or cancel. No
    card number is asked for, here or anywhere in Ketacare."""
    gateway = card_gateway()
    if not isinstance(gateway, FakeGateway) or checkout_id not in gateway.checkouts:
        raise Http404("No such checkout.")
    payment = Payment.objects.filter(provider_checkout_id=checkout_id,
                                     patient_id=request.access.patient_id).first()
    if payment is None:
        raise Http404("No such checkout.")
    checkout = gateway.checkouts[checkout_id]
    if request.method == "POST":
        paid = request.POST.get("outcome") == "pay"
        gateway.complete(checkout_id, paid=paid)
        target = checkout["success_url"] if paid else checkout["cancel_url"]
        return redirect(target.replace("{CHECKOUT_SESSION_ID}", checkout_id))
    return render(request, "billing/fake_checkout.html",
                  {"checkout": checkout, "payment": payment})
