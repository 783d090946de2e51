"""Every number and source the controlled-substance rules rest on (clinical reference §8, §3.1).

Rules tagged "[memory, verify]" in the reference carry ``verified=False``: the screens show them
as unverified to the medical director, and the code takes the safer reading.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from ketacare.clinical.common import ClinicalRuleError, Provenance
from ketacare.clinical.dosing.esketamine import ESKETAMINE_DEVICE_MG

SECTION: Final = "controlled_substances"
SCHEDULE: Final = "III"  # ketamine and esketamine are Schedule III. source: §8 heading, S45

MG: Final = Decimal("0.01")  # mg are kept to 0.01 mg, as the session record keeps doses
UNITS: Final = Decimal("0.0001")  # product units to 0.0001 (mL), so mg ↔ mL converts exactly

# --- sources ------------------------------------------------------------------------------------
KEEP_RECORDS: Final = Provenance(
    ("S116", "S117"), note="cash-pay clinics charge for the drug, so they keep dispensing records"
)
PER_LOCATION: Final = Provenance(("S117",), note="separate records per registered location")
ACTUAL_DATES: Final = Provenance(("S117",), note="the actual date of receipt, transfer, ...")
RECEIPT_RECORD: Final = Provenance(("S118",), note="quantity, date, supplier name/address/DEA no.")
DISPENSING_RECORD: Final = Provenance(
    ("S118",), verified=False, note="dispensing record field list [memory, verify]"
)
INVOICE_RECORDS: Final = Provenance(
    ("§8",),
    verified=False,
    note="CIII orders: invoice or packing slip kept (DEA 222 is CI-CII only)",
)
RETENTION: Final = Provenance(("S21",), note="records kept at least 2 years for inspection")
SEPARATE_RECORDS: Final = Provenance(
    ("§8",),
    verified=False,
    note="CIII-CV records kept separate or readily retrievable [memory, verify]",
)
INITIAL_INVENTORY: Final = Provenance(
    ("S119",), note="on the date controlled substances are first handled"
)
BIENNIAL_INVENTORY: Final = Provenance(("S119", "S120"), note="within 24 months of the prior one")
OPENED_CONTAINERS: Final = Provenance(
    ("S121",), note="estimated count unless the container holds more than 1,000 units"
)
LOSS_REPORTING: Final = Provenance(
    ("S22", "S23"), note="notice within 1 business day; DEA Form 106 online within 45 days"
)
DESTRUCTION: Final = Provenance(
    ("§8",),
    verified=False,
    note="Form 41 record; on-site destruction by two witnesses [memory, verify]",
)
WASTE: Final = Provenance(
    ("§8",),
    verified=False,
    note="waste on the administration record, second licensed witness [memory, verify]",
)
ESKETAMINE_PRODUCT: Final = Provenance(("S45",), note="NDC 50458-028, 28 mg per device")
CLINIC_SETTING: Final = Provenance(
    (), verified=False, note="reference silent: the clinic must set this"
)
OPERATIONAL_DEFAULT: Final = Provenance((), note="operational default, not a clinical number")

ESKETAMINE_NDC: Final = "50458-028"  # source: S45
ESKETAMINE_MG_PER_DEVICE: Final = Decimal(ESKETAMINE_DEVICE_MG)  # source: S45 (0.2 mL, 2 sprays)
OPENED_CONTAINER_EXACT_ABOVE_UNITS: Final = 1000  # source: S121
RETENTION_MINIMUM_YEARS: Final = 2  # source: S21
BIENNIAL_YEARS: Final = 2  # source: S119, S120
LOSS_NOTICE_BUSINESS_DAYS: Final = 1  # source: S22, S23
FORM_106_DAYS: Final = 45  # source: S22, S23


class LedgerRefused(ClinicalRuleError):
    """An entry the ledger cannot accept, with a message the person recording can act on."""
