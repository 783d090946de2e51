"""What the controlled-substance API (and the pages, which parse their posts into the same
shapes) reads and writes. Quantities are decimals: mg and the product's unit (mL, device,
tablet)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from ninja import Field, Schema

from ketacare.controlled_substances.models import (
    Count,
    CountLine,
    Discrepancy,
    LedgerEntry,
)
from ketacare.controlled_substances.selectors import Balance
from ketacare.core.labels import person_name
from ketacare.core.schemas import RecordOut

EntryKindIn = Literal[
    "receipt",
    "transfer",
    "return_to_distributor",
    "destruction",
    "loss",
    "dispense",
    "correction",
]


class AmountIn(Schema):
    """Exactly one of: mg, product units (mL, devices, tablets), or whole containers."""

    mg: Decimal | None = None
    units: Decimal | None = None
    containers: int | None = None


class WitnessIn(Schema):
    """A witness's own sign-in, typed by the witness (never stored)."""

    username: str
    password: str = Field(..., json_schema_extra={"format": "password"})


class EntryIn(Schema):
    """A stock entry not tied to a session. Which fields a kind needs:
    receipt — product_id, lot_number, lot_expires_on, location_id, amount, counterparty_*
    (supplier), document_reference (invoice or packing slip), occurred_at (date received);
    transfer — lot_id, location_id (from), to_location_id or counterparty_* (registrant);
    return_to_distributor — lot_id, location_id, amount, counterparty_*, document_reference;
    destruction — lot_id, location_id, amount, reason, document_reference (Form 41), two
    witnesses; loss — lot_id, location_id, amount, reason; dispense — lot_id, location_id,
    amount, patient_id; correction — corrects_id, reason."""

    kind: EntryKindIn
    product_id: int | None = None
    lot_id: int | None = None
    lot_number: str = ""
    lot_expires_on: dt.date | None = None
    location_id: int | None = None
    to_location_id: int | None = None
    amount: AmountIn | None = None
    counterparty_name: str = ""
    counterparty_address: str = ""
    counterparty_dea_number: str = ""
    document_reference: str = ""
    reason: str = ""
    occurred_at: dt.datetime | None = None
    patient_id: int | None = None
    corrects_id: int | None = None
    witnesses: list[WitnessIn] = []


class DrawUpIn(Schema):
    """Draw a dose up for the session from a lot at a location. Before dosing this starts it:
    an IV infusion's bag holds the drawn mg, or ``bag_drug_mg`` when less went in (the rest is
    wasted after dosing); give its final volume and the pump rate when they differ from the
    order's; other routes give their first dose now (default: one device for
    esketamine, else the order's dose)."""

    lot_id: int
    location_id: int
    amount: AmountIn
    bag_drug_mg: Decimal | None = None
    bag_diluent_ml: Decimal | None = None
    bag_volume_ml: Decimal | None = None
    rate_ml_per_h: Decimal | None = None
    first_dose_mg: Decimal | None = None


class DisposeIn(Schema):
    """The rest of a session's drawn dose, after dosing: wasted with witnesses who type their own
    password, or whole unused units returned to stock."""

    kind: Literal["waste", "return_to_stock"]
    amount: AmountIn
    witnesses: list[WitnessIn] = []
    draw_up_id: int | None = None
    location_id: int | None = None
    reason: str = ""


class CountLineIn(Schema):
    lot_id: int
    location_id: int
    sealed_containers: int = Field(..., ge=0)
    opened_units: Decimal = Decimal(0)


class CountIn(Schema):
    kind: Literal["opening", "closing", "initial_inventory", "biennial_inventory"]
    period: Literal["shift", "day"] = "day"
    location_id: int | None = None
    lines: list[CountLineIn]
    note: str = ""


class ResolveIn(Schema):
    finding: Literal["recording_error", "loss", "significant_loss"]
    explanation: str
    adjust: bool = True


class LossStepOut(Schema):
    step: str
    done_on: dt.date
    reference: str


class LossStepIn(Schema):
    step: Literal["field_division_notice", "form_106"]
    done_on: dt.date
    reference: str = ""


