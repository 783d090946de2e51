"""From a request's input (an API body or a page's post parsed into the same schema) to a service
call: the API and the pages both come through here, so they cannot disagree. Witnesses confirm
here, with the request (``witness_confirm``)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from ketacare.clinical.controlled_substances import EntryKind
from ketacare.controlled_substances import selectors, services
from ketacare.controlled_substances.models import Count, LedgerEntry
from ketacare.controlled_substances.schemas import (
    AmountIn,
    CountIn,
    DisposeIn,
    DrawUpIn,
    EntryIn,
    WitnessIn,
)
from ketacare.controlled_substances.witnesses import ConfirmedWitness, witness_confirm
from ketacare.core.actions import Action
from ketacare.core.errors import Invalid
from ketacare.core.validation import human_errors
from ketacare.patients.selectors import patient_get
from ketacare.sessions.models import TreatmentSession


def parsed(schema: type, data: dict[str, Any]):
    """``schema(**data)``, with pydantic's complaints as one Invalid naming each field."""
    try:
        return schema(**data)
    except ValidationError as wrong:
        summary, fields = human_errors(wrong.errors())
        raise Invalid(summary, fields=fields) from None


def amount_of(data: AmountIn | None) -> services.Amount:
    if data is None:
        raise Invalid.field("quantity", "Give the amount in mg, in units or in containers")
    return services.Amount(mg=data.mg, units=data.units, containers=data.containers)


def witnesses_of(request, act: Action, items: list[WitnessIn]) -> tuple[ConfirmedWitness, ...]:
    return tuple(
        witness_confirm(
            request,
            clinic=act.clinic,
            username=item.username,
            password=item.password,
            at=act.at,
            field=f"witnesses.{n}.password",
        )
        for n, item in enumerate(items)
    )


def _required(value, field: str, what: str):
    if value in (None, ""):
        raise Invalid.field(field, f"Choose the {what}")
    return value


def entry_record(request, act: Action, data: EntryIn) -> list[LedgerEntry]:
    """Record a stock entry of ``data.kind`` (see ``EntryIn``)."""
    access, common = act.access, {"origin": act.origin, "at": act.at}
    if data.kind == "correction":
        entry = selectors.entry_get(access, _required(data.corrects_id, "corrects_id", "entry"))
        return [services.entry_correct(entry=entry, reason=data.reason, **common)]
    location = selectors.location_get(
        access, _required(data.location_id, "location_id", "location")
    )
    party = services.Counterparty(
        data.counterparty_name, data.counterparty_address, data.counterparty_dea_number
    )
    if data.kind == "receipt":
        product = selectors.product_get(access, _required(data.product_id, "product_id", "product"))
        return [
            services.receipt_record(
                clinic=act.clinic,
                product=product,
                lot_number=data.lot_number,
                lot_expires_on=data.lot_expires_on,
                location=location,
                amount=amount_of(data.amount),
                supplier=party,
                invoice_reference=data.document_reference,
                received_at=data.occurred_at or act.at,
                **common,
            )
        ]
    lot = selectors.lot_get(access, _required(data.lot_id, "lot_id", "lot"))
    if data.kind == "transfer":
        to = data.to_location_id
        return services.transfer_record(
            clinic=act.clinic,
            lot=lot,
            from_location=location,
            to_location=selectors.location_get(access, to) if to else None,
            registrant=None if to else party,
            amount=amount_of(data.amount),
            document_reference=data.document_reference,
            reason=data.reason,
            **common,
        )
    if data.kind == "dispense":
        patient = patient_get(access, _required(data.patient_id, "patient_id", "patient"))
        return [
            services.dispense_record(
                clinic=act.clinic,
                patient=patient,
                lot=lot,
                location=location,
                amount=amount_of(data.amount),
                note=data.reason,
                **common,
            )
        ]
    return [
        services.removal_record(
            clinic=act.clinic,
            kind=EntryKind(data.kind),
            lot=lot,
            location=location,
            amount=amount_of(data.amount),
            reason=data.reason,
            occurred_at=data.occurred_at,
            counterparty=party,
            document_reference=data.document_reference,
            witnesses=witnesses_of(request, act, data.witnesses),
            **common,
        )
    ]


def draw_up(request, act: Action, session: TreatmentSession, data: DrawUpIn) -> LedgerEntry:
    return services.dose_draw_up(
        session=session,
        lot=selectors.lot_get(act.access, data.lot_id),
        location=selectors.location_get(act.access, data.location_id),
        amount=amount_of(data.amount),
        start=services.DosingStart(
            bag_drug_mg=data.bag_drug_mg,
            bag_diluent_ml=data.bag_diluent_ml,
            bag_volume_ml=data.bag_volume_ml,
            rate_ml_per_h=data.rate_ml_per_h,
            first_dose_mg=data.first_dose_mg,
        ),
        **act.stamp,
    )


def dispose(request, act: Action, session: TreatmentSession, data: DisposeIn) -> LedgerEntry:
    draw_up_entry = selectors.entry_get(act.access, data.draw_up_id) if data.draw_up_id else None
    location = selectors.location_get(act.access, data.location_id) if data.location_id else None
    return services.dose_rest_dispose(
        session=session,
        kind=EntryKind(data.kind),
        amount=amount_of(data.amount),
        witnesses=witnesses_of(request, act, data.witnesses),
        draw_up=draw_up_entry,
        location=location,
        reason=data.reason,
        **act.stamp,
    )


def count(act: Action, data: CountIn) -> Count:
    access = act.access
    return services.count_record(
        clinic=act.clinic,
        kind=data.kind,
        period=data.period,
        location=selectors.location_get(access, data.location_id) if data.location_id else None,
        counted=[
            services.CountedStock(
                lot=selectors.lot_get(access, line.lot_id),
                location=selectors.location_get(access, line.location_id),
                sealed_containers=line.sealed_containers,
                opened_units=line.opened_units,
            )
            for line in data.lines
        ],
        note=data.note,
        **act.stamp,
    )
