"""Random surrogate ids for the de-identified export, kept in the protected mapping table.

A surrogate is drawn once per record with ``secrets`` and stored (``models.Pseudonym``): it is
stable across exports and never derived from anything about the person (reference §12 [S133]).
Each patient also gets a random shift of up to a year: the exported minutes count from
registration less that shift, so no exported number reveals a date.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable

from django.db import transaction

from ketacare.analytics.extract import Ids
from ketacare.analytics.models import Pseudonym

SHIFT_MAX_MINUTES = 365 * 24 * 60  # the reference point lies up to a year before registration
_SURROGATE_BITS = 62


class Surrogates:
    """Lazily assigns and caches surrogates of one kind; new ones are saved on ``save()``."""

    def __init__(self, kind: str, *, at: dt.datetime) -> None:
        self.kind, self.at = kind, at
        self.known: dict[int, tuple[int, int]] = {
            object_id: (surrogate, shift)
            for object_id, surrogate, shift in Pseudonym.objects.filter(kind=kind).values_list(
                "object_id", "surrogate", "reference_shift_minutes"
            )
        }
        self.taken = {surrogate for surrogate, _ in self.known.values()}
        self.new: list[Pseudonym] = []

    def _entry(self, object_id: int) -> tuple[int, int]:
        found = self.known.get(object_id)
        if found is None:
            surrogate = secrets.randbits(_SURROGATE_BITS) + 1
            while surrogate in self.taken:
                surrogate = secrets.randbits(_SURROGATE_BITS) + 1
            shift = secrets.randbelow(SHIFT_MAX_MINUTES) if self.kind == "patient" else 0
            found = (surrogate, shift)
            self.known[object_id] = found
            self.taken.add(surrogate)
            self.new.append(
                Pseudonym(
                    kind=self.kind,
                    object_id=object_id,
                    surrogate=surrogate,
                    reference_shift_minutes=shift,
                    created_at=self.at,
                )
            )
        return found

    def surrogate(self, object_id: int) -> int:
        return self._entry(object_id)[0]

    def shift(self, object_id: int) -> int:
        return self._entry(object_id)[1]

    def save(self) -> None:
        Pseudonym.objects.bulk_create(self.new, batch_size=2000)
        self.new = []


class ExportIds:
    """Every kind's surrogates for one export; ``ids`` is what ``extract`` takes."""

    def __init__(self, *, at: dt.datetime) -> None:
        self.by_kind = {kind: Surrogates(kind, at=at) for kind in Pseudonym.Kind.values}
        patients = self.by_kind["patient"]
        self.ids = Ids(
            patient=patients.surrogate,
            clinic=self.by_kind["clinic"].surrogate,
            course=self.by_kind["course"].surrogate,
            session=self.by_kind["session"].surrogate,
            event=self.by_kind["event"].surrogate,
            shift_minutes=patients.shift,
        )

    @transaction.atomic
    def save(self) -> None:
        for surrogates in self.by_kind.values():
            surrogates.save()


def identities(patient_ids: Iterable[int]) -> dict[int, int]:
    """{patient surrogate: patient id} for the identified export (medical director only)."""
    return dict(
        Pseudonym.objects.filter(kind="patient", object_id__in=list(patient_ids)).values_list(
            "surrogate", "object_id"
        )
    )
