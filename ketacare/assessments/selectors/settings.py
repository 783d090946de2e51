"""Clinic measurement settings and the scoring and outcome settings they give the core.

Delivery settings come from the app's own table; the clinical thresholds from the clinic's
protocol (the clinic-settings registry, ``ketacare/assessments/protocol.py``). A threshold the
clinic has not set reads None here: the clinical core then applies its own default.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ketacare.assessments.defaults import clinic_setup
from ketacare.assessments.protocol import CLINICAL_DEFAULTS, registry_key
from ketacare.clinic_settings.selectors import clinic_protocol
from ketacare.clinical.instruments import ScoringSettings
from ketacare.clinical.outcomes import OutcomeSettings


@dataclass(frozen=True)
class MeasurementSettings:
    """One clinic's measurement settings (None: the clinical reference's default is in force)."""

    language: str
    reminder_interval_hours: int
    link_ttl_hours: int
    baseline_max_age_days: int | None
    rapid_response_window_hours: int | None
    response_min_fall_percent: int | None
    remission_phq9: int | None
    remission_madrs: int | None
    remission_qids_sr16: int | None
    relapse_rule: str
    madrs_item10_flag_min: int | None
    pcl5_probable_ptsd_min: int | None
    moaas_sedation_max: int | None


def settings_for(clinic) -> MeasurementSettings:
    """The clinic's settings; the first call also installs the default schedule rules."""
    stored = clinic_setup(clinic)
    protocol = clinic_protocol(clinic)
    clinical = {}
    for field in CLINICAL_DEFAULTS:
        value = protocol.stored.get(registry_key(field))
        clinical[field] = value.value if value is not None else None
    return MeasurementSettings(
        language=stored.language,
        reminder_interval_hours=stored.reminder_interval_hours,
        link_ttl_hours=stored.link_ttl_hours,
        baseline_max_age_days=stored.baseline_max_age_days,
        rapid_response_window_hours=stored.rapid_response_window_hours,
        **{**clinical, "relapse_rule": clinical["relapse_rule"] or ""},
    )


def scoring_settings(clinic) -> ScoringSettings:
    s = settings_for(clinic)
    return ScoringSettings(
        moaas_sedation_max=s.moaas_sedation_max,
        pcl5_probable_ptsd_min=s.pcl5_probable_ptsd_min,
        madrs_item10_flag_min=s.madrs_item10_flag_min,
    )


def outcome_settings(clinic, code: str) -> OutcomeSettings:
    return outcome_settings_of(settings_for(clinic), code)


def outcome_settings_of(s: MeasurementSettings, code: str) -> OutcomeSettings:
    """The core's outcome settings for instrument ``code`` from settings already read."""
    remission = {
        "phq9": s.remission_phq9,
        "madrs": s.remission_madrs,
        "qids_sr16": s.remission_qids_sr16,
    }.get(code)
    return OutcomeSettings(
        response_min_fall_percent=s.response_min_fall_percent,
        remission_threshold=remission,
        relapse_rule=s.relapse_rule or None,
        baseline_max_age=dt.timedelta(days=s.baseline_max_age_days)
        if s.baseline_max_age_days
        else None,
    )
