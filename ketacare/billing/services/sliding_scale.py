"""Household assessments for the sliding scale (reference §9.1): income and household size with
the proof seen, the year's HHS guideline used, the FPL% and the band it gives.

An assessment is valid for one year from the day it was made, then the household is assessed
again. The guideline year is chosen explicitly and printed on every statement: the newest table
Ketacare holds that is not later than the assessment (HHS publishes each January; until a year's
table is added, the previous year's is used and the page says so).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction

from ketacare.audit.services import RequestOrigin, audit_record
from ketacare.billing.models import SlidingScaleAssessment
from ketacare.billing.services.setup import (
    bands_of,
    billing_profile_of,
    decimal_of,
    sliding_scale_policy_current,
)
from ketacare.clinical.billing import POVERTY_GUIDELINES, fpl_assessment, sliding_scale_band
from ketacare.core.errors import Invalid, Refused
from ketacare.patients.models import Patient


def guideline_year_for(day: dt.date) -> int | None:
    """The newest guideline year in the table that is not later than ``day``'s year."""
    years = [year for year in POVERTY_GUIDELINES if year <= day.year]
    return max(years) if years else None


def valid_until(assessed_on: dt.date) -> dt.date:
    """The last day of the assessment's year (a 29 February assessment runs to 28 February)."""
    try:
        anniversary = assessed_on.replace(year=assessed_on.year + 1)
    except ValueError:
        anniversary = assessed_on.replace(year=assessed_on.year + 1, day=28) + dt.timedelta(days=1)
    return anniversary - dt.timedelta(days=1)


@transaction.atomic
def assessment_record(
    *, patient: Patient, household_size: int, annual_income: Decimal | str, proof: str,
    assessed_on: dt.date, origin: RequestOrigin, at: dt.datetime, proof_note: str = "",
    guideline_year: int | None = None,
) -> SlidingScaleAssessment:
    """Record what the household showed and the band it falls in under the current bands."""
    if proof not in SlidingScaleAssessment.Proof.values:
        raise Invalid.field("proof", "Choose the proof of income that was seen.")
    if proof == SlidingScaleAssessment.Proof.SELF_ATTESTATION and not (proof_note or "").strip():
        raise Invalid.field("proof_note", "Note why a self-attestation was accepted.")
    today = at.astimezone(patient.clinic.zone).date()
    if assessed_on > today:
        raise Invalid.field("assessed_on", "An assessment cannot be dated in the future.")
    if isinstance(household_size, bool) or not isinstance(household_size, int) or not (
        1 <= household_size <= 30
    ):
        raise Invalid.field("household_size", "Household size is a whole number from 1 to 30.")
    income = decimal_of(annual_income, "annual_income", "the annual household income")
    year = guideline_year if guideline_year is not None else guideline_year_for(assessed_on)
    if year is None or year > assessed_on.year:
        raise Invalid.field("guideline_year", "Choose a guideline year no later than the "
                            "assessment.")
    policy = sliding_scale_policy_current(patient.clinic)
    if policy is None:
        raise Refused("The clinic has no sliding-scale bands yet: its administrator sets them on "
                      "the fee schedule page.")
    region = billing_profile_of(patient.clinic).poverty_guideline_region
    fpl = fpl_assessment(annual_income=income, household_size=household_size, year=year,
                         region=region)
    band, percent = sliding_scale_band(fpl=fpl, table=bands_of(policy.bands))
    assessment = SlidingScaleAssessment.objects.create(
        clinic_id=patient.clinic_id, patient=patient, household_size=household_size,
        annual_income=income, proof=proof, proof_note=(proof_note or "").strip()[:300],
        guideline_year=year, region=region, fpl_percent=percent, policy=policy,
        band_label=band.label, description=fpl.describe()[:300], assessed_on=assessed_on,
        valid_until=valid_until(assessed_on), created_at=at, created_by=origin.actor,
    )
    audit_record(
        origin=origin, action="create", object_type="sliding_scale_assessment",
        object_id=assessment.pk, patient=patient,
        summary=f"Sliding-scale assessment: {fpl.describe()}, band ‘{band.label}’",
        changes={"household_size": household_size, "annual_income": income, "proof": proof,
                 "guideline_year": year, "region": region, "fpl_percent": percent,
                 "band": band.label, "policy_version": policy.version},
        at=at,
    )
    return assessment
