"""Where treatment times come from: pluggable until the treatment app provides them.

The schedule ("before each treatment", "24 h after") and the trajectory chart's session markers
need the start times of a patient's treatments. They come from the treatment app's
``ketacare.treatment.selectors.treatment_datetimes(patient) -> list[datetime]`` (booked and
completed treatment appointments, timezone-aware); ``treatment_times_for`` there is accepted too.
Without either there are no treatments, and this returns ``[]``.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging

logger = logging.getLogger(__name__)

PROVIDER_MODULE = "ketacare.treatment.selectors"
PROVIDER_FUNCTIONS = ("treatment_datetimes", "treatment_times_for")


def treatment_times_for(patient) -> list[dt.datetime]:
    """Start times of the patient's treatments, oldest first; ``[]`` when none are known."""
    provider = _provider()
    if provider is None:
        return []
    times = [t for t in provider(patient) if isinstance(t, dt.datetime) and t.tzinfo is not None]
    return sorted(times)


def _provider():
    try:
        module = importlib.import_module(PROVIDER_MODULE)
    except ModuleNotFoundError as missing:
        if missing.name != PROVIDER_MODULE:
            raise
        return None
    for name in PROVIDER_FUNCTIONS:
        provider = getattr(module, name, None)
        if callable(provider):
            return provider
    return None


BULK_PROVIDER_FUNCTION = "treatment_datetimes_by_patient"


def treatment_times_for_many(patients) -> dict[int, list[dt.datetime]]:
    """``{patient id: treatment times}`` for many patients (the clinic's due list).

    Uses ``ketacare.treatment.selectors.treatment_datetimes_by_patient(patient_ids)`` when the
    treatment app offers it (one query), else asks patient by patient.
    """
    patients = list(patients)
    try:
        module = importlib.import_module(PROVIDER_MODULE)
    except ModuleNotFoundError as missing:
        if missing.name != PROVIDER_MODULE:
            raise
        module = None
    bulk = getattr(module, BULK_PROVIDER_FUNCTION, None) if _provider() is not None else None
    if callable(bulk):
        found = bulk([p.pk for p in patients])
        return {
            p.pk: sorted(t for t in found.get(p.pk, ()) if t.tzinfo is not None) for p in patients
        }
    return {p.pk: treatment_times_for(p) for p in patients}
