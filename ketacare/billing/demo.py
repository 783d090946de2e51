"""Demo billing for ``ketacare demo``: a fee schedule, a package, sliding-scale bands and billing
details for each clinic; a consultation charge before each demo course and the charges the
demo's signed sessions made (recomputed with those prices), mostly posted and paid; a
sliding-scale household, a package sold, and an esketamine prior authorisation close to its end.

Every price, band and identifier here is ILLUSTRATIVE (demo data): prices sit inside the cash
ranges the reference quotes (§9: $400–800 per IV infusion [S127], consult ≈ $350 [S128]); a real
clinic's administrator sets its own on the fee schedule page. The NPI and tax ID are well-formed
examples, not real registrations.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from ketacare.audit.services import RequestOrigin
from ketacare.billing.models import Charge
from ketacare.billing.services import authorisations, payments, setup, sliding_scale
from ketacare.billing.services import charges as charge_services
from ketacare.core.errors import DomainError
from ketacare.core.models import Clinic, StaffMembership
from ketacare.core.roles import Role
from ketacare.treatment.models import TreatmentCourse

D = Decimal
DEMO_PRICES = {  # illustrative (demo data)
    "consultation": ("350.00", "99204"),
    "follow_up": ("150.00", "99214"),
    "integration_therapy": ("150.00", "90837"),
    "iv_infusion": ("550.00", ""),
    "iv_infusion_additional_hour": ("150.00", ""),
    "im_injection": ("400.00", ""),
    "sublingual_session": ("150.00", ""),
    "esketamine_session": ("300.00", ""),
}
DEMO_BANDS = [  # illustrative clinic policy (§9.1: bands are the clinic's)
    {"label": "≤100 %", "above_percent": "0", "up_to_percent": "100", "discount_percent": "60"},
    {"label": "101–150 %", "above_percent": "100", "up_to_percent": "150",
     "discount_percent": "40"},
    {"label": "151–200 %", "above_percent": "150", "up_to_percent": "200",
     "discount_percent": "20"},
    {"label": ">200 %", "above_percent": "200", "up_to_percent": None, "discount_percent": "0"},
]
LEFT_TO_REVIEW = 2
CONSULTATIONS = 8


def _origin(clinic: Clinic, role: str) -> RequestOrigin:
    membership = (StaffMembership.objects.filter(clinic=clinic, role=role)
                  .select_related("user").first())
    if membership is None:
        return RequestOrigin.system("ketacare demo")
    return RequestOrigin(actor=membership.user, actor_label=membership.user.get_username())


def _set_up(clinic: Clinic, origin: RequestOrigin, at: dt.datetime) -> None:
    for service, (price, code) in DEMO_PRICES.items():
        setup.fee_set(clinic=clinic, service=service, unit_price=D(price), code=code,
                      origin=origin, at=at)
    setup.package_save(clinic=clinic, name="Six-infusion induction", route="racemic_iv",
                       sessions=6, price=D("2700.00"), origin=origin, at=at)
    setup.sliding_scale_policy_set(clinic=clinic, bands=DEMO_BANDS, origin=origin, at=at)
    setup.billing_profile_update(clinic=clinic, origin=origin, at=at, values={
        "billing_name": f"{clinic.name} PC", "npi": "1234567893", "tax_id": "12-3456789",
        "statement_message": f"Questions about this statement? Call {clinic.phone}.",
    })


def load(*, rng: random.Random, clinics) -> None:
    at = timezone.now()
    for clinic in clinics:
        admin, billing = _origin(clinic, Role.CLINIC_ADMIN), _origin(clinic, Role.BILLING)
        _set_up(clinic, admin, at - dt.timedelta(days=90))
        courses = list(TreatmentCourse.objects.filter(clinic=clinic).select_related("patient")
                       .order_by("pk")[:CONSULTATIONS])
        if not courses:
            continue
        today = at.astimezone(clinic.zone).date()
        _sliding_scale_household(courses[0].patient, today - dt.timedelta(days=30), billing, at)
        iv = [c for c in courses[1:] if c.route == "racemic_iv"]
        if iv:
            _package_sold(iv[0].patient, clinic, billing, at)
        charges = []
        for n, course in enumerate(courses):  # the consultation before each course
            charges.append(charge_services.charge_create(
                patient=course.patient, date_of_service=today - dt.timedelta(days=20 + n),
                services=[("consultation", 1)], diagnosis_codes=[], origin=billing, at=at))
        sessions = Charge.objects.filter(clinic=clinic, session__isnull=False).order_by("pk")
        for charge in sessions:  # made by the signed demo sessions, before prices existed
            charges.append(charge_services.charge_recompute(charge=charge, origin=billing,
                                                            at=at))
        left = min(LEFT_TO_REVIEW, len(charges) // 2)  # some to review, most posted
        _post_and_pay(rng, charges[: len(charges) - left], billing, at)
        _authorisation(clinic, courses[0].patient, billing, at)


def _sliding_scale_household(patient, assessed_on: dt.date, origin, at: dt.datetime) -> None:
    """A household of 3 at 142 % of the guideline (the reference's worked example income)."""
    year = sliding_scale.guideline_year_for(assessed_on)
    if year is None:
        return
    sliding_scale.assessment_record(
        patient=patient, household_size=3, annual_income="37843.00", proof="tax_return",
        assessed_on=assessed_on, guideline_year=year, origin=origin, at=at)


def _package_sold(patient, clinic: Clinic, origin: RequestOrigin, at: dt.datetime) -> None:
    """The six-infusion induction, prepaid by an IV patient."""
    package = clinic.packages.get(name="Six-infusion induction")
    payments.package_sell(patient=patient, package=package, method="card",
                          reference="DEMO-PACKAGE", idempotency_key=f"demo-package-{patient.pk}",
                          origin=origin, at=at)


def _post_and_pay(rng: random.Random, charges: list[Charge], origin, at: dt.datetime) -> None:
    for n, charge in enumerate(charges):
        charge.refresh_from_db()
        try:
            posted = charge_services.charge_post(charge=charge, origin=origin, at=at)
        except DomainError:
            continue  # still needs attention (e.g. no diagnosis on the chart): left to review
        if n % 3 == 2 or posted.total == 0:
            continue  # an unpaid balance for the billing home
        method = rng.choice(("card", "card", "hsa_fsa", "cash"))
        amount = posted.total if n % 3 == 0 else (posted.total / 2).quantize(D("0.01"))
        payments.payment_record(patient=posted.patient, method=method, amount=amount,
                                reference=f"DEMO-{posted.pk}", origin=origin, at=at,
                                idempotency_key=f"demo-payment-{posted.pk}")


def _authorisation(clinic: Clinic, fallback, origin: RequestOrigin, at: dt.datetime) -> None:
    """The esketamine course's prior authorisation, approved and ending in ten days; without an
    esketamine course in the demo, a request still waiting for the payer."""
    today = at.astimezone(clinic.zone).date()
    course = TreatmentCourse.objects.filter(clinic=clinic, route="esketamine_nasal").first()
    patient = course.patient if course else fallback
    request = authorisations.authorisation_submit(
        patient=patient, course=course, payer=patient.insurance_payer or "Demo Health Plan",
        payer_reference="PA-DEMO-1", submitted_on=today - dt.timedelta(days=40),
        origin=origin, at=at)
    if course is None:
        return
    authorisations.authorisation_decide(
        authorisation=request, status="approved", on=today - dt.timedelta(days=35),
        starts_on=today - dt.timedelta(days=35), ends_on=today + dt.timedelta(days=10),
        approved_units=8, origin=origin, at=at)
