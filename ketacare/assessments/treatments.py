"""Where treatment times come from: a port the treatment app fills (assessments sit below it).

The schedule ("before each treatment", "24 h after") and the trajectory chart's session markers
need the start times of a patient's treatments. The treatment app owns them (booked and
completed treatment appointments) and registers its selectors here from its ``AppConfig.ready``
with ``provide_treatment_times``; assessments never import the treatment app. Without a
provider there are no treatments, and the functions below return ``[]``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

TimesOf = Callable[[object], list[dt.datetime]]
TimesOfMany = Callable[[list[int]], dict[int, list[dt.datetime]]]

_each: TimesOf | None = None
_many: TimesOfMany | None = None


def provide_treatment_times(*, each: TimesOf, many: TimesOfMany | None = None) -> None:
    """Register the owner of treatment times: ``each(patient)`` and, optionally, one query for
    ``many(patient_ids)`` (the clinic's due list)."""
    global _each, _many
    _each, _many = each, many


def _provider() -> TimesOf | None:
    return _each


def _aware_sorted(times: Iterable[dt.datetime]) -> list[dt.datetime]:
    return sorted(t for t in times if isinstance(t, dt.datetime) and t.tzinfo is not None)


def treatment_times_for(patient) -> list[dt.datetime]:
    """Start times of the patient's treatments, oldest first; ``[]`` when none are known."""
    provider = _provider()
    return _aware_sorted(provider(patient)) if provider is not None else []


def treatment_times_for_many(patients) -> dict[int, list[dt.datetime]]:
    """``{patient id: treatment times}`` for many patients (one query when the owner can)."""
    patients = list(patients)
    if _many is not None and _provider() is _each:
        found = _many([p.pk for p in patients])
        return {p.pk: _aware_sorted(found.get(p.pk, ())) for p in patients}
    return {p.pk: treatment_times_for(p) for p in patients}
