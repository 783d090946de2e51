"""The dashboard's figures from the engine, as plain rows the page, its CSV files and the API
share. Small cells (n < 11) are suppressed here, once, for every shared view."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ketacare.analytics.engine import CohortAnalytics
from ketacare.clinical.cohorts import OutcomeSummary

BREAKDOWNS = (
    ("route", "Route"),
    ("indication", "Indication"),
    ("age_band", "Age band"),
    ("sex", "Sex"),
    ("prior_trials", "Prior antidepressant trials"),
    ("clinic", "Clinic"),
)
INSTRUMENTS = (("phq9", "PHQ-9"), ("madrs", "MADRS"), ("qids_sr16", "QIDS-SR16"))
KM_MARKS_DAYS = (0, 7, 14, 28, 56, 84)


@dataclass(frozen=True)
class Query:
    instrument: str = "phq9"
    route: str = ""
    indication: str = ""
    clinic: int | None = None

    @property
    def filters(self) -> dict[str, str | int]:
        chosen: dict[str, str | int] = {}
        if self.route:
            chosen["route"] = self.route
        if self.indication:
            chosen["indication"] = self.indication
        return chosen


def _pct(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 1)


def outcome_row(summary: OutcomeSummary) -> dict[str, Any]:
    counts = summary.counts
    response, remission = summary.response, summary.remission
    hidden = response.suppressed or remission.suppressed
    return {
        "group": summary.group,
        "label": " · ".join(
            str(v) if v is not None else "not recorded" for v in summary.group.values()
        )
        or "All patients",
        "patients": counts.patients,
        "evaluable": response.denominator,
        "responders": None if response.suppressed else response.numerator,
        "response_rate": None if response.suppressed else _pct(response.rate),
        "response_ci": (None, None)
        if response.suppressed
        else (_pct(response.ci_low), _pct(response.ci_high)),
        "remitters": None if remission.suppressed else remission.numerator,
        "remission_rate": None if remission.suppressed else _pct(remission.rate),
        "remission_ci": (None, None)
        if remission.suppressed
        else (_pct(remission.ci_low), _pct(remission.ci_high)),
        "suppressed": hidden,
        "excluded": [(e.reason.value, e.count, e.explanation) for e in summary.excluded],
        "denominator": summary.denominator,
    }


def overall(analytics: CohortAnalytics, query: Query, settings) -> OutcomeSummary:
    (summary,) = analytics.outcomes(
        instrument=query.instrument, filters=query.filters or None, settings=settings
    )
    return summary


def breakdowns(analytics: CohortAnalytics, query: Query, settings, *, network: bool):
    tables = []
    for key, label in BREAKDOWNS:
        if key == "clinic" and not network:
            continue
        summaries = analytics.outcomes(
            instrument=query.instrument,
            by=(key,),
            filters=query.filters or None,
            settings=settings,
        )
        tables.append({"key": key, "label": label, "rows": [outcome_row(s) for s in summaries]})
    return tables


def km(curves) -> dict[str, Any] | None:
    if not curves:
        return None
    curve = curves[0].curve
    if curve.subjects == 0:
        return None
    return {
        "points": list(zip(curve.times, curve.survival, strict=True)),
        "median_days": curve.median,
        "subjects": curve.subjects,
        "at_risk": curve.at_risk_table(KM_MARKS_DAYS),
        "suppressed": curve.subjects < 11,
    }