class BalanceOut(Schema):
    product_id: int
    product: str
    ndc: str
    form: str
    strength: str
    lot_id: int
    lot_number: str
    lot_expires_on: dt.date
    location_id: int
    location: str
    balance_mg: Decimal
    balance_units: Decimal
    unit: str
    sealed_containers: int

    @classmethod
    def of(cls, b: Balance) -> BalanceOut:
        return cls(
            product_id=b.product.pk,
            product=b.product.name,
            ndc=b.product.ndc,
            form=b.product.form,
            strength=b.product.strength,
            lot_id=b.lot.pk,
            lot_number=b.lot.number,
            lot_expires_on=b.lot.expires_on,
            location_id=b.location.pk,
            location=b.location.name,
            balance_mg=b.mg,
            balance_units=b.units,
            unit=b.product.unit,
            sealed_containers=b.sealed_containers,
        )


class EntryOut(RecordOut):
    id: int
    sequence: int
    kind: str
    product_id: int
    product: str
    lot_id: int
    lot_number: str
    location_id: int
    location: str
    quantity_mg: Decimal
    quantity_units: Decimal
    unit: str
    change_mg: Decimal
    change_units: Decimal
    balance_mg: Decimal
    balance_units: Decimal
    occurred_at: dt.datetime
    recorded_at: dt.datetime
    recorded_by: str | None
    reason: str
    session_id: int | None
    patient_id: int | None
    of_entry_id: int | None
    corrects_id: int | None
    counterparty_name: str
    counterparty_address: str
    counterparty_dea_number: str
    document_reference: str
    witness: str | None
    second_witness: str | None
    witnessed_at: dt.datetime | None
    entry_hash: str

    @classmethod
    def of(cls, e: LedgerEntry) -> EntryOut:
        return cls.of_record(
            e,
            product=e.product.name,
            lot_number=e.lot.number,
            location=e.location.name,
            unit=e.product.unit,
            recorded_by=person_name(e.recorded_by),
            witness=person_name(e.witness),
            second_witness=person_name(e.second_witness),
        )


class CountLineOut(RecordOut):
    product_id: int
    lot_id: int
    lot_number: str
    location_id: int
    sealed_containers: int
    opened_units: Decimal
    counted_mg: Decimal
    counted_units: Decimal
    derived_mg: Decimal
    derived_units: Decimal
    estimated: bool
    within_tolerance: bool
    discrepancy_id: int | None

    @classmethod
    def of(cls, line: CountLine) -> CountLineOut:
        discrepancy = getattr(line, "discrepancy", None)
        return cls.of_record(
            line,
            lot_number=line.lot.number,
            discrepancy_id=discrepancy.pk if discrepancy else None,
        )


class CountOut(RecordOut):
    id: int
    kind: str
    period: str
    location_id: int | None
    counted_at: dt.datetime
    counted_by: str | None
    note: str
    lines: list[CountLineOut]

    @classmethod
    def of(cls, count: Count) -> CountOut:
        lines = count.lines.select_related("lot", "discrepancy")
        return cls.of_record(
            count,
            counted_by=person_name(count.counted_by),
            lines=[CountLineOut.of(line) for line in lines],
        )


class DiscrepancyOut(Schema):
    id: int
    count_id: int
    product: str
    lot_number: str
    location: str
    difference_mg: Decimal
    difference_units: Decimal
    opened_at: dt.datetime
    status: Literal["open", "resolved"]
    finding: str | None
    explanation: str | None

    @classmethod
    def of(cls, d: Discrepancy) -> DiscrepancyOut:
        resolution = getattr(d, "resolution", None) if not d.is_open else None
        return cls(
            id=d.pk,
            count_id=d.line.count_id,
            product=d.line.product.name,
            lot_number=d.line.lot.number,
            location=d.line.location.name,
            difference_mg=d.difference_mg,
            difference_units=d.difference_units,
            opened_at=d.opened_at,
            status="open" if d.is_open else "resolved",
            finding=resolution.finding if resolution else None,
            explanation=resolution.explanation if resolution else None,
        )
