"""Misuse and dependence signals from what the record holds. The label asks to assess abuse and
misuse risk before and during treatment, with more caution after a substance-use history
[S14][S56]; it gives no rule for what counts as a signal, so each one here is a fact the
prescriber reviews, never a verdict:

- ``early_request``: take-home supply dispensed again while part of what was dispensed before
  was not yet logged as taken by the patient;
- ``at_home_dose_above_order``: an at-home dose logged above the signed order's dose;
- ``at_home_logged_beyond_dispensed``: more logged as taken at home than was ever dispensed
  (raised once each time the running totals go from matching to not);
- ``substance_use_at_prechecks``: "yes" to substance use since the last visit at pre-checks;
- ``substance_use_on_intake``: a signed intake (the patient's health questionnaire) answering
  "yes" to current drug use, including ketamine outside treatment;
- ``ledger_correction``: a controlled-substance entry given or dispensed to the patient was
  corrected in the ledger;
- ``dispense_limit_exceeded``: a dispensing above the prescriber's per-period limit, recorded
  with a warning (the limit's other setting refuses it at the ledger).

Not derivable from the record today (no data): cravings (no questionnaire the clinic records asks
about them; drug use is asked on the intake and at pre-checks, above) and lost prescriptions
(prescriptions are not kept).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from ketacare.clinical.common import ClinicalRuleError
from ketacare.clinical.longterm.checks import ABUSE_SOURCE
from ketacare.clinical.longterm.findings import Category, Finding


@dataclass(frozen=True)
class Dispensed:
    ref: str
    at: dt.datetime
    mg: float


@dataclass(frozen=True)
class AtHomeLog:
    ref: str
    at: dt.datetime
    taken_mg: float
    ordered_mg: float | None  # the signed order's dose for the course (None: no order)


def _finding(kind: str, key: str, at: dt.datetime, summary: str, evidence: dict) -> Finding:
    return Finding(Category.MISUSE, kind, key, at, summary, evidence, ABUSE_SOURCE)


def early_requests(dispensed: Iterable[Dispensed], logs: Iterable[AtHomeLog]) -> list[Finding]:
    """Each dispensing made while earlier supply was not yet logged as taken."""
    supplies = sorted(dispensed, key=lambda d: d.at)
    taken = sorted(logs, key=lambda log: log.at)
    found = []
    for index, supply in enumerate(supplies):
        if index == 0:
            continue
        before = round(sum(d.mg for d in supplies[:index]), 2)
        logged = round(sum(log.taken_mg for log in taken if log.at <= supply.at), 2)
        unaccounted = round(before - logged, 2)
        if unaccounted > 0:
            found.append(
                _finding(
                    "early_request",
                    supply.ref,
                    supply.at,
                    f"Dispensed {supply.mg:g} mg while {unaccounted:g} mg of earlier supply "
                    "was not logged as taken",
                    {
                        "dispensing": supply.ref,
                        "dispensed_before_mg": before,
                        "logged_taken_before_mg": logged,
                        "unaccounted_mg": unaccounted,
                    },
                )
            )
    return found


def doses_above_order(logs: Iterable[AtHomeLog]) -> list[Finding]:
    return [
        _finding(
            "at_home_dose_above_order",
            log.ref,
            log.at,
            f"At-home dose logged {log.taken_mg:g} mg, above the signed order's "
            f"{log.ordered_mg:g} mg",
            {"log": log.ref, "taken_mg": log.taken_mg, "ordered_mg": log.ordered_mg},
        )
        for log in sorted(logs, key=lambda log: log.at)
        if log.ordered_mg is not None and log.taken_mg > log.ordered_mg
    ]


def logged_beyond_dispensed(
    dispensed: Iterable[Dispensed], logs: Iterable[AtHomeLog]
) -> list[Finding]:
    """Only where the clinic dispenses through its ledger (a pharmacy's supply is not seen)."""
    supplies = sorted(dispensed, key=lambda d: d.at)
    if not supplies:
        return []
    found, beyond = [], False
    for log in sorted(logs, key=lambda log: log.at):
        supplied = round(sum(d.mg for d in supplies if d.at <= log.at), 2)
        taken = round(sum(x.taken_mg for x in logs if x.at <= log.at), 2)
        now_beyond = taken > supplied
        if now_beyond and not beyond:
            found.append(
                _finding(
                    "at_home_logged_beyond_dispensed",
                    log.ref,
                    log.at,
                    f"{taken:g} mg logged as taken at home, more than the {supplied:g} mg "
                    "dispensed",
                    {"log": log.ref, "logged_taken_mg": taken, "dispensed_mg": supplied},
                )
            )
        beyond = now_beyond
    return found


def substance_use_reports(reports: Iterable[tuple[str, dt.datetime]]) -> list[Finding]:
    return [
        _finding(
            "substance_use_at_prechecks",
            ref,
            at,
            "Substance use since the last visit reported at pre-checks",
            {"session": ref, "answer": "yes"},
        )
        for ref, at in reports
    ]


def intake_substance_use(reports: Iterable[tuple[str, dt.datetime]]) -> list[Finding]:
    """(signed intake version ref, when signed) of each version answering "yes" to current use."""
    return [
        _finding(
            "substance_use_on_intake",
            ref,
            at,
            "Current drug use (including ketamine outside treatment) reported on the intake",
            {"intake": ref, "answer": "yes"},
        )
        for ref, at in reports
    ]


def ledger_corrections(corrections: Iterable[tuple[str, dt.datetime, str, float]]) -> list[Finding]:
    """(correction ref, when, kind of the corrected entry, its mg) for the patient's entries."""
    return [
        _finding(
            "ledger_correction",
            ref,
            at,
            f"A controlled-substance {kind} entry of {mg:g} mg for this patient was corrected",
            {"correction": ref, "corrected_kind": kind, "mg": mg},
        )
        for ref, at, kind, mg in corrections
    ]


@dataclass(frozen=True)
class LimitCheck:
    within: bool
    period_total_mg: float
    limit_mg: float
    period_days: int
    message: str


def dispensing_limit_check(
    *,
    earlier: Iterable[Dispensed],
    this_mg: float,
    at: dt.datetime,
    limit_mg: float,
    period_days: int,
) -> LimitCheck:
    """Whether dispensing ``this_mg`` at ``at`` keeps the ``period_days`` before it (start
    excluded) at or under the prescriber's ``limit_mg``."""
    if limit_mg <= 0 or period_days <= 0:
        raise ClinicalRuleError("A dispensing limit needs a positive amount and period")
    start = at - dt.timedelta(days=period_days)
    total = round(this_mg + sum(d.mg for d in earlier if start < d.at <= at), 2)
    within = total <= limit_mg
    message = f"{total:g} mg dispensed in {period_days} days with this one" + (
        "" if within else f", above the prescriber's limit of {limit_mg:g} mg"
    )
    return LimitCheck(within, total, limit_mg, period_days, message)
