"""Measurement instruments: metadata and the one scorer per instrument.

``score(code, answers)`` is the only place in Ketacare that turns answers into a total, a severity
band and safety flags. Answers are plain ints in item order; anything else is refused with a
message that names the item. Item labels here are the project's own short paraphrases; licensed
official wording is supplied by the clinic (see ``ketacare.clinical.wording``).

Sources are tags of ``shared/clinical-reference.md`` §4; facts the reference tags
``[memory, verify]`` or ``[weak]`` carry ``Provenance(verified=False)``.

The package: ``model`` (instrument, item, band, score), ``settings`` (thresholds a clinic may
change; ``CONFIGURABLE_DEFAULTS`` and, applied by ``outcomes``, ``OUTCOME_DEFAULTS``),
``catalogue`` (the instruments) and ``scoring`` (``score``).
"""

from ketacare.clinical.instruments.catalogue import (
    CADSS6,
    CSSRS_SCREEN,
    GAD7,
    INSTRUMENTS,
    MADRS,
    MEMORY,
    MOAAS,
    MOAAS_LEVELS,
    PAIN_NRS,
    PCL5,
    PHQ9,
    PROJECT_LABELS,
    QIDS_DOMAINS,
    QIDS_SR16,
)
from ketacare.clinical.instruments.model import (
    Band,
    FlagReason,
    Instrument,
    Item,
    Loinc,
    RemissionRule,
    ResponseRule,
    Score,
    ScoringSettings,
)
from ketacare.clinical.instruments.scoring import get_instrument, score
from ketacare.clinical.instruments.settings import (
    CONFIGURABLE_DEFAULTS,
    MADRS_ITEM10_FLAG_MIN,
    MOAAS_SEDATION_MAX,
    OUTCOME_DEFAULTS,
    PCL5_PROBABLE_PTSD_MIN,
    REMISSION_MADRS,
    REMISSION_PHQ9,
    REMISSION_QIDS_SR16,
    RESPONSE_MIN_FALL_PERCENT,
)

__all__ = [
    "CADSS6",
    "CONFIGURABLE_DEFAULTS",
    "CSSRS_SCREEN",
    "GAD7",
    "INSTRUMENTS",
    "MADRS",
    "MADRS_ITEM10_FLAG_MIN",
    "MEMORY",
    "MOAAS",
    "MOAAS_LEVELS",
    "MOAAS_SEDATION_MAX",
    "OUTCOME_DEFAULTS",
    "PAIN_NRS",
    "PCL5",
    "PCL5_PROBABLE_PTSD_MIN",
    "PHQ9",
    "PROJECT_LABELS",
    "QIDS_DOMAINS",
    "QIDS_SR16",
    "REMISSION_MADRS",
    "REMISSION_PHQ9",
    "REMISSION_QIDS_SR16",
    "RESPONSE_MIN_FALL_PERCENT",
    "Band",
    "FlagReason",
    "Instrument",
    "Item",
    "Loinc",
    "RemissionRule",
    "ResponseRule",
    "Score",
    "ScoringSettings",
    "get_instrument",
    "score",
]
