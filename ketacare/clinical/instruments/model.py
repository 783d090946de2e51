"""What an instrument is (items, ranges, bands, codes and their sources) and what scoring one
returns. The instruments themselves are in ``catalogue``; the scorers in ``scoring``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from ketacare.clinical.common import ConfigurableDefault, Provenance


@dataclass(frozen=True)
class Loinc:
    """A LOINC code with the source it was taken from."""

    code: str
    provenance: Provenance


@dataclass(frozen=True)
class Item:
    """One answer slot: its number, a short project label and the range of accepted values."""

    number: int
    label: str
    minimum: int
    maximum: int
    loinc: Loinc | None = None
    ref: str = ""  # how messages name the item; "item <number>" when empty

    @property
    def name(self) -> str:
        return self.ref or f"item {self.number}"


@dataclass(frozen=True)
class Band:
    """A severity band: totals ``low``..``high`` inclusive carry ``label``."""

    low: int
    high: int
    label: str
    provenance: Provenance


@dataclass(frozen=True)
class ResponseRule:
    """Response = a fall of at least ``min_fall_percent`` from baseline (applied in outcomes)."""

    min_fall_percent: ConfigurableDefault[int]


@dataclass(frozen=True)
class RemissionRule:
    """Remission = total ``comparator`` threshold, e.g. PHQ-9 ``<`` 5 (applied in outcomes)."""

    comparator: Literal["<", "<="]
    threshold: ConfigurableDefault[int]
    alternatives: tuple[tuple[int, Provenance], ...] = ()  # other published thresholds

    def met(self, total: int, threshold: int) -> bool:
        return total < threshold if self.comparator == "<" else total <= threshold

    def provenance_for(self, threshold: int) -> Provenance:
        """The source of ``threshold``: the default's, a published alternative's, or the clinic."""
        if threshold == self.threshold.value:
            return self.threshold.provenance
        for value, provenance in self.alternatives:
            if value == threshold:
                return provenance
        return Provenance(("clinic setting",), note=f"clinic override of {self.threshold.value}")


@dataclass(frozen=True)
class Instrument:
    """What the project knows about an instrument: items, ranges, bands, codes and their sources."""

    code: str
    name: str
    scorer_version: str
    items: tuple[Item, ...]
    completed_by: Literal["patient", "clinician"]
    recall_period: str | None  # None: the reference does not state one
    score_range: tuple[int, int] | None  # None: categorical (C-SSRS Screener)
    scoring_provenance: Provenance
    labels_provenance: Provenance
    bands: tuple[Band, ...] = ()
    loinc_panel: Loinc | None = None
    loinc_total: Loinc | None = None
    answer_loinc: tuple[tuple[int, Loinc], ...] = ()  # (value, LA code)
    response: ResponseRule | None = None
    remission: RemissionRule | None = None
    notes: tuple[str, ...] = ()

    @property
    def item_range(self) -> tuple[int, int]:
        """The common item range; every instrument here uses one range for all its items."""
        return self.items[0].minimum, self.items[0].maximum


@dataclass(frozen=True)
class FlagReason:
    """Why a flag was raised, in words for the screen, and the source it rests on."""

    flag: str
    reason: str
    provenance: Provenance


@dataclass(frozen=True)
class Score:
    """The result of scoring one completed instrument.

    ``total`` is None only for the C-SSRS Screener, which is categorical. ``severity`` is the band
    label in lower case, or None where the reference defines no band for the total.
    """

    code: str
    scorer_version: str
    total: int | None
    severity: str | None
    flags: frozenset[str]
    item_scores: tuple[int, ...]
    domain_scores: Mapping[str, int] = field(
        default_factory=lambda: MappingProxyType({}), hash=False
    )
    band: Band | None = None
    flag_reasons: tuple[FlagReason, ...] = ()
    triage_reason: str | None = None  # C-SSRS Screener: which answers decided the risk level
    triage_provenance: Provenance | None = None
    skipped_items: tuple[int, ...] = ()  # C-SSRS Screener: items ignored by the skip logic
    description: str | None = None  # MOAA/S: the level in words
    positive_screen: bool | None = None  # GAD-7 >= 10 only; None where the reference gives none


@dataclass(frozen=True)
class ScoringSettings:
    """Clinic overrides for scoring thresholds; None keeps the default (or leaves a check off)."""

    moaas_sedation_max: int | None = None
    pcl5_probable_ptsd_min: int | None = None
    madrs_item10_flag_min: int | None = None
