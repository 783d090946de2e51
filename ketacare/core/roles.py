"""Roles and the capabilities each one holds: the permission matrix (docs/roles.md renders it).

The matrix is the single source of truth: pages and API endpoints ask ``has_capability``; tests
walk every role against every view.
"""

from __future__ import annotations

from enum import StrEnum

from django.db import models


class Role(models.TextChoices):
    FRONT_DESK = "front_desk", "Front desk"
    NURSE = "nurse", "Nurse"
    PRESCRIBER = "prescriber", "Prescriber"
    MEDICAL_DIRECTOR = "medical_director", "Medical director"
    BILLING = "billing", "Billing"
    CLINIC_ADMIN = "clinic_admin", "Clinic admin"


class Credential(models.TextChoices):
    MD = "MD", "MD"
    DO = "DO", "DO"
    NP = "NP", "NP"
    PA = "PA", "PA"
    CRNA = "CRNA", "CRNA"
    RN = "RN", "RN"
    LPN = "LPN", "LPN"
    NONE = "", "—"


PRESCRIBER_CREDENTIALS = frozenset({"MD", "DO", "NP", "PA", "CRNA"})


class Capability(StrEnum):
    PATIENT_LIST = "patient.list"  # search the registry, see demographics
    PATIENT_REGISTER = "patient.register"  # create and edit demographics and contacts
    CHART_VIEW = "chart.view"  # clinical chart: intake, history, alerts, timeline
    INTAKE_EDIT = "intake.edit"  # enter or revise the clinical intake
    INTAKE_SEND_LINK = "intake.send_link"  # e-mail the patient an intake link
    INTAKE_SIGN = "intake.sign"  # review and sign a submitted intake
    PORTAL_INVITE = "portal.invite"  # e-mail the patient a portal activation link
    KIOSK_START = "kiosk.start"  # hand the patient a tablet in kiosk mode
    PATIENT_MERGE = "patient.merge"  # merge duplicate patient records (and undo a merge)
    INSURANCE_VIEW = "insurance.view"
    AUDIT_VIEW = "audit.view"  # search and export the audit trail
    CLINIC_MANAGE = "clinic.manage"  # clinic settings, chairs, staff
    ASSESSMENT_VIEW = "assessment.view"
    ASSESSMENT_ENTER = "assessment.enter"  # clinician-rated or paper results
    ASSESSMENT_SCHEDULE = "assessment.schedule"  # schedules and reminder rules
    ALERT_VIEW = "alert.view"
    ALERT_ACKNOWLEDGE = "alert.acknowledge"
    PROTOCOL_VIEW = "protocol.view"
    PROTOCOL_EDIT = "protocol.edit"  # adjust rule defaults within safe bounds
    ELIGIBILITY_SCREEN = "eligibility.screen"
    CONSENT_MANAGE = "consent.manage"
    PLAN_EDIT = "plan.edit"
    ORDER_SIGN = "order.sign"
    APPOINTMENT_BOOK = "appointment.book"
    SCHEDULE_VIEW = "schedule.view"  # the calendar and the day sheet
    WAITLIST_PRIORITISE = "waitlist.prioritise"  # clinical priority on the waitlist
    SESSION_DOCUMENT = "session.document"  # nurse documentation during a session
    SESSION_OVERRIDE = "session.override"  # prescriber override of a failed gate
    SESSION_COSIGN = "session.cosign"
    REMS_VIEW = "rems.view"
    BILLING_VIEW = "billing.view"  # accounts, charges, statements, superbills, the fee schedule
    CHARGE_POST = "charge.post"  # review, correct, post and void charges; add a charge
    PAYMENT_RECORD = "payment.record"  # payments, deposits, package sales, the daily close
    PAYMENT_REFUND = "payment.refund"  # refunds and write-offs
    SLIDING_SCALE_ASSESS = "sliding_scale.assess"  # household income and size with proof
    PRIOR_AUTH_MANAGE = "prior_auth.manage"  # esketamine prior authorisations
    FEE_SCHEDULE_EDIT = "fee_schedule.edit"  # prices, packages, sliding-scale bands (policy)
    CONTROLLED_VIEW = "controlled.view"  # the ledger, balances, counts and reports
    CONTROLLED_RECORD = "controlled.record"  # receive, draw up, waste, move, count
    CONTROLLED_OVERSEE = "controlled.oversee"  # registrations, products, discrepancies, losses
    ANALYTICS_VIEW = "analytics.view"  # cohort outcomes of the clinic (or network)
    FHIR_EXPORT = "fhir.export"  # FHIR bulk export of the clinic's whole record
    LONGTERM_VIEW = "longterm.view"  # long-term safety: cumulative exposure, checks, signals
    LONGTERM_RECORD = "longterm.record"  # urinary checks, cognitive screens, liver results
    LONGTERM_REVIEW = "longterm.review"  # close signals, continuation reviews, take-home limits


_ALL_CLINICAL = {Role.NURSE, Role.PRESCRIBER, Role.MEDICAL_DIRECTOR}
_PRESCRIBING = {Role.PRESCRIBER, Role.MEDICAL_DIRECTOR}
_BILLING = {Role.BILLING, Role.CLINIC_ADMIN}

