"""Billing set-up under /api/v1/billing (fee schedule, packages, sliding-scale bands, billing
details), the daily close and the card provider's webhook: mounted by ``billing.api``."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from ninja import Router

from ketacare.billing import reports, selectors
from ketacare.billing.schemas import (
    BandsIO,
    DailyCloseOut,
    FeeIn,
    FeeOut,
    MethodTotalOut,
    PackageIn,
    PackageOut,
    ProfileIO,
    WebhookOut,
)
from ketacare.billing.services import online, setup
from ketacare.core.actions import action
from ketacare.core.roles import Capability
from ketacare.core.schemas import ERRORS, READ_ERRORS

router = Router(tags=["billing"])
C = Capability


# --- set-up: fee schedule, packages, bands, billing details -------------------------------------


@router.get("/fees", response={200: list[FeeOut], **READ_ERRORS}, summary="The fee schedule")
def fees(request):
    act = action(request, C.BILLING_VIEW)
    return [FeeOut.of(i) for i in selectors.fee_schedule(act.clinic)]


@router.put("/fees/{service}", response={200: FeeOut, **ERRORS}, summary="Price one service")
def fee_put(request, service: str, payload: FeeIn):
    act = action(request, C.FEE_SCHEDULE_EDIT)
    return FeeOut.of(
        setup.fee_set(clinic=act.clinic, service=service, **payload.dict(), **act.stamp)
    )


@router.get("/packages", response={200: list[PackageOut], **READ_ERRORS}, summary="Packages")
def package_list(request):
    act = action(request, C.BILLING_VIEW)
    return [PackageOut.of(p) for p in selectors.packages(act.clinic)]


@router.post("/packages", response={200: PackageOut, **ERRORS}, summary="Create a package")
def package_create(request, payload: PackageIn):
    act = action(request, C.FEE_SCHEDULE_EDIT)
    return PackageOut.of(setup.package_save(clinic=act.clinic, **payload.dict(), **act.stamp))


@router.put(
    "/packages/{package_id}",
    response={200: PackageOut, **ERRORS},
    summary="Change a package (packages already sold keep their terms)",
)
def package_update(request, package_id: int, payload: PackageIn):
    act = action(request, C.FEE_SCHEDULE_EDIT)
    package = selectors.package_get(act.access, package_id)
    return PackageOut.of(
        setup.package_save(clinic=act.clinic, package=package, **payload.dict(), **act.stamp)
    )


@router.get(
    "/sliding-scale/bands",
    response={200: BandsIO, **READ_ERRORS},
    summary="The clinic's current sliding-scale bands",
)
def bands(request):
    act = action(request, C.BILLING_VIEW)
    policy = setup.sliding_scale_policy_current(act.clinic)
    return BandsIO(version=policy.version if policy else None, bands=policy.bands if policy else [])


@router.put(
    "/sliding-scale/bands",
    response={200: BandsIO, **ERRORS},
    summary="A new version of the sliding-scale bands (clinic policy)",
)
def bands_put(request, payload: BandsIO):
    act = action(request, C.FEE_SCHEDULE_EDIT)
    rows = [band.dict() for band in payload.bands]
    policy = setup.sliding_scale_policy_set(clinic=act.clinic, bands=rows, **act.stamp)
    return BandsIO(version=policy.version, bands=policy.bands)


@router.get("/profile", response={200: ProfileIO, **READ_ERRORS}, summary="Billing details")
def profile(request):
    act = action(request, C.BILLING_VIEW)
    p = setup.billing_profile_of(act.clinic)
    return ProfileIO(**{f: getattr(p, f) for f in setup.PROFILE_FIELDS})


@router.put("/profile", response={200: ProfileIO, **ERRORS}, summary="Set the billing details")
def profile_put(request, payload: ProfileIO):
    act = action(request, C.FEE_SCHEDULE_EDIT)
    p = setup.billing_profile_update(clinic=act.clinic, values=payload.dict(), **act.stamp)
    return ProfileIO(**{f: getattr(p, f) for f in setup.PROFILE_FIELDS})


# --- the daily close and the card provider --------------------------------------------------------


@router.get(
    "/close",
    response={200: DailyCloseOut, **READ_ERRORS},
    summary="Money in and out on one clinic day, by method",
)
def daily_close(request, day: dt.date | None = None):
    act = action(request, C.PAYMENT_RECORD)
    report = reports.daily_close(act.clinic, day or act.at.astimezone(act.clinic.zone).date())
    return DailyCloseOut.of_record(
        report, by_method=[MethodTotalOut.of_record(m) for m in report.by_method]
    )


@router.post(
    "/webhooks/stripe",
    auth=None,
    response={200: WebhookOut, **ERRORS},
    summary="Stripe's signed notice that a checkout completed (no session or token)",
)
def stripe_webhook(request):
    payment = online.online_webhook(
        payload=request.body,
        signature=request.headers.get("Stripe-Signature", ""),
        at=timezone.now(),
    )
    return WebhookOut(received=True, payment_id=payment.pk if payment else None)
