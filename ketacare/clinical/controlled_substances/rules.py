"""Every rule of the ledger with its sources, and the settings a clinic may change, for the
medical director's review (unverified rules are shown as such).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from ketacare.clinical.common import ConfigurableDefault, Provenance
from ketacare.clinical.controlled_substances.counts import COUNT_TOLERANCE_ML
from ketacare.clinical.controlled_substances.ledger import DESTRUCTION_WITNESSES, WASTE_WITNESSES
from ketacare.clinical.controlled_substances.oversight import (
    INVENTORY_REMINDER_DAYS,
    REGISTRATION_WARNING_DAYS,
    RETENTION_YEARS,
)
from ketacare.clinical.controlled_substances.sources import (
    ACTUAL_DATES,
    BIENNIAL_INVENTORY,
    DESTRUCTION,
    DISPENSING_RECORD,
    ESKETAMINE_PRODUCT,
    INITIAL_INVENTORY,
    INVOICE_RECORDS,
    KEEP_RECORDS,
    LOSS_REPORTING,
    OPENED_CONTAINERS,
    PER_LOCATION,
    RECEIPT_RECORD,
    RETENTION,
    SEPARATE_RECORDS,
    WASTE,
)


@dataclass(frozen=True)
class Rule:
    id: str
    text: str
    provenance: Provenance


RULES: Final[tuple[Rule, ...]] = (
    Rule("records", "Every unit received, administered, wasted, dispensed, transferred, "
         "returned, destroyed or lost is recorded (cash-pay clinics keep dispensing records)",
         KEEP_RECORDS),
    Rule("per_location", "Separate records per registered location (clinic)", PER_LOCATION),
    Rule("actual_dates", "Entries carry the actual date of receipt, transfer or destruction",
         ACTUAL_DATES),
    Rule("receipts", "Receipts record quantity, date and supplier name, address and DEA number",
         RECEIPT_RECORD),
    Rule("invoices", "Schedule III receipts keep the invoice or packing slip reference",
         INVOICE_RECORDS),
    Rule("dispensing", "Administration and dispensing records name the substance, form and "
         "strength, quantity, date, patient name and address, and who gave it",
         DISPENSING_RECORD),
    Rule("waste", "Waste of a drawn dose is on its administration record with a second "
         "licensed witness who confirms with their own password", WASTE),
    Rule("destruction", "On-site destruction of inventory: Form 41 record, two witnesses",
         DESTRUCTION),
    Rule("retention", "Records are kept at least 2 years and cannot be purged before", RETENTION),
    Rule("separate", "Controlled-substance records and reports are kept apart from other "
         "records (their own ledger, reports and exports)", SEPARATE_RECORDS),
    Rule("initial_inventory", "Initial inventory on the day controlled substances are first "
         "handled", INITIAL_INVENTORY),
    Rule("biennial_inventory", "Biennial inventory within 24 months of the previous one",
         BIENNIAL_INVENTORY),
    Rule("opened_containers", "Opened containers may be estimated unless they hold more than "
         "1,000 units", OPENED_CONTAINERS),
    Rule("loss", "Theft or significant loss: written notice to the DEA Field Division within 1 "
         "business day; Form 106 online within 45 days", LOSS_REPORTING),
    Rule("esketamine", "SPRAVATO (NDC 50458-028) is recorded per 28 mg device, unused devices "
         "included", ESKETAMINE_PRODUCT),
)  # fmt: skip

SETTINGS: Final[tuple[ConfigurableDefault, ...]] = (
    WASTE_WITNESSES,
    DESTRUCTION_WITNESSES,
    COUNT_TOLERANCE_ML,
    INVENTORY_REMINDER_DAYS,
    REGISTRATION_WARNING_DAYS,
    RETENTION_YEARS,
)
SETTING_KINDS: Final[dict[str, type]] = {COUNT_TOLERANCE_ML.key: float}
