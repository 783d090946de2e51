"""The cohort a director may see, as the engine's ``CohortAnalytics`` over live tables.

A clinic's medical director (and its prescribers) see their clinic; a network's medical director
sees every clinic of the network and may narrow to one. The tables are extracted once per
minute at most for a given scope (and again as soon as a score or a treatment is recorded), so
the dashboard, its CSV files and the API read the same figures.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass

from ketacare.analytics.engine import CohortAnalytics, open_tables
from ketacare.analytics.extract import extract
from ketacare.analytics.layout import TABLES, as_arrow
from ketacare.core.access import Access
from ketacare.core.errors import Forbidden, NotFound
from ketacare.core.models import Clinic, StaffMembership
from ketacare.core.roles import Role

CACHE_SECONDS = 60
# Per thread: a DuckDB connection answers one query at a time.
_local = threading.local()


@dataclass(frozen=True)
class Scope:
    clinics: tuple[Clinic, ...]
    network: bool  # the viewer sees a whole network (clinic breakdowns make sense)

    @property
    def clinic_ids(self) -> tuple[int, ...]:
        return tuple(sorted(c.pk for c in self.clinics))


def scope_for(access: Access, *, clinic_id: int | None = None) -> Scope:
    """The clinics ``access`` may analyse, optionally narrowed to ``clinic_id``."""
    if access.clinic is None:
        raise Forbidden("Choose a clinic first.")
    networks = set(
        StaffMembership.objects.filter(
            user=access.user, active=True, clinic__isnull=True, role=Role.MEDICAL_DIRECTOR
        ).values_list("organisation_id", flat=True)
    )
    if networks:
        clinics = tuple(c for c in access.clinics if c.organisation_id in networks)
    else:
        clinics = (access.clinic,)
    if clinic_id is not None:
        chosen = tuple(c for c in clinics if c.pk == clinic_id)
        if not chosen:
            raise NotFound("No such clinic in what you may analyse.")
        return Scope(chosen, network=False)
    return Scope(clinics, network=bool(networks) and len(clinics) > 1)


def _stamp(scope: Scope) -> tuple:
    from ketacare.analytics.extract import clinic_access
    from ketacare.assessments.selectors import responses_in_scope
    from ketacare.treatment.selectors.treatment import treatment_appointments_in_scope

    parts = []
    for clinic in scope.clinics:
        access = clinic_access(clinic)
        latest_score = responses_in_scope(access).order_by("-pk").values_list("pk", flat=True)
        latest_visit = (
            treatment_appointments_in_scope(access, until=dt.datetime.max.replace(tzinfo=dt.UTC))
            .order_by("-pk")
            .values_list("pk", flat=True)
        )
        parts.append((clinic.pk, latest_score.first(), latest_visit.first()))
    return tuple(parts)


def cohort(scope: Scope, *, now: dt.datetime) -> tuple[CohortAnalytics, dt.datetime]:
    """The engine over ``scope``'s live tables and the time they were read."""
    cache: dict = getattr(_local, "cache", None) or {}
    _local.cache = cache
    key = (scope.clinic_ids, _stamp(scope))
    hit = cache.get(key)
    if hit is not None and time.monotonic() - hit[0] < CACHE_SECONDS:
        return hit[1], hit[2]
    tables = extract(scope.clinics, now=now)
    analytics = open_tables(
        {name: as_arrow(name, tables.columns[name]) for name in TABLES}, threads=1
    )
    for stale in [k for k in cache if k[0] == scope.clinic_ids]:
        cache.pop(stale)[1].runner.close()
    cache[key] = (time.monotonic(), analytics, now)
    return analytics, now


def outcome_settings_for(scope: Scope, access: Access, instrument: str):
    """The outcome thresholds in force: the clinic in use's (a network uses its viewer's)."""
    from ketacare.assessments.selectors import outcome_settings

    return outcome_settings(access.clinic, instrument)
