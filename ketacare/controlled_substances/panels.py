"""Panels the ledger adds to shared pages (the session page, the dashboard)."""

from __future__ import annotations


def session_panel(request, session) -> str | None:
    return None


def dosing_start_panel(request, session) -> str | None:
    return None


def waste_prompt(request, session) -> str | None:
    return None


def dashboard_panel(request) -> str | None:
    return None
