"""The outcomes dashboard and the CSV file behind each of its figures."""

from __future__ import annotations

import csv

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ketacare.analytics import charts, figures
from ketacare.analytics.selectors import cohort, outcome_settings_for, scope_for
from ketacare.clinical.cohorts import SMALL_CELL_PROVENANCE
from ketacare.clinical.common import ROUTE_LABELS, Route
from ketacare.clinical.intake import Indication
from ketacare.core.access import require_capability
from ketacare.core.actions import action, audit_read
from ketacare.core.errors import Invalid
from ketacare.core.roles import Capability

CSV_FIGURES = ("outcomes", "time_to_response", "durability", "si_trajectory", "funnel", "safety")


def _query(request: HttpRequest) -> figures.Query:
    get = request.GET
    instrument = get.get("instrument", "phq9")
    if instrument not in dict(figures.INSTRUMENTS):
        raise Invalid.field("instrument", "Choose PHQ-9, MADRS or QIDS-SR16.")
    route, indication = get.get("route", ""), get.get("indication", "")
    if route and route not in Route._value2member_map_:
        raise Invalid.field("route", "Choose a route from the list.")
    if indication and indication not in Indication._value2member_map_:
        raise Invalid.field("indication", "Choose an indication from the list.")
    clinic = get.get("clinic", "")
    return figures.Query(instrument, route, indication, int(clinic) if clinic.isdigit() else None)


def _figures(request: HttpRequest):
    act = action(request, Capability.ANALYTICS_VIEW)
    query = _query(request)
    scope = scope_for(act.access, clinic_id=query.clinic)
    analytics, as_of = cohort(scope, now=act.at)
    settings = outcome_settings_for(scope, act.access, query.instrument)
    names = {c.pk: c.name for c in scope.clinics}
    filters = query.filters or None
    overall = figures.overall(analytics, query, settings)
    groups = figures.breakdowns(analytics, query, settings, network=scope.network)
    for table in groups:
        if table["key"] == "clinic":
            for row in table["rows"]:
                row["label"] = names.get(row["group"].get("clinic"), row["label"])
    response_km = figures.km(
        analytics.time_to_response(instrument=query.instrument, filters=filters, settings=settings)
    )
    durability_km = figures.km(
        analytics.durability(instrument=query.instrument, filters=filters, settings=settings)
    )
    trajectory = [
        p
        for p in analytics.si_trajectory(instrument=query.instrument, filters=filters)
        if -1 <= p.period <= 12
    ]
    funnel = analytics.funnel(filters=filters)
    safety = analytics.safety_rates(by=("route",), filters=filters)
    audit_read(act, object_type="analytics", summary="Viewed the cohort outcomes dashboard")
    return (
        act,
        query,
        scope,
        as_of,
        {
            "overall": figures.outcome_row(overall),
            "definition": overall.definition,
            "groups": groups,
            "response_km": response_km,
            "durability_km": durability_km,
            "trajectory": trajectory,
            "funnel": funnel[0].stages if funnel else (),
            "safety": safety,
        },
    )


@require_GET
@require_capability(Capability.ANALYTICS_VIEW)
def dashboard(request: HttpRequest) -> HttpResponse:
    _, query, scope, as_of, data = _figures(request)
    for table in data["groups"]:
        table["chart"] = charts.rate_bars(table["rows"])
    if data["response_km"]:
        data["response_km"]["chart"] = charts.step_curve(data["response_km"]["points"])
    if data["durability_km"]:
        data["durability_km"]["chart"] = charts.step_curve(data["durability_km"]["points"])
    shown = [p for p in data["trajectory"] if not p.suppressed]
    data["trajectory_chart"] = (
        charts.line([(p.period, round(p.mean_item, 2)) for p in shown], y_max=3.0)
        if shown
        else None
    )
    top = max((count for _, count in data["funnel"]), default=0) or 1
    data["funnel_rows"] = [
        (stage.replace("_", " "), count, 100 * count / top) for stage, count in data["funnel"]
    ]
    return render(
        request,
        "analytics/dashboard.html",
        {
            **data,
            "query": query,
            "scope": scope,
            "as_of": as_of,
            "instruments": figures.INSTRUMENTS,
            "routes": [(r.value, label) for r, label in ROUTE_LABELS.items()],
            "indications": [i.value for i in Indication],
            "small_cell": SMALL_CELL_PROVENANCE.cite(),
            "querystring": request.GET.urlencode(),
        },
    )


@require_GET
@require_capability(Capability.ANALYTICS_VIEW)
def figure_csv(request: HttpRequest, figure: str) -> HttpResponse:
    if figure not in CSV_FIGURES:
        raise Invalid.field("figure", "No such figure.")
    _, query, _, as_of, data = _figures(request)
    response = HttpResponse(content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{figure}-{query.instrument}.csv"'
    out = csv.writer(response)
    if figure == "outcomes":
        out.writerow(
            [
                "breakdown",
                "group",
                "patients",
                "evaluable",
                "responders",
                "response_rate_percent",
                "response_ci_low",
                "response_ci_high",
                "remitters",
                "remission_rate_percent",
                "remission_ci_low",
                "remission_ci_high",
                "suppressed",
            ]
        )
        for table in [{"label": "All", "rows": [data["overall"]]}, *data["groups"]]:
            for row in table["rows"]:
                out.writerow(
                    [
                        table["label"],
                        row["label"],
                        row["patients"],
                        row["evaluable"],
                        row["responders"],
                        row["response_rate"],
                        *row["response_ci"],
                        row["remitters"],
                        row["remission_rate"],
                        *row["remission_ci"],
                        row["suppressed"],
                    ]
                )
    elif figure in ("time_to_response", "durability"):
        curve = data["response_km" if figure == "time_to_response" else "durability_km"]
        out.writerow(["day", "survival", "at_risk", "events_so_far"])
        for row in curve["at_risk"] if curve else ():
            out.writerow([row.time, round(row.survival, 4), row.at_risk, row.events_so_far])
    elif figure == "si_trajectory":
        out.writerow(
            [
                "period",
                "period_days",
                "patients",
                "observations",
                "mean_item",
                "positive",
                "suppressed",
            ]
        )
        for p in data["trajectory"]:
            out.writerow(
                [
                    p.period,
                    p.period_days,
                    None if p.suppressed else p.patients,
                    None if p.suppressed else p.observations,
                    None if p.suppressed else round(p.mean_item, 3),
                    None if p.suppressed else p.positive,
                    p.suppressed,
                ]
            )
    elif figure == "funnel":
        out.writerow(["stage", "patients"])
        out.writerows(data["funnel"])
    else:
        out.writerow(["route", "sessions", "adverse_events_per_100", "vital_alerts_per_100"])
        for rates in data["safety"]:
            out.writerow(
                [
                    rates.group.get("route"),
                    rates.sessions,
                    rates.adverse_events_per_100,
                    rates.vital_alerts_per_100,
                ]
            )
    out.writerow([])
    out.writerow([f"as of {as_of.isoformat()}; small cells: {SMALL_CELL_PROVENANCE.cite()}"])
    return response
