"""Clinic measurement settings and the scoring and outcome settings they give the core."""

from __future__ import annotations

import datetime as dt

from ketacare.assessments.defaults import clinic_setup
from ketacare.assessments.models import (
    AssessmentSettings,
)
from ketacare.clinical.instruments import ScoringSettings
from ketacare.clinical.outcomes import (
    OutcomeSettings,
)


def settings_for(clinic) -> AssessmentSettings:
    return clinic_setup(clinic)


def scoring_settings(clinic) -> ScoringSettings:
    s = settings_for(clinic)
    return ScoringSettings(
        moaas_sedation_max=s.moaas_sedation_max,
        pcl5_probable_ptsd_min=s.pcl5_probable_ptsd_min,
        madrs_item10_flag_min=s.madrs_item10_flag_min,
    )


def outcome_settings(clinic, code: str) -> OutcomeSettings:
    s = settings_for(clinic)
    remission = {"phq9": s.remission_phq9, "madrs": s.remission_madrs}.get(code)
    if code == "qids_sr16":
        remission = s.remission_qids_sr16
    return OutcomeSettings(
        response_min_fall_percent=s.response_min_fall_percent,
        remission_threshold=remission,
        relapse_rule=s.relapse_rule or None,
        baseline_max_age=dt.timedelta(days=s.baseline_max_age_days)
        if s.baseline_max_age_days
        else None,
    )
