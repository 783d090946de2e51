"""The measurement values that are clinical protocol: registered once in the clinic-settings
registry (``measurement.<core key>``), stored in its one table, edited on the protocol settings
page. Each is a ``ConfigurableDefault`` of the clinical core, which carries its source and safe
bounds; the measurement settings page keeps only how questionnaires are delivered.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ketacare.clinical.common import ConfigurableDefault
from ketacare.clinical.instruments import (
    INSTRUMENTS,
    MADRS_ITEM10_FLAG_MIN,
    MOAAS_SEDATION_MAX,
    PCL5_PROBABLE_PTSD_MIN,
    RESPONSE_MIN_FALL_PERCENT,
)
from ketacare.clinical.outcomes import RELAPSE_RULE

SECTION = "measurement"

# The measurement settings' field name (API and page) -> the core's default that bounds it.
CLINICAL_DEFAULTS: Mapping[str, ConfigurableDefault[Any]] = {
    "response_min_fall_percent": RESPONSE_MIN_FALL_PERCENT,
    "remission_phq9": INSTRUMENTS["phq9"].remission.threshold,
    "remission_madrs": INSTRUMENTS["madrs"].remission.threshold,
    "remission_qids_sr16": INSTRUMENTS["qids_sr16"].remission.threshold,
    "relapse_rule": RELAPSE_RULE,
    "madrs_item10_flag_min": MADRS_ITEM10_FLAG_MIN,
    "pcl5_probable_ptsd_min": PCL5_PROBABLE_PTSD_MIN,
    "moaas_sedation_max": MOAAS_SEDATION_MAX,
}


def registry_key(field: str) -> str:
    """``remission_phq9`` -> ``measurement.outcomes.remission.phq9``."""
    return f"{SECTION}.{CLINICAL_DEFAULTS[field].key}"


def register_measurement_settings() -> None:
    from ketacare.clinic_settings.registry import register

    register(
        SECTION,
        "Measurement and outcomes",
        CLINICAL_DEFAULTS.values(),
        description="Response, remission and relapse definitions, and the scores at which an "
        "instrument flags sedation, probable PTSD or suicidal thoughts (MADRS item 10). A "
        "threshold the reference does not give stays off until it is set.",
        kinds={
            MADRS_ITEM10_FLAG_MIN.key: int,
            PCL5_PROBABLE_PTSD_MIN.key: int,
        },
    )
