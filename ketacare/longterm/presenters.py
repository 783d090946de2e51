"""The overview as plain data: the API's answer (and what the page's tables read)."""

from __future__ import annotations

from ketacare.longterm.models import Signal
from ketacare.longterm.selectors import Overview


def _name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else ""


def signal_data(signal: Signal) -> dict:
    review = getattr(signal, "review", None)
    return {
        "id": signal.pk,
        "category": signal.category,
        "kind": signal.kind,
        "summary": signal.summary,
        "raised_at": signal.raised_at,
        "evidence": signal.evidence,
        "sources": signal.sources,
        "open": review is None,
        "review": None
        if review is None
        else {
            "id": review.pk,
            "decision": review.decision,
            "note": review.note,
            "reviewed_at": review.reviewed_at,
            "reviewed_by": _name(review.reviewed_by),
            "addenda": [a.text for a in review.addenda.all()],
        },
    }


def overview_data(view: Overview) -> dict:
    exposure = view.exposure
    interval = exposure.shortest_interval
    limit = view.dispensing_limit
    return {
        "patient_id": view.patient.pk,
        "at": view.at,
        "cumulative": {
            "first_dose_at": exposure.first_dose_at,
            "periods": [
                {
                    "period": p.period,
                    "days": p.days,
                    "start": p.start,
                    "total_mg": p.total_mg,
                    "sessions": p.sessions,
                    "routes": [vars(r) for r in p.routes],
                }
                for p in exposure.periods
            ],
            "sessions_per_month": [vars(m) for m in exposure.months],
            "average_sessions_per_month": exposure.sessions_per_month,
            "shortest_interval_hours": interval.hours if interval else None,
            "trend": exposure.trend.direction,
            "trend_slope_mg_per_month": exposure.trend.slope_mg_per_month,
            "trend_basis": exposure.trend.basis,
            "limits": [
                {**vars(v), "configured": v.configured, "above": v.above} for v in view.limits
            ],
            "unreadable_sessions": view.unreadable_sessions,
        },
        "signals": [signal_data(s) for s in view.signals],
        "due": [
            {
                "item": d.item,
                "label": d.label,
                "status": d.status.value,
                "reason": d.reason,
                "last_at": d.last_at,
                "next_due_at": d.next_due_at,
                "sources": d.provenance.cite(),
            }
            for d in view.due
        ],
        "not_configured": view.not_configured,
        "urinary_checks": [
            {"id": c.pk, "asked_at": c.asked_at, "answers": c.answers, "positive": c.positive}
            for c in view.urinary
        ],
        "cognitive_screens": [
            {
                "id": s.pk,
                "instrument": s.instrument,
                "score": float(s.score),
                "administered_at": s.administered_at,
            }
            for s in view.cognition.screens
        ],
        "liver_results": [
            {
                "id": r.pk,
                "analyte": r.analyte,
                "value": float(r.value),
                "unit": r.unit,
                "lab_flag": r.lab_flag,
                "collected_on": r.collected_on,
                "abnormal": r.abnormal_reasons,
            }
            for r in view.liver
        ],
        "continuation_reviews": [
            {
                "id": r.pk,
                "decision": r.decision,
                "rationale": r.rationale,
                "signed_at": r.signed_at,
                "addenda": [a.text for a in r.addenda.all()],
            }
            for r in view.continuation
        ],
        "dispensing_limit": None
        if limit is None
        else {
            "max_mg": float(limit.max_mg),
            "period_days": limit.period_days,
            "on_exceed": limit.on_exceed,
            "set_at": limit.set_at,
        },
        "benefit": view.benefit,
    }


def exposure_rows(view: Overview) -> list[dict]:
    """One row per route the patient has had, one cell per period (None: nothing given)."""
    from ketacare.clinical.longterm import route_label

    exposure = view.exposure
    routes = [r.route for r in exposure.period("since_first_dose").routes]
    return [
        {
            "route": route,
            "label": route_label(route),
            "cells": [p.route(route) for p in exposure.periods],
        }
        for route in routes
    ]
