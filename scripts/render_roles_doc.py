"""Render docs/roles.md from the permission matrix in ketacare.core.roles.

    python scripts/render_roles_doc.py            # print the document
    python scripts/render_roles_doc.py --write    # rewrite docs/roles.md
    python scripts/render_roles_doc.py --check    # exit 1 when docs/roles.md is out of date

tests/web/test_docs.py fails whenever docs/roles.md differs from what this script renders, so a
change to the matrix and its documentation land together. A new role or capability needs a line
in ROLE_SUMMARIES or CAPABILITY_SUMMARIES below; the script refuses to render without it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
if str(PROJECT_DIR) not in sys.path:
    sys.path.insert(0, str(PROJECT_DIR))

from ketacare.core.roles import MATRIX, Capability, Role  # noqa: E402

DOC_PATH = PROJECT_DIR / "docs" / "roles.md"

ROLE_SUMMARIES: dict[Role, str] = {
    Role.FRONT_DESK: (
        "Registers patients and keeps their demographics, contacts and insurance up to date, "
        "sends intake links and books appointments; sees demographics only, never the clinical "
        "chart."
    ),
    Role.NURSE: (
        "Works from the clinical chart: enters the intake and assessments, documents sessions, "
        "manages consent and acknowledges alerts; cannot sign intakes or orders, or override a "
        "failed safety gate."
    ),
    Role.PRESCRIBER: (
        "A clinician with an MD, DO, NP, PA or CRNA credential: everything a nurse does, plus "
        "signing intakes, eligibility screening, treatment plans and orders, overriding a failed "
        "session gate and co-signing."
    ),
    Role.MEDICAL_DIRECTOR: (
        "A prescriber who also owns the protocol defaults, manages the clinic and alone may "
        "search and export the audit trail; a network-wide medical director holds these rights "
        "at every clinic of the network."
    ),
    Role.BILLING: (
        "Sees the registry's demographics and insurance; reviews and posts the charges signed "
        "sessions produce, records payments, refunds and sliding-scale assessments, issues "
        "statements and superbills and tracks esketamine prior authorisations; no clinical "
        "chart and no changes to patient records."
    ),
    Role.CLINIC_ADMIN: (
        "Runs the clinic: its settings, chairs and staff, patient registration, insurance, "
        "billing with its fee schedule and sliding-scale policy, and the REMS view; no clinical "
        "chart."
    ),
}

CAPABILITY_SUMMARIES: dict[Capability, str] = {
    Capability.PATIENT_LIST: "Search the registry and see demographics",
    Capability.PATIENT_REGISTER: "Register patients; edit demographics and contacts",
    Capability.CHART_VIEW: "Clinical chart: intake, history, alerts, timeline",
    Capability.INTAKE_EDIT: "Enter or revise the clinical intake",
    Capability.INTAKE_SEND_LINK: "E-mail the patient a one-time intake link",
    Capability.INTAKE_SIGN: "Review and sign a submitted intake",
    Capability.PORTAL_INVITE: "E-mail the patient a one-time portal activation link",
    Capability.KIOSK_START: "Start kiosk mode: the patient completes consent and questionnaires "
    "on a handed-over tablet",
    Capability.PATIENT_MERGE: "Merge two records of the same patient (audited, undone by addendum)",
    Capability.INSURANCE_VIEW: "See insurance details",
    Capability.AUDIT_VIEW: "Search and export the audit trail",
    Capability.CLINIC_MANAGE: "Clinic settings, chairs and staff",
    Capability.ASSESSMENT_VIEW: "See rating-scale results",
    Capability.ASSESSMENT_ENTER: "Enter clinician-rated or paper results",
    Capability.ASSESSMENT_SCHEDULE: "Set assessment schedules and reminder rules",
    Capability.ALERT_VIEW: "See clinical alerts",
    Capability.ALERT_ACKNOWLEDGE: "Acknowledge an alert with the action taken",
    Capability.PROTOCOL_VIEW: "See the clinic's protocol",
    Capability.PROTOCOL_EDIT: "Adjust protocol defaults within safe bounds",
    Capability.ELIGIBILITY_SCREEN: "Run and record the eligibility screen",
    Capability.CONSENT_MANAGE: "Record and manage consent",
    Capability.PLAN_EDIT: "Write and change treatment plans",
    Capability.ORDER_SIGN: "Sign treatment orders",
    Capability.APPOINTMENT_BOOK: "Book, move and cancel appointments; the waitlist",
    Capability.SCHEDULE_VIEW: "See the calendar and print the day sheet",
    Capability.WAITLIST_PRIORITISE: "Give a waiting patient clinical priority",
    Capability.SESSION_DOCUMENT: "Document a treatment session",
    Capability.SESSION_OVERRIDE: "Override a failed session gate, with a reason",
    Capability.SESSION_COSIGN: "Co-sign session documentation",
    Capability.REMS_VIEW: "See REMS records",
    Capability.BILLING_VIEW: (
        "See patient accounts, charges, statements, superbills, authorisations and the fee "
        "schedule"
    ),
    Capability.CHARGE_POST: "Review, correct, post and void charges; add a charge",
    Capability.PAYMENT_RECORD: "Record payments, deposits and package sales; the daily close",
    Capability.PAYMENT_REFUND: "Refund a payment; write off a balance",
    Capability.SLIDING_SCALE_ASSESS: "Record household size and income with the proof seen",
    Capability.PRIOR_AUTH_MANAGE: "Record esketamine prior authorisations and payer decisions",
    Capability.FEE_SCHEDULE_EDIT: (
        "Set prices, packages, sliding-scale bands and billing details (clinic policy)"
    ),
    Capability.CONTROLLED_VIEW: (
        "See the controlled-substance ledger, balances, counts and reports"
    ),
    Capability.CONTROLLED_RECORD: (
        "Receive, draw up, waste (with a witness), move and count controlled substances"
    ),
    Capability.CONTROLLED_OVERSEE: (
        "DEA registration, products, corrections' review, discrepancies and loss reports"
    ),
    Capability.ANALYTICS_VIEW: (
        "Cohort outcomes of the clinic (a network's medical director: across its clinics)"
    ),
    Capability.FHIR_EXPORT: (
        "FHIR bulk export ($export) of the clinic's whole record (token scope system/*.read)"
    ),
    Capability.LONGTERM_VIEW: (
        "Long-term safety of a patient: cumulative exposure, urinary, cognitive and liver "
        "checks, misuse signals and what is due"
    ),
    Capability.LONGTERM_RECORD: (
        "Record urinary symptom checks, cognitive screens and liver-function results"
    ),
    Capability.LONGTERM_REVIEW: (
        "Review and close long-term safety signals, sign continuation reviews, set take-home "
        "dispensing limits"
    ),
}

INTRODUCTION = """\
# Roles and permissions