MATRIX: dict[Capability, frozenset[Role]] = {
    Capability.PATIENT_LIST: frozenset(
        {Role.FRONT_DESK, Role.BILLING, Role.CLINIC_ADMIN, *_ALL_CLINICAL}
    ),
    Capability.PATIENT_REGISTER: frozenset({Role.FRONT_DESK, Role.CLINIC_ADMIN, *_ALL_CLINICAL}),
    Capability.CHART_VIEW: frozenset(_ALL_CLINICAL),
    Capability.INTAKE_EDIT: frozenset(_ALL_CLINICAL),
    Capability.INTAKE_SEND_LINK: frozenset({Role.FRONT_DESK, *_ALL_CLINICAL}),
    Capability.INTAKE_SIGN: frozenset(_PRESCRIBING),
    Capability.PORTAL_INVITE: frozenset({Role.FRONT_DESK, Role.CLINIC_ADMIN, *_ALL_CLINICAL}),
    Capability.KIOSK_START: frozenset({Role.FRONT_DESK, *_ALL_CLINICAL}),
    Capability.PATIENT_MERGE: frozenset({Role.MEDICAL_DIRECTOR}),
    Capability.INSURANCE_VIEW: frozenset({Role.FRONT_DESK, Role.BILLING, Role.CLINIC_ADMIN}),
    Capability.AUDIT_VIEW: frozenset({Role.MEDICAL_DIRECTOR}),
    Capability.CLINIC_MANAGE: frozenset({Role.CLINIC_ADMIN, Role.MEDICAL_DIRECTOR}),
    Capability.ASSESSMENT_VIEW: frozenset(_ALL_CLINICAL),
    Capability.ASSESSMENT_ENTER: frozenset(_ALL_CLINICAL),
    Capability.ASSESSMENT_SCHEDULE: frozenset(_PRESCRIBING),
    Capability.ALERT_VIEW: frozenset(_ALL_CLINICAL),
    Capability.ALERT_ACKNOWLEDGE: frozenset(_ALL_CLINICAL),
    Capability.PROTOCOL_VIEW: frozenset(_ALL_CLINICAL),
    Capability.PROTOCOL_EDIT: frozenset({Role.MEDICAL_DIRECTOR}),
    Capability.ELIGIBILITY_SCREEN: frozenset(_PRESCRIBING),
    Capability.CONSENT_MANAGE: frozenset(_ALL_CLINICAL),
    Capability.PLAN_EDIT: frozenset(_PRESCRIBING),
    Capability.ORDER_SIGN: frozenset(_PRESCRIBING),
    Capability.APPOINTMENT_BOOK: frozenset({Role.FRONT_DESK, *_ALL_CLINICAL}),
    Capability.SCHEDULE_VIEW: frozenset({Role.FRONT_DESK, Role.CLINIC_ADMIN, *_ALL_CLINICAL}),
    Capability.WAITLIST_PRIORITISE: frozenset(_PRESCRIBING),
    Capability.SESSION_DOCUMENT: frozenset(_ALL_CLINICAL),
    Capability.SESSION_OVERRIDE: frozenset(_PRESCRIBING),
    Capability.SESSION_COSIGN: frozenset(_PRESCRIBING),
    Capability.REMS_VIEW: frozenset({*_ALL_CLINICAL, Role.CLINIC_ADMIN}),
    Capability.BILLING_VIEW: frozenset(_BILLING),
    Capability.CHARGE_POST: frozenset(_BILLING),
    Capability.PAYMENT_RECORD: frozenset(_BILLING),
    Capability.PAYMENT_REFUND: frozenset(_BILLING),
    Capability.SLIDING_SCALE_ASSESS: frozenset(_BILLING),
    Capability.PRIOR_AUTH_MANAGE: frozenset(_BILLING),
    # Prices and sliding-scale bands are clinic policy: set by the clinic's administrator.
    Capability.FEE_SCHEDULE_EDIT: frozenset({Role.CLINIC_ADMIN}),
    # Only those who handle the drug or oversee it see the controlled-substance records.
    Capability.CONTROLLED_VIEW: frozenset(_ALL_CLINICAL),
    Capability.CONTROLLED_RECORD: frozenset(_ALL_CLINICAL),
    Capability.CONTROLLED_OVERSEE: frozenset({Role.MEDICAL_DIRECTOR}),
    # Cohort outcomes are for those who decide on treatment, not the front desk or billing.
    Capability.ANALYTICS_VIEW: frozenset(_PRESCRIBING),
    # The whole record of every patient in one download: as for the identified analytics export.
    Capability.FHIR_EXPORT: frozenset({Role.MEDICAL_DIRECTOR}),
    # Long-term safety is clinical: not for the front desk, billing or the clinic's admin.
    Capability.LONGTERM_VIEW: frozenset(_ALL_CLINICAL),
    Capability.LONGTERM_RECORD: frozenset(_ALL_CLINICAL),
    Capability.LONGTERM_REVIEW: frozenset(_PRESCRIBING),
}


def roles_with(capability: Capability) -> frozenset[Role]:
    return MATRIX[capability]


def role_has(role: str, capability: Capability) -> bool:
    return role in MATRIX[capability]
