"""Every write of the controlled-substance ledger: one transaction each, audited, rules from the
clinical core. ``chain`` appends entries (the only writer) and checks the stored ledger;
``setup`` the registration, products and locations; ``stock`` receipts, transfers, removals,
dispensing and corrections; ``dosing`` the session's draw-up and the rest of its dose;
``counts`` counts, inventories, discrepancies and loss reports. Reads live in ``selectors``."""

from __future__ import annotations

from ketacare.controlled_substances.services.chain import (
    Inconsistency,
    Stock,
    entry_append,
    ledger_check,
)
from ketacare.controlled_substances.services.counts import (
    CountedStock,
    count_record,
    discrepancy_resolve,
    loss_report_open,
    loss_step_record,
)
from ketacare.controlled_substances.services.dosing import (
    DosingStart,
    NotDrawnUp,
    dose_draw_up,
    dose_rest_dispose,
)
from ketacare.controlled_substances.services.setup import (
    location_create,
    product_create,
    registration_record,
)
from ketacare.controlled_substances.services.stock import (
    Amount,
    Counterparty,
    dispense_record,
    entry_correct,
    receipt_record,
    removal_record,
    transfer_record,
)

__all__ = [
    "Amount",
    "CountedStock",
    "Counterparty",
    "DosingStart",
    "Inconsistency",
    "NotDrawnUp",
    "Stock",
    "count_record",
    "discrepancy_resolve",
    "dispense_record",
    "dose_draw_up",
    "dose_rest_dispose",
    "entry_append",
    "entry_correct",
    "ledger_check",
    "location_create",
    "loss_report_open",
    "loss_step_record",
    "product_create",
    "receipt_record",
    "registration_record",
    "removal_record",
    "transfer_record",
]