<!-- Generated by scripts/render_roles_doc.py from ketacare.core.roles.MATRIX.
     Do not edit by hand: change the matrix (or the summaries in the script), then run
     `.venv/bin/python scripts/render_roles_doc.py --write`. tests/web/test_docs.py fails
     while this file and the matrix disagree. -->

Every staff member holds one or more roles at a clinic. What a role may do is the permission
matrix in `ketacare/core/roles.py`; this page is rendered from it. Pages
(`ketacare.core.access.require_capability`) and API endpoints
(`ketacare.core.api_utils.require`) ask the matrix on the server for every request, so hiding a
link is never the protection. A refusal is `403 Forbidden`. `tests/web/test_role_matrix.py`
walks every role against every page and API endpoint, the refusals included.
"""

RULES = """\
## Rules that hold for every role

- **The clinic in use.** A request acts at one clinic: the one chosen in the clinic switcher
  (pages) or named by the `X-Ketacare-Clinic` header (API), among the clinics the person holds a
  role at. Only the roles held at that clinic count; a nurse at one clinic and front desk at
  another is front desk while working at the second.
- **No clinic sees another's patients.** Every read is scoped to the clinic in use
  (`ketacare.patients.selectors.patients_in_scope`). Nobody sees another clinic's patients
  unless they hold a role there or are a network-wide medical director. A patient of another
  clinic answers `404 Not Found`, so a guessed id does not even confirm that the patient exists.
