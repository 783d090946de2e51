"""Instrument thresholds a clinic may change within safe bounds, each declared once with its
source: the scoring flags (MOAA/S sedation, PCL-5 probable PTSD, MADRS item 10) and the response
and remission totals that ``outcomes`` applies."""

from __future__ import annotations

from ketacare.clinical.common import ConfigurableDefault, Provenance

# source: S3, S16, S29 (response = >= 50 % fall from baseline on PHQ-9, MADRS, QIDS-SR16)
RESPONSE_MIN_FALL_PERCENT: ConfigurableDefault[int] = ConfigurableDefault(
    key="outcomes.response_min_fall_percent",
    label="Response: minimum fall from baseline",
    value=50,
    unit="%",
    provenance=Provenance(("S3", "S16", "S29")),
    minimum=0,
    maximum=100,
)
# source: S74, S75 (scale); sedation = MOAA/S <= 3 in Spravato trials is [memory, verify]
MOAAS_SEDATION_MAX: ConfigurableDefault[int] = ConfigurableDefault(
    key="instruments.moaas.sedation_max",
    label="MOAA/S at or below which sedation is flagged",
    value=3,
    unit="points",
    provenance=Provenance(("memory",), verified=False, note="Spravato trials, [memory, verify]"),
    minimum=0,
    maximum=5,
)
# source: S72, S73 give ">= 31–33 probable PTSD": a range, so no default; the clinic picks one
PCL5_PROBABLE_PTSD_MIN: ConfigurableDefault[int] = ConfigurableDefault(
    key="instruments.pcl5.probable_ptsd_min",
    label="PCL-5 total at or above which probable PTSD is flagged",
    value=None,
    unit="points",
    provenance=Provenance(("S72", "S73"), note="reference gives a range of cutoffs, 31–33"),
    minimum=31,
    maximum=33,
)
# The reference gives no cutoff for MADRS item 10 (suicidal thoughts): no flag unless set.
MADRS_ITEM10_FLAG_MIN: ConfigurableDefault[int] = ConfigurableDefault(
    key="instruments.madrs.item10_flag_min",
    label="MADRS item 10 at or above which suicidal thoughts are flagged",
    value=None,
    unit="points",
    provenance=Provenance(("clinic setting",), note="project choice; reference gives no cutoff"),
    minimum=1,
    maximum=6,
)


_REMISSION_PROVENANCE_NOTE = "remission total; the clinic may change it within the bounds"
# source: S29 (PHQ-9 < 5); also S16, S18
REMISSION_PHQ9: ConfigurableDefault[int] = ConfigurableDefault(
    key="outcomes.remission.phq9",
    label="PHQ-9 remission: total below",
    value=5,
    unit="points",
    provenance=Provenance(("S29", "S16", "S18"), note=_REMISSION_PROVENANCE_NOTE),
    minimum=0,
    maximum=27,
)
# source: S67 (QIDS-SR16 <= 5); also S19
REMISSION_QIDS_SR16: ConfigurableDefault[int] = ConfigurableDefault(
    key="outcomes.remission.qids_sr16",
    label="QIDS-SR16 remission: total at or below",
    value=5,
    unit="points",
    provenance=Provenance(("S67", "S19"), note=_REMISSION_PROVENANCE_NOTE),
    minimum=0,
    maximum=27,
)
# source: S17, S37 (<= 10); S18 (<= 12 in esketamine programs)
REMISSION_MADRS: ConfigurableDefault[int] = ConfigurableDefault(
    key="outcomes.remission.madrs",
    label="MADRS remission: total at or below",
    value=10,
    unit="points",
    provenance=Provenance(("S17", "S37"), note="<= 10 default; <= 12 in esketamine programs [S18]"),
    minimum=10,
    maximum=12,
)

# Scoring thresholds a clinic may set, for the clinic-settings registry. The response and
# remission thresholds are applied by ``outcomes``, which lists them (``OUTCOME_DEFAULTS``).
CONFIGURABLE_DEFAULTS: tuple[ConfigurableDefault, ...] = (
    MOAAS_SEDATION_MAX,
    PCL5_PROBABLE_PTSD_MIN,
    MADRS_ITEM10_FLAG_MIN,
)
OUTCOME_DEFAULTS: tuple[ConfigurableDefault, ...] = (
    RESPONSE_MIN_FALL_PERCENT,
    REMISSION_PHQ9,
    REMISSION_MADRS,
    REMISSION_QIDS_SR16,
)
