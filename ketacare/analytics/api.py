"""Cohort outcomes under /api/v1/analytics (prescribers and medical directors)."""

from __future__ import annotations

from ninja import Query, Router, Schema

from ketacare.analytics import figures
from ketacare.analytics.schemas import OutcomesOut
from ketacare.analytics.selectors import cohort, outcome_settings_for, scope_for
from ketacare.clinical.cohorts import SMALL_CELL_PROVENANCE
from ketacare.clinical.common import Route
from ketacare.clinical.intake import Indication
from ketacare.core.actions import action, audit_read
from ketacare.core.roles import Capability
from ketacare.core.schemas import ERRORS

router = Router(tags=["analytics"])


class OutcomesQuery(Schema):
    instrument: str = "phq9"
    route: Route | None = None
    indication: Indication | None = None
    clinic: int | None = None


def outcomes_out(summary, query: figures.Query, scope, as_of) -> dict:
    row = figures.outcome_row(summary)
    definition = summary.definition
    return {
        "instrument": query.instrument,
        "filters": query.filters,
        "clinics": list(scope.clinic_ids),
        "as_of": as_of.isoformat(),
        "patients": row["patients"],
        "evaluable": row["evaluable"],
        "responders": row["responders"],
        "response_rate": None if row["response_rate"] is None else row["response_rate"] / 100,
        "response_ci": _interval(row["response_ci"]),
        "remitters": row["remitters"],
        "remission_rate": None if row["remission_rate"] is None else row["remission_rate"] / 100,
        "remission_ci": _interval(row["remission_ci"]),
        "suppressed": row["suppressed"],
        "excluded": [
            {"reason": reason, "count": count, "explanation": text}
            for reason, count, text in row["excluded"]
        ],
        "denominator": row["denominator"],
        "definitions": definition.text,
        "sources": sorted({tag for p in definition.provenance for tag in p.sources}),
        "small_cell_rule": f"rates of fewer than 11 patients are not shown "
        f"({SMALL_CELL_PROVENANCE.cite()})",
    }


def _interval(pair) -> dict:
    low, high = pair
    return {"low": None if low is None else low / 100, "high": None if high is None else high / 100}


@router.get(
    "/outcomes",
    response={200: OutcomesOut, **ERRORS},
    summary="Response and remission after the first treatment (Wilson 95 % intervals)",
)
def outcomes(request, params: Query[OutcomesQuery]):
    act = action(request, Capability.ANALYTICS_VIEW)
    query = figures.Query(
        instrument=params.instrument,
        route=params.route.value if params.route else "",
        indication=params.indication.value if params.indication else "",
        clinic=params.clinic,
    )
    scope = scope_for(act.access, clinic_id=params.clinic)
    analytics, as_of = cohort(scope, now=act.at)
    summary = figures.overall(
        analytics, query, outcome_settings_for(scope, act.access, query.instrument)
    )
    audit_read(act, object_type="analytics", summary="Read cohort outcomes through the API")
    return outcomes_out(summary, query, scope, as_of)