- **Network-wide medical directors.** A medical director membership without a clinic covers
  every clinic of the organisation (network); such a director switches between those clinics
  and holds the medical director's rights at each. Only medical directors can hold a
  network-wide membership (a database constraint enforces it).
- **Patients see only their own portal.** A patient's portal account holds no staff role: it
  reaches `/portal/` for that patient alone, and every staff page and patient-data API endpoint
  refuses it. An e-mailed intake link opens one patient's intake questionnaire and works once,
  until it expires.
- **Second factor before anything else.** A staff member who has set up an authenticator app,
  or who holds a role at any clinic that requires two-factor sign-in, must confirm a TOTP code
  before any page or session-authenticated API call answers. API bearer tokens are a separate
  credential and are not asked for one.
- **Looking is recorded too.** Every change to patient data, every opening of a chart and every
  read of patient data through the API is written to the audit trail, which only medical
  directors may search or export.
"""


class IncompleteSummaries(Exception):
    """A role or capability has no line to render (or a capability no row in MATRIX)."""


def _check_complete() -> None:
    missing_roles = [role for role in Role if role not in ROLE_SUMMARIES]
    missing_capabilities = [cap for cap in Capability if cap not in CAPABILITY_SUMMARIES]
    unmapped = [cap for cap in Capability if cap not in MATRIX]
    problems = []
    if missing_roles:
        problems.append(f"no summary for role(s): {', '.join(missing_roles)}")
    if missing_capabilities:
        problems.append(f"no summary for capability(ies): {', '.join(missing_capabilities)}")
    if unmapped:
        problems.append(f"capability(ies) missing from MATRIX: {', '.join(unmapped)}")
    if problems:
        raise IncompleteSummaries("render_roles_doc: " + "; ".join(problems))


def render() -> str:
    """The whole of docs/roles.md, from the matrix."""
    _check_complete()
    roles = list(Role)
    lines = [INTRODUCTION, "## Roles", ""]
    for role in roles:
        lines.append(f"- **{role.label}** (`{role.value}`) — {ROLE_SUMMARIES[role]}")
    lines += [
        "",
        "## The matrix",
        "",
        "✓ means the role holds the capability at the clinic in use; a blank cell is a refusal.",
        "",
        "| Capability | Allows | " + " | ".join(role.label for role in roles) + " |",
        "|---|---|" + "|".join(":-:" for _ in roles) + "|",
    ]
    for capability in Capability:
        cells = " | ".join("✓" if role in MATRIX[capability] else " " for role in roles)
        lines.append(f"| `{capability.value}` | {CAPABILITY_SUMMARIES[capability]} | {cells} |")
    lines += ["", RULES]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Render docs/roles.md from the role matrix.")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="rewrite docs/roles.md")
    mode.add_argument("--check", action="store_true", help="exit 1 if docs/roles.md is stale")
    args = parser.parse_args(argv)
    try:
        text = render()
    except IncompleteSummaries as problem:
        print(problem, file=sys.stderr)
        return 2
    if args.write:
        DOC_PATH.write_text(text, encoding="utf-8")
        print(f"wrote {DOC_PATH.relative_to(PROJECT_DIR)}")
        return 0
    if args.check:
        current = DOC_PATH.read_text(encoding="utf-8") if DOC_PATH.exists() else ""
        if current != text:
            print(
                "docs/roles.md is out of date: run python scripts/render_roles_doc.py --write",
                file=sys.stderr,
            )
            return 1
        return 0
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
