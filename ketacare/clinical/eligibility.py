"""Eligibility screening: contraindication and caution rules -> a decision with reasons and sources.

``evaluate(intake, route=..., settings=...)`` runs every rule in ``RULES`` that applies to the
route and indication and returns an ``EligibilityDecision``:

- any contraindication -> ``not_eligible``; else any unanswered question or unset clinic setting
  a rule needs -> ``needs_information``; else any caution -> ``eligible_with_cautions``;
  else ``eligible``. Unknown is never read as no.
- every finding names the patient's value, what would resolve it, and the reference source tags
  (shared/clinical-reference.md); facts the reference marks [memory, verify] or [weak] carry
  ``Provenance(verified=False)``.

A clinic changes numbers (within safe bounds) and severities through ``EligibilitySettings``.
A contraindication may be lowered to a caution only where the reference calls it relative, never
for an esketamine label contraindication. Raising a caution to a contraindication is always
allowed. Pure Python: no Django, no database, no clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from ketacare.clinical import thresholds
from ketacare.clinical.common import (
    ROUTE_LABELS,
    Answer,
    ClinicalRuleError,
    ConfigurableDefault,
    Provenance,
    Route,
    Severity,
)
from ketacare.clinical.intake import QUESTIONS, DrugClass, Indication, IntakeFacts, TrialOutcome

ALL_ROUTES = frozenset(Route)
ESKETAMINE = frozenset({Route.ESKETAMINE_NASAL})
RACEMIC = ALL_ROUTES - ESKETAMINE
ALL_INDICATIONS = frozenset(Indication)
ESKETAMINE_LABELLED = frozenset({Indication.DEPRESSION, Indication.SUICIDAL_IDEATION})
TRD_INDICATIONS = frozenset({Indication.DEPRESSION, Indication.BIPOLAR_DEPRESSION})

ESKETAMINE_MINIMUM_AGE_YEARS = 18  # not approved under 18. source: S49, S50


class Outcome(StrEnum):
    ELIGIBLE = "eligible"
    ELIGIBLE_WITH_CAUTIONS = "eligible_with_cautions"
    NEEDS_INFORMATION = "needs_information"
    NOT_ELIGIBLE = "not_eligible"


# ---------------------------------------------------------------------------------------------
# Values a clinic may set
# ---------------------------------------------------------------------------------------------

TRD_REQUIRED_TRIALS: ConfigurableDefault[int] = ConfigurableDefault(
    key="trd.required_adequate_trials",
    label="Adequate failed antidepressant trials (current episode) that define TRD",
    value=None,  # the reference gives no number: a required clinic setting
    unit="trials",
    provenance=Provenance((), verified=False, note="reference silent: the clinic must set it"),
    minimum=1,  # "treatment-resistant" needs at least one failed trial by definition
)

# source: S14 (weak secondary; label wording [memory, verify]); §2 APA "> 140/90 -> evaluate and
# treat first" [memory, verify]. Upper bounds: the §2 stop/slow threshold 180/100 [memory, verify]
# -- a pre-treatment limit above the level at which a running infusion is stopped is refused.
_BP_PROVENANCE = Provenance(
    ("S14", "§2"),
    verified=False,
    note="pre-treatment BP > 140/90 mmHg: weigh risk / evaluate and treat first; "
    "maximum = the 180/100 mmHg stop threshold [memory, verify]",
)
BP_SYSTOLIC_LIMIT: ConfigurableDefault[int] = ConfigurableDefault(
    key="bp.pre_treatment_systolic_max_mmhg",
    label="Pre-treatment blood pressure limit, systolic",
    value=thresholds.PRE_TREATMENT_SYSTOLIC_MMHG,
    unit="mmHg",
    provenance=_BP_PROVENANCE,
    maximum=thresholds.STOP_SYSTOLIC_MMHG,
)
BP_DIASTOLIC_LIMIT: ConfigurableDefault[int] = ConfigurableDefault(
    key="bp.pre_treatment_diastolic_max_mmhg",
    label="Pre-treatment blood pressure limit, diastolic",
    value=thresholds.PRE_TREATMENT_DIASTOLIC_MMHG,
    unit="mmHg",
    provenance=_BP_PROVENANCE,
    maximum=thresholds.STOP_DIASTOLIC_MMHG,
)

PARAMETERS: dict[str, ConfigurableDefault[int]] = {
    p.key: p for p in (TRD_REQUIRED_TRIALS, BP_SYSTOLIC_LIMIT, BP_DIASTOLIC_LIMIT)
}


# ---------------------------------------------------------------------------------------------
# Findings and rules
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One rule's verdict on one patient, with the reason, what would resolve it and its source.

    ``needs`` names what a MISSING finding waits for: an ``IntakeFacts`` field
    (``"pregnant"``, ``"antidepressant_trials[1]"``) or a clinic setting (``"setting:<key>"``).
    ``overridden_from`` is set when a clinic setting changed the rule's severity.
    """

    rule_id: str
    severity: Severity
    reason: str
    resolution: str
    provenance: Provenance
    routes: tuple[Route, ...]
    indications: tuple[Indication, ...]
    needs: str = ""
    overridden_from: Severity | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "rule_id": self.rule_id,
            "severity": str(self.severity),
            "reason": self.reason,
            "resolution": self.resolution,
            "needs": self.needs,
            "overridden_from": None if self.overridden_from is None else str(self.overridden_from),
            "provenance": _provenance_dict(self.provenance),
            "routes": [str(r) for r in self.routes],
            "indications": [str(i) for i in self.indications],
        }


@dataclass(frozen=True)
class _Hit:
    """What a rule's check returns; ``evaluate`` turns it into a Finding."""

    kind: str  # "fire" (the rule's severity), "ask" (MISSING) or "note" (INFO)
    reason: str
    resolution: str = ""
    needs: str = ""


@dataclass(frozen=True)
class _Context:
    """Everything a check reads, computed once per evaluation."""

    intake: IntakeFacts
    route: Route
    values: Mapping[str, int | None]
    medications_by_class: Mapping[DrugClass, tuple[str, ...]]
    unclassified: tuple[tuple[int, str], ...]  # (index, name) of medications in no class

    def names(self, drug_class: DrugClass) -> tuple[str, ...]:
        return self.medications_by_class.get(drug_class, ())


Check = Callable[[_Context], Iterable[_Hit]]


@dataclass(frozen=True)
class Rule:
    """A screening rule: when it applies, how much it weighs when it fires, and its source.

    ``severity`` is what a firing finding weighs by default; MISSING marks a rule that only asks.
    ``relative``: the reference calls it relative, so a clinic may lower it to a caution.
    ``label``: an esketamine label contraindication (S50), never lowered.
    """

    rule_id: str
    description: str
    severity: Severity
    routes: frozenset[Route]
    indications: frozenset[Indication]
    provenance: Provenance
    check: Check = field(repr=False, compare=False)
    relative: bool = False
    label: bool = False
    parameters: tuple[str, ...] = ()

    def applies(self, route: Route, indication: Indication) -> bool:
        return route in self.routes and indication in self.indications

    def to_dict(self, settings: EligibilitySettings | None = None) -> dict[str, object]:
        """The rule as the protocol page shows it, with the values in force for ``settings``."""
        settings = settings or EligibilitySettings()
        return {
            "rule_id": self.rule_id,
            "description": self.description,
            "severity": str(self.severity),
            "severity_in_force": str(settings.severity_for(self)),
            "clinic_may_lower_to_caution": self.relative
            and self.severity is Severity.CONTRAINDICATION,
            "clinic_may_raise": self.severity in (Severity.CAUTION, Severity.INFO),
            "esketamine_label_contraindication": self.label,
            "routes": sorted(str(r) for r in self.routes),
            "indications": sorted(str(i) for i in self.indications),
            "provenance": _provenance_dict(self.provenance),
            "parameters": [_parameter_dict(PARAMETERS[k], settings) for k in self.parameters],
        }


def _provenance_dict(p: Provenance) -> dict[str, object]:
    return {"sources": list(p.sources), "verified": p.verified, "note": p.note, "cite": p.cite()}


def _parameter_dict(
    p: ConfigurableDefault[int], settings: EligibilitySettings
) -> dict[str, object]:
    return {
        "key": p.key,
        "label": p.label,
        "default": p.value,
        "value_in_force": settings.value(p.key),
        "unit": p.unit,
        "minimum": p.minimum,
        "maximum": p.maximum,
        "required_setting": p.value is None,
        "provenance": _provenance_dict(p.provenance),
    }


# --- hit helpers ------------------------------------------------------------------------------

_CONDITION_TEXT: dict[str, str] = {
    "aneurysmal_vascular_disease": "aneurysmal vascular disease",
    "arteriovenous_malformation": "an arteriovenous malformation (AVM)",
    "substance_use_active": "current substance use",
    "alcohol_use_disorder": "a current alcohol use disorder",
}


def _fire(reason: str, resolution: str) -> _Hit:
    return _Hit("fire", reason, resolution)


def _ask(needs: str, reason: str = "", resolution: str = "") -> _Hit:
    return _Hit(
        "ask",
        reason or f"Not answered: {QUESTIONS[needs]}",
        resolution or "Answer this question and screen again.",
        needs,
    )


def _note(reason: str) -> _Hit:
    return _Hit("note", reason)


def _yes(facts: IntakeFacts, name: str) -> bool:
    return getattr(facts, name) is Answer.YES


def _unknown(facts: IntakeFacts, name: str) -> bool:
    return getattr(facts, name) is Answer.UNKNOWN


def _when_yes(name: str, reason: str, resolution: str, codes: tuple[str, ...] = ()) -> Check:
    """Fire when ``name`` is YES (or a diagnosis starts with one of ``codes``); ask if unknown."""

    def check(ctx: _Context) -> Iterable[_Hit]:
        coded = [d for d in ctx.intake.diagnoses if d.startswith(codes)] if codes else []
        if _yes(ctx.intake, name) or coded:
            extra = f" (diagnosis {', '.join(coded)})" if coded else ""
            yield _fire(reason + extra + ".", resolution)
        elif _unknown(ctx.intake, name):
            yield _ask(name)

    return check


def _when_any_yes(names: tuple[str, ...], reason: str, resolution: str) -> Check:
    """Fire when any of ``names`` is YES, naming which; otherwise ask each unknown one."""

    def check(ctx: _Context) -> Iterable[_Hit]:
        present = [_CONDITION_TEXT[n] for n in names if _yes(ctx.intake, n)]
        if present:
            text = reason.format(" and ".join(present))
            yield _fire(text[0].upper() + text[1:], resolution)
            return
        yield from (_ask(n) for n in names if _unknown(ctx.intake, n))

    return check


# --- individual checks ------------------------------------------------------------------------


def _age(minimum: int, reason: str, resolution: str) -> Check:
    def check(ctx: _Context) -> Iterable[_Hit]:
        age = ctx.intake.age_years
        if age is None:
            yield _ask("age_years", "Age is not recorded.", "Record the patient's age.")
        elif age < minimum:
            yield _fire(reason.format(age=age), resolution)

    return check


def _could_be_pregnant(facts: IntakeFacts) -> bool:
    return facts.sex != "male" and facts.pregnancy_possible is not Answer.NO


def _pregnancy(reason: str, resolution: str) -> Check:
    def check(ctx: _Context) -> Iterable[_Hit]:
        facts = ctx.intake
        if facts.pregnant is Answer.YES:
            yield _fire(reason, resolution)
        elif facts.pregnant is Answer.UNKNOWN and _could_be_pregnant(facts):
            yield _ask(
                "pregnant",
                resolution="Confirm pregnancy status (or record that pregnancy is not possible) "
                "and screen again.",
            )

    return check


def _breastfeeding(reason: str, resolution: str) -> Check:
    def check(ctx: _Context) -> Iterable[_Hit]:
        if ctx.intake.sex == "male":
            return
        if _yes(ctx.intake, "breastfeeding"):
            yield _fire(reason, resolution)
        elif _unknown(ctx.intake, "breastfeeding"):
            yield _ask("breastfeeding")

    return check


def _severe_liver(reason: str, resolution: str) -> Check:
    def check(ctx: _Context) -> Iterable[_Hit]:
        facts = ctx.intake
        if _yes(facts, "severe_liver_disease"):
            yield _fire(reason, resolution)
        elif _unknown(facts, "severe_liver_disease") and _yes(facts, "liver_disease"):
            yield _ask("severe_liver_disease")

    return check


def _other_liver(reason: str, resolution: str) -> Check:
    def check(ctx: _Context) -> Iterable[_Hit]:
        facts = ctx.intake
        if _yes(facts, "severe_liver_disease"):
            return  # the severe-liver rule speaks
        if _yes(facts, "liver_disease"):
            yield _fire(reason, resolution)
        elif _unknown(facts, "liver_disease"):
            yield _ask("liver_disease")

    return check


def _blood_pressure(ctx: _Context) -> Iterable[_Hit]:
    facts = ctx.intake
    systolic_limit = ctx.values[BP_SYSTOLIC_LIMIT.key]
    diastolic_limit = ctx.values[BP_DIASTOLIC_LIMIT.key]
    problems: list[str] = []
    systolic, diastolic = facts.systolic_mmhg, facts.diastolic_mmhg
    if systolic is not None and diastolic is not None:
        above = (systolic_limit is not None and systolic > systolic_limit) or (
            diastolic_limit is not None and diastolic > diastolic_limit
        )
        if above:
            problems.append(
                f"Blood pressure {facts.blood_pressure_text} is above "
                f"{systolic_limit}/{diastolic_limit} mmHg"
            )
    if _yes(facts, "hypertension") and facts.hypertension_controlled is Answer.NO:
        problems.append("hypertension is recorded as not controlled")
    if problems:
        text = "; ".join(problems)
        yield _fire(
            text[0].upper() + text[1:] + ".",
            "Treat and recheck blood pressure; re-enter the reading when controlled and screen "
            "again.",
        )
    if facts.systolic_mmhg is None:
        yield _ask(
            "systolic_mmhg",
            "No blood pressure reading is recorded.",
            "Record a seated blood pressure and screen again.",
        )
    if _unknown(facts, "hypertension"):
        yield _ask("hypertension")
    elif _yes(facts, "hypertension") and _unknown(facts, "hypertension_controlled"):
        yield _ask("hypertension_controlled")


def _controlled_hypertension(ctx: _Context) -> Iterable[_Hit]:
    facts = ctx.intake
    if _yes(facts, "hypertension") and facts.hypertension_controlled is Answer.YES:
        yield _note(
            "Controlled hypertension: in a series of 684 infusions, hypertensive patients had "
            "higher blood-pressure peaks during infusion (returning to baseline afterwards)."
        )


def _unstable_cardiovascular(ctx: _Context) -> Iterable[_Hit]:
    facts = ctx.intake
    if _yes(facts, "unstable_cardiovascular_disease"):
        yield _fire(
            "Unstable (poorly controlled) cardiovascular disease is recorded.",
            "Stabilise with the patient's cardiologist or physician, then screen again.",
        )
    elif _unknown(facts, "unstable_cardiovascular_disease"):
        if _unknown(facts, "cardiovascular_disease"):
            yield _ask("cardiovascular_disease")
        elif _yes(facts, "cardiovascular_disease"):
            yield _ask("unstable_cardiovascular_disease")


def _substance_active(ctx: _Context) -> Iterable[_Hit]:
    alcohol = _yes(ctx.intake, "alcohol_use_disorder")
    yield from _when_any_yes(
        ("substance_use_active", "alcohol_use_disorder"),
        "{} is recorded: no serial infusions with active substance use"
        + ("; alcohol also adds sedation and respiratory depression." if alcohol else "."),
        "Address the substance use first (referral for treatment); screen again when it is no "
        "longer active. Use universal precautions for abuse.",
    )(ctx)


def _substance_history(ctx: _Context) -> Iterable[_Hit]:
    facts = ctx.intake
    if _yes(facts, "substance_use_active") or _yes(facts, "alcohol_use_disorder"):
        return  # the active-use rule speaks
    if _yes(facts, "substance_use_history"):
        yield _fire(
            "A past substance use disorder is recorded: ketamine and esketamine carry abuse and "
            "misuse risk (Schedule III).",
            "Assess abuse risk before and during treatment and document the plan.",
        )
    elif _unknown(facts, "substance_use_history"):
        yield _ask("substance_use_history")


def _trd(*, esketamine: bool) -> Check:
    """Count adequate failed antidepressant trials in the current episode against the setting."""

    def check(ctx: _Context) -> Iterable[_Hit]:
        required = ctx.values[TRD_REQUIRED_TRIALS.key]
        if required is None:
            yield _ask(
                f"setting:{TRD_REQUIRED_TRIALS.key}",
                "The clinic has not set the number of adequate antidepressant trials that "
                "defines treatment resistance (the clinical reference gives no number).",
                f"Medical director: set '{TRD_REQUIRED_TRIALS.key}' in the clinic's eligibility "
                "settings.",
            )
            return
        trials = ctx.intake.antidepressant_trials
        failed = [t.drug for t in trials if t.counts_as_failed]
        open_trials = [
            (i, t) for i, t in enumerate(trials) if not (t.counts_as_failed or t.ruled_out)
        ]
        counted = f"{len(failed)} adequate antidepressant trial{'s' if len(failed) != 1 else ''}"
        counted += " failed in the current episode" + (f" ({', '.join(failed)})" if failed else "")
        verdict = f"{counted}; the clinic's definition of treatment resistance needs {required}."
        if len(failed) >= required:
            yield _note(verdict)
            return
        if len(failed) + len(open_trials) >= required:
            for i, trial in open_trials:
                unknown = [
                    label
                    for label, is_unknown in (
                        ("adequacy", trial.adequate is Answer.UNKNOWN),
                        (
                            "whether it was in the current episode",
                            trial.current_episode is Answer.UNKNOWN,
                        ),
                        ("outcome", trial.outcome is TrialOutcome.UNKNOWN),
                    )
                    if is_unknown
                ]
                yield _ask(
                    f"antidepressant_trials[{i}]",
                    f"Antidepressant trial of {trial.drug}: {' and '.join(unknown)} not recorded "
                    f"({verdict[:-1]}).",
                    "Complete the trial's details and screen again.",
                )
            return
        if ctx.intake.antidepressant_history_complete is not Answer.YES:
            yield _ask(
                "antidepressant_history_complete",
                f"{verdict[:-1]}, and the antidepressant history is not confirmed complete.",
                "Complete and confirm the antidepressant treatment history, then screen again.",
            )
            return
        if esketamine:
            yield _fire(
                f"Esketamine is labelled for treatment-resistant depression: {verdict}",
                "Not eligible for esketamine under the TRD indication; consider another "
                "treatment, or correct the treatment history and screen again.",
            )
        else:
            yield _fire(
                f"{verdict} The strongest evidence for ketamine is in treatment-resistant "
                "depression.",
                "Document the risk-benefit decision to treat depression that does not meet the "
                "clinic's definition of treatment resistance, or correct the treatment history.",
            )

    return check


def _mdsi_antidepressant(ctx: _Context) -> Iterable[_Hit]:
    if ctx.names(DrugClass.ANTIDEPRESSANT):
        return
    listed = ", ".join(m.name for m in ctx.intake.current_medications) or "none"
    if ctx.unclassified or ctx.intake.medications_complete is not Answer.YES:
        yield _ask(
            "current_medications",
            f"No oral antidepressant is recognised among the current medications ({listed}); "
            "esketamine for depression with acute suicidal ideation is given with one.",
            "Confirm the medication list and the class of any unrecognised medication, then "
            "screen again.",
        )
        return
    yield _fire(
        f"No oral antidepressant among the current medications ({listed}); esketamine for "
        "depression with acute suicidal ideation is labelled for use with an oral antidepressant.",
        "Start or record an oral antidepressant, then screen again.",
    )


def _outside_label(ctx: _Context) -> Iterable[_Hit]:
    indication = str(ctx.intake.indication).replace("_", " ")
    yield _fire(
        f"Esketamine nasal spray is labelled for treatment-resistant depression and for "
        f"depression with acute suicidal ideation in adults; '{indication}' is outside the label.",
        "Consider a racemic ketamine route, or record the correct indication and screen again.",
    )


def _always(hit: _Hit) -> Check:
    def check(ctx: _Context) -> Iterable[_Hit]:
        yield hit

    return check


def _medication_list(ctx: _Context) -> Iterable[_Hit]:
    if ctx.intake.medications_complete is not Answer.YES:
        yield _ask(
            "medications_complete",
            resolution="Review the current medications with the patient, confirm the list is "
            "complete, and screen again.",
        )


def _unclassified(ctx: _Context) -> Iterable[_Hit]:
    for index, name in ctx.unclassified:
        yield _ask(
            f"current_medications[{index}].drug_class",
            f"Medication '{name}' is not in the interaction table, so its interactions cannot be "
            "checked.",
            "Choose its drug class (or 'other' if it is in none of the interaction classes) and "
            "screen again.",
        )


def _methylxanthine(ctx: _Context) -> Iterable[_Hit]:
    names = ctx.names(DrugClass.METHYLXANTHINE)
    if not names:
        return
    seizures = " The patient has a history of seizures." if _yes(ctx.intake, "seizures") else ""
    yield _fire(
        f"Current theophylline/aminophylline: {', '.join(names)}. Together with ketamine it "
        f"lowers the seizure threshold.{seizures}",
        "Prescriber to weigh the seizure risk and document the plan.",
    )
    if _unknown(ctx.intake, "seizures"):
        yield _ask("seizures")


# ---------------------------------------------------------------------------------------------
# The rule table
# ---------------------------------------------------------------------------------------------

_NOT_FOR_ESKETAMINE = (
    "Esketamine cannot be given; consider another treatment, or correct the record."
)
_RISK_BENEFIT = "Document the risk-benefit decision and the monitoring plan."
_UNVERIFIED_EXTRAPOLATION = "applied to racemic ketamine by analogy: the reference is silent"
_OFF_LABEL = ALL_INDICATIONS - ESKETAMINE_LABELLED


def _rule(
    rule_id: str,
    description: str,
    severity: Severity,
    routes: frozenset[Route],
    provenance: Provenance,
    check: Check,
    *,
    indications: frozenset[Indication] = ALL_INDICATIONS,
    relative: bool = False,
    label: bool = False,
    parameters: tuple[str, ...] = (),
) -> Rule:
    return Rule(
        rule_id, description, severity, routes, indications, provenance, check, relative, label,
        parameters,
    )  # fmt: skip


_CI, _CAUTION, _INFO, _ASKS = (
    Severity.CONTRAINDICATION,
    Severity.CAUTION,
    Severity.INFO,
    Severity.MISSING,
)

# (drug class, description, severity, sources, effect shown to the clinician, resolution)
# source: §6.3 of the reference; the tags are in each row.
_PRESCRIBER = "Prescriber to weigh the interaction and document the plan."
_INTERACTIONS: tuple[tuple[DrugClass, str, Severity, Provenance, str, str], ...] = (
    (
        DrugClass.BENZODIAZEPINE,
        "Benzodiazepines: reduced antidepressant effect and added sedation",
        Severity.CAUTION,
        Provenance(("S104", "S105", "S15")),  # source: S104, S105, S15
        "Benzodiazepines may shorten or reduce ketamine's antidepressant effect and add sedation.",
        _PRESCRIBER,
    ),
    (
        DrugClass.Z_DRUG,
        "Non-benzodiazepine sedative-hypnotics: added sedation",
        Severity.CAUTION,
        Provenance(("S15", "S106", "S107")),  # source: S15, S106, S107
        "Non-benzodiazepine sedative-hypnotics add sedation.",
        _PRESCRIBER,
    ),
    (
        DrugClass.LAMOTRIGINE,
        "Lamotrigine: may attenuate ketamine's effects",
        Severity.CAUTION,
        Provenance(("S104", "S105")),  # source: S104, S105
        "Lamotrigine attenuated ketamine's effects in 2 of 5 studies (it also reduces "
        "ketamine's adverse effects).",
        _PRESCRIBER,
    ),
    (
        DrugClass.MAOI,
        "MAOIs: may increase blood pressure",
        Severity.CAUTION,
        Provenance(("S106", "S105")),  # source: S106, S105
        "MAOIs may increase blood pressure.",
        _PRESCRIBER,
    ),
    (
        DrugClass.PSYCHOSTIMULANT,
        "Psychostimulants: may increase blood pressure",
        Severity.CAUTION,
        Provenance(("S106",)),  # source: S106
        "Psychostimulants may increase blood pressure.",
        _PRESCRIBER,
    ),
    (
        DrugClass.OPIOID,
        "Opioids: added sedation and respiratory depression",
        Severity.CAUTION,
        Provenance(("S106", "S107")),  # source: S106, S107
        "Opioids add sedation and respiratory depression.",
        _PRESCRIBER,
    ),
    (
        DrugClass.CNS_DEPRESSANT,
        "Other CNS depressants: added sedation and respiratory depression",
        Severity.CAUTION,
        Provenance(("S106", "S107")),  # source: S106, S107
        "CNS depressants add sedation and respiratory depression.",
        _PRESCRIBER,
    ),
    (
        DrugClass.SYMPATHOMIMETIC,
        "Sympathomimetics / vasopressin: monitor vital signs closely",
        Severity.CAUTION,
        Provenance(("S107",)),  # source: S107
        "Monitor vital signs closely with ketamine.",
        "Plan closer vital-sign monitoring and document it.",
    ),
    (
        DrugClass.CYP_INHIBITOR,
        "CYP3A4 / CYP2B6 inhibitors: may raise ketamine exposure",
        Severity.CAUTION,
        Provenance(("S104",), note="drug names: project list [unverified]"),  # source: S104
        "CYP3A4/CYP2B6 inhibitors may raise ketamine exposure.",
        _PRESCRIBER,
    ),
    (
        DrugClass.CYP_INDUCER,
        "CYP3A4 / CYP2B6 inducers: may lower ketamine exposure",
        Severity.CAUTION,
        Provenance(("S104",), note="drug names: project list [unverified]"),  # source: S104
        "CYP3A4/CYP2B6 inducers may lower ketamine exposure.",
        _PRESCRIBER,
    ),
    (
        DrugClass.ANTIPSYCHOTIC,
        "Antipsychotics: pharmacodynamic interactions reported",
        Severity.INFO,
        Provenance(("S105",)),  # source: S105
        "Clozapine blunts ketamine's positive symptoms; interactions with risperidone and "
        "haloperidol are reported.",
        "",
    ),
    (
        DrugClass.NALTREXONE,
        "Naltrexone: may block the antidepressant effect",
        Severity.INFO,
        # source: §6.3 [memory, verify]
        Provenance(("§6.3",), verified=False, note="one small RCT; later studies mixed"),
        "One small trial found naltrexone blocked ketamine's antidepressant effect; later "
        "studies were mixed.",
        "",
    ),
)


def _interaction_rule(
    drug_class: DrugClass,
    description: str,
    severity: Severity,
    provenance: Provenance,
    effect: str,
    resolution: str,
) -> Rule:
    def check(ctx: _Context) -> Iterable[_Hit]:
        names = ctx.names(drug_class)
        if names:
            yield _fire(f"Current medication: {', '.join(names)}. {effect}", resolution)

    rule_id = f"interaction.{drug_class}"
    return Rule(rule_id, description, severity, ALL_ROUTES, ALL_INDICATIONS, provenance, check)


RULES: tuple[Rule, ...] = (
    # --- every route ---------------------------------------------------------------------------
    _rule(
        "hypersensitivity",
        "Hypersensitivity to ketamine or esketamine",
        _CI,
        ALL_ROUTES,
        # source: S50 (Spravato contraindication: esketamine, ketamine or excipients)
        Provenance(("S50",), note="same drug for racemic routes"),
        _when_yes(
            "ketamine_hypersensitivity",
            "Hypersensitivity to ketamine or esketamine is recorded",
            "Do not give ketamine or esketamine; if the record is wrong, correct it.",
        ),
        label=True,
    ),
    _rule(
        "bp.uncontrolled_hypertension",
        "Uncontrolled hypertension, or pre-treatment blood pressure above the limit",
        _CI,
        ALL_ROUTES,
        _BP_PROVENANCE,  # source: S14, §2
        _blood_pressure,
        relative=True,  # §2 APA: relative contraindication [memory, verify]
        parameters=(BP_SYSTOLIC_LIMIT.key, BP_DIASTOLIC_LIMIT.key),
    ),
    _rule(
        "bp.controlled_hypertension",
        "Controlled hypertension: expect higher blood-pressure peaks",
        _INFO,
        ALL_ROUTES,
        Provenance(("S94",)),  # source: S94
        _controlled_hypertension,
    ),
    _rule(
        "cardiovascular.unstable",
        "Unstable or poorly controlled cardiovascular disease",
        _CI,
        ALL_ROUTES,
        # source: S41 ("avoid in poorly controlled cardiovascular disease"); §2 relative
        Provenance(("S41",), note="relative per APA 2017 (§2) [memory, verify]"),
        _unstable_cardiovascular,
        relative=True,
    ),
    _rule(
        "pressure.intracranial",
        "Raised intracranial pressure",
        _CI,
        ALL_ROUTES,
        # source: S41 (grade C: do not use, or lower doses with extreme caution); §2 relative
        Provenance(("S41",), note="do not use, or lower doses with extreme caution (grade C)"),
        _when_yes(
            "raised_intracranial_pressure",
            "Raised intracranial pressure is recorded",
            "Do not treat, or only at lower doses with extreme caution after a documented "
            "risk-benefit decision.",
        ),
        relative=True,
    ),
    _rule(
        "pressure.intraocular",
        "Raised intraocular pressure",
        _CI,
        ALL_ROUTES,
        # source: S41 (grade C)
        Provenance(("S41",), note="do not use, or lower doses with extreme caution (grade C)"),
        _when_yes(
            "raised_intraocular_pressure",
            "Raised intraocular pressure is recorded",
            "Do not treat, or only at lower doses with extreme caution after a documented "
            "risk-benefit decision (ophthalmology input).",
        ),
        relative=True,
    ),
    _rule(
        "psychosis.history",
        "History of psychosis",
        _CAUTION,
        ALL_ROUTES,
        # source: S41 (avoid in poorly controlled psychosis), S57 (assess benefit/risk), S43
        Provenance(("S41", "S57", "S43")),
        _when_yes(
            "psychosis_history",
            "A history of psychosis is recorded; avoid ketamine if psychosis is poorly controlled",
            "Psychiatrist to confirm psychosis is controlled and document the risk-benefit "
            "decision.",
            codes=("F2", "F32.3", "F33.3"),  # project list: psychotic disorders, psychotic MDD
        ),
    ),
    _rule(
        "mania.history",
        "History of mania or hypomania (bipolar disorder)",
        _CAUTION,
        ALL_ROUTES,
        # source: §2 (limited data in bipolar depression) [memory, verify]; S90
        Provenance(("§2", "S90"), verified=False, note="limited data in bipolar depression"),
        _when_yes(
            "mania_history",
            "A history of mania or hypomania is recorded; data in bipolar disorder are limited",
            "Psychiatrist to document the risk-benefit decision and mood-stabiliser cover.",
            codes=("F30", "F31"),  # project list: manic episode, bipolar disorder
        ),
    ),
    _rule(
        "substance.active_use",
        "Active substance use, including an alcohol use disorder",
        _CI,
        ALL_ROUTES,
        # source: S41 (no serial infusions with active substance abuse); S106, S107 (alcohol)
        Provenance(("S41", "S106", "S107"), note="relative per APA 2017 (§2) [memory, verify]"),
        _substance_active,
        relative=True,
    ),
    _rule(
        "substance.history",
        "Past substance use disorder",
        _CAUTION,
        ALL_ROUTES,
        Provenance(("S14", "S56")),  # source: S14, S56 (greater caution with SUD history)
        _substance_history,
    ),
    _rule(
        "urinary.symptoms",
        "Urinary symptoms (ketamine cystitis risk)",
        _CAUTION,
        ALL_ROUTES,
        Provenance(("S14", "S102")),  # source: S14, S102
        _when_yes(
            "urinary_symptoms",
            "Urinary symptoms are recorded; ketamine can cause cystitis",
            "Assess the urinary symptoms before starting and ask about them at every visit.",
        ),
    ),
    # --- medications (reference §6.3) ----------------------------------------------------------
    _rule(
        "interaction.medication_list",
        "The current medication list must be confirmed complete",
        _ASKS,
        ALL_ROUTES,
        Provenance(("S15",), note="the Spravato monitoring form asks about concomitant drugs"),
        _medication_list,
    ),
    _rule(
        "interaction.unclassified_medication",
        "Every current medication must be in a known interaction class (or 'other')",
        _ASKS,
        ALL_ROUTES,
        Provenance(("§6.3",), verified=False, note="project drug table: intake.CLASS_MEMBERS"),
        _unclassified,
    ),
    *(_interaction_rule(*row) for row in _INTERACTIONS),
    _rule(
        "interaction.methylxanthine",
        "Theophylline / aminophylline: lower seizure threshold",
        _CAUTION,
        ALL_ROUTES,
        Provenance(("S107",)),  # source: S107
        _methylxanthine,
    ),
    # --- esketamine nasal spray: label ---------------------------------------------------------
    _rule(
        "esk.aneurysm",
        "Aneurysmal vascular disease or arteriovenous malformation (label contraindication)",
        _CI,
        ESKETAMINE,
        Provenance(("S50",)),  # source: S50
        _when_any_yes(
            ("aneurysmal_vascular_disease", "arteriovenous_malformation"),
            "{} is recorded: a contraindication on the esketamine label.",
            _NOT_FOR_ESKETAMINE,
        ),
        label=True,
    ),
    _rule(
        "esk.intracerebral_haemorrhage",
        "History of intracerebral haemorrhage (label contraindication)",
        _CI,
        ESKETAMINE,
        Provenance(("S50",)),  # source: S50
        _when_yes(
            "intracerebral_haemorrhage",
            "A history of intracerebral haemorrhage is recorded: a contraindication on the "
            "esketamine label",
            _NOT_FOR_ESKETAMINE,
        ),
        label=True,
    ),
    _rule(
        "esk.age",
        "Esketamine is not approved under 18",
        _CI,
        ESKETAMINE,
        Provenance(("S49", "S50")),  # source: S49, S50
        _age(
            ESKETAMINE_MINIMUM_AGE_YEARS,
            "The patient is {age} years old; esketamine is not approved under 18 years.",
            "Esketamine cannot be given under 18; consider another treatment.",
        ),
    ),
    _rule(
        "esk.trd_indication",
        "Esketamine for depression: treatment-resistant depression (label indication)",
        _CI,
        ESKETAMINE,
        Provenance(("S47", "S48"), note="number of trials: clinic setting (reference silent)"),
        _trd(esketamine=True),  # source: S47, S48
        indications=frozenset({Indication.DEPRESSION}),
        parameters=(TRD_REQUIRED_TRIALS.key,),
    ),
    _rule(
        "esk.mdsi_oral_antidepressant",
        "Esketamine for depression with suicidal ideation is given with an oral antidepressant",
        _CI,
        ESKETAMINE,
        Provenance(("S49",)),  # source: S49
        _mdsi_antidepressant,
        indications=frozenset({Indication.SUICIDAL_IDEATION}),
    ),
    _rule(
        "esk.mdsi_limitations",
        "Esketamine is not shown to prevent suicide and does not replace hospitalisation",
        _INFO,
        ESKETAMINE,
        Provenance(("S49", "S50")),  # source: S49, S50
        _always(
            _note(
                "Esketamine has not been shown to prevent suicide and does not replace "
                "hospitalisation when it is clinically warranted."
            )
        ),
        indications=frozenset({Indication.SUICIDAL_IDEATION}),
    ),
    _rule(
        "esk.indication_outside_label",
        "Esketamine outside its labelled indications",
        _CI,
        ESKETAMINE,
        Provenance(("S47", "S49")),  # source: S47, S49
        _outside_label,
        indications=_OFF_LABEL,
    ),
    _rule(
        "esk.pregnancy",
        "Pregnancy (embryo-fetal toxicity warning)",
        _CI,
        ESKETAMINE,
        Provenance(("S57", "S14")),  # source: S57, S14
        _pregnancy(
            "Pregnancy is recorded (pregnant or could be pregnant); esketamine carries an "
            "embryo-fetal toxicity warning.",
            "Do not start esketamine in pregnancy; confirm status (e.g. pregnancy test) and "
            "screen again if it was recorded in error.",
        ),
    ),
    _rule(
        "esk.breastfeeding",
        "Breastfeeding (label: no breastfeeding)",
        _CI,
        ESKETAMINE,
        Provenance(("S57", "S14")),  # source: S57, S14
        _breastfeeding(
            "The patient is breastfeeding; the esketamine label advises against breastfeeding "
            "during treatment.",
            "Screen again once the patient has decided not to breastfeed during treatment.",
        ),
    ),
    _rule(
        "esk.severe_liver_disease",
        "Severe hepatic impairment: esketamine not recommended",
        _CI,
        ESKETAMINE,
        Provenance(("S14",), verified=False, note="S14 is a weak secondary source"),
        _severe_liver(  # source: S14 [weak]
            "Severe liver disease is recorded; esketamine is not recommended in severe hepatic "
            "impairment.",
            "Consider another treatment; if severity was recorded in error, correct it.",
        ),
    ),
    _rule(
        "esk.moderate_liver_disease",
        "Hepatic impairment: may need longer monitoring after esketamine",
        _CAUTION,
        ESKETAMINE,
        Provenance(("S14",), verified=False, note="S14 is a weak secondary source"),
        _other_liver(  # source: S14 [weak]
            "Liver disease (not severe) is recorded; moderate hepatic impairment may need longer "
            "monitoring after each dose.",
            "Plan a longer post-dose observation and document it.",
        ),
    ),
    # --- racemic ketamine (IV, IM, SC, oral, sublingual) ---------------------------------------
    _rule(
        "racemic.aneurysm",
        "Aneurysmal vascular disease or AVM (relative contraindication)",
        _CAUTION,
        RACEMIC,
        # source: §2 relative contraindication [memory, verify]; AVM from the S50 label by analogy
        Provenance(("§2", "S50"), verified=False, note="APA relative contraindication"),
        _when_any_yes(
            ("aneurysmal_vascular_disease", "arteriovenous_malformation"),
            "{} is recorded: a relative contraindication to racemic ketamine (a contraindication "
            "to esketamine); ketamine raises blood pressure.",
            "Vascular specialist input and a documented risk-benefit decision before treating.",
        ),
        relative=True,
    ),
    _rule(
        "racemic.intracerebral_haemorrhage",
        "History of intracerebral haemorrhage",
        _CAUTION,
        RACEMIC,
        Provenance(("S50",), verified=False, note=_UNVERIFIED_EXTRAPOLATION),
        _when_yes(
            "intracerebral_haemorrhage",
            "A history of intracerebral haemorrhage is recorded (a contraindication to "
            "esketamine; ketamine raises blood pressure)",
            _RISK_BENEFIT,
        ),
    ),
    _rule(
        "racemic.age",
        "Under 18: no guidance in the reference for racemic ketamine",
        _CAUTION,
        RACEMIC,
        Provenance(("S49", "S50"), verified=False, note=_UNVERIFIED_EXTRAPOLATION),
        _age(
            ESKETAMINE_MINIMUM_AGE_YEARS,
            "The patient is {age} years old; the reference gives no guidance for racemic "
            "ketamine under 18 (esketamine is not approved under 18).",
            "Specialist (child and adolescent) review and a documented risk-benefit decision.",
        ),
    ),
    _rule(
        "racemic.pregnancy",
        "Pregnancy (relative contraindication)",
        _CI,
        RACEMIC,
        # source: §2 APA relative contraindication [memory, verify]; S57 esketamine warning
        Provenance(("§2", "S57"), verified=False, note="APA relative contraindication"),
        _pregnancy(
            "Pregnancy is recorded (pregnant or could be pregnant); pregnancy is a relative "
            "contraindication to ketamine.",
            "Confirm status (e.g. pregnancy test); treat only after an obstetric risk-benefit "
            "decision.",
        ),
        relative=True,
    ),
    _rule(
        "racemic.breastfeeding",
        "Breastfeeding",
        _CAUTION,
        RACEMIC,
        Provenance(("S57",), verified=False, note=_UNVERIFIED_EXTRAPOLATION),
        _breastfeeding(
            "The patient is breastfeeding; the reference has no lactation guidance for racemic "
            "ketamine (the esketamine label advises against breastfeeding).",
            _RISK_BENEFIT,
        ),
    ),
    _rule(
        "racemic.severe_liver_disease",
        "Severe hepatic impairment: avoid",
        _CI,
        RACEMIC,
        Provenance(("S41",)),  # source: S41
        _severe_liver(
            "Severe liver disease is recorded; avoid ketamine in severe hepatic impairment.",
            "Consider another treatment; if severity was recorded in error, correct it.",
        ),
    ),
    _rule(
        "racemic.moderate_liver_disease",
        "Hepatic impairment: caution and monitoring",
        _CAUTION,
        RACEMIC,
        Provenance(("S41",)),  # source: S41
        _other_liver(
            "Liver disease (not severe) is recorded; use caution and monitoring in moderate "
            "hepatic impairment.",
            "Plan liver monitoring and document it.",
        ),
    ),
    _rule(
        "trd.adequate_trials",
        "Depression: adequate failed antidepressant trials define treatment resistance",
        _CAUTION,
        RACEMIC,
        # source: §2 strongest evidence in TRD [memory, verify]; S43 prior treatment history
        Provenance(("§2", "S43"), verified=False, note="number of trials: clinic setting"),
        _trd(esketamine=False),
        indications=TRD_INDICATIONS,
        parameters=(TRD_REQUIRED_TRIALS.key,),
    ),
    _rule(
        "indication.bipolar_depression",
        "Bipolar depression: limited data",
        _CAUTION,
        RACEMIC,
        Provenance(("§2", "S90"), verified=False, note="limited data in bipolar depression"),
        _always(
            _fire(
                "Bipolar depression: the evidence for ketamine is limited.",
                "Psychiatrist to document the risk-benefit decision and mood-stabiliser cover.",
            )
        ),
        indications=frozenset({Indication.BIPOLAR_DEPRESSION}),
    ),
    _rule(
        "indication.limited_evidence",
        "PTSD, OCD, anxiety: insufficient data, off-label",
        _CAUTION,
        RACEMIC,
        Provenance(("§2",), verified=False, note="insufficient data for other disorders"),
        _always(
            _fire(
                "Off-label use with limited evidence: the reference finds insufficient data for "
                "ketamine in disorders other than depression.",
                "Document the risk-benefit decision and the patient's informed consent to "
                "off-label treatment.",
            )
        ),
        indications=frozenset({Indication.PTSD, Indication.OCD, Indication.ANXIETY}),
    ),
    _rule(
        "indication.crps",
        "CRPS: moderate evidence for IV infusions",
        _INFO,
        frozenset({Route.RACEMIC_IV}),
        Provenance(("S41", "S42")),  # source: S41, S42
        _always(
            _note("CRPS: moderate evidence for IV ketamine infusions (benefit up to 12 weeks).")
        ),
        indications=frozenset({Indication.CHRONIC_PAIN_CRPS}),
    ),
    _rule(
        "indication.crps_non_iv",
        "CRPS by a route other than IV: no evidence in the reference",
        _CAUTION,
        RACEMIC - {Route.RACEMIC_IV},
        Provenance(("S41",)),  # source: S41 (the consensus covers IV infusions)
        _always(
            _fire(
                "The chronic-pain evidence (ASRA/AAPM/ASA 2018) is for IV infusions; this route "
                "is not covered.",
                "Consider IV infusion, or document the risk-benefit decision for this route.",
            )
        ),
        indications=frozenset({Indication.CHRONIC_PAIN_CRPS}),
    ),
    _rule(
        "indication.suicidal_ideation",
        "Suicidal ideation: ketamine does not replace hospitalisation",
        _INFO,
        RACEMIC,
        Provenance(("S49",), verified=False, note="esketamine label limitation, by analogy"),
        _always(
            _note(
                "Ketamine has not been shown to prevent suicide and does not replace "
                "hospitalisation when it is clinically warranted."
            )
        ),
        indications=frozenset({Indication.SUICIDAL_IDEATION}),
    ),
)

RULES_BY_ID: dict[str, Rule] = {rule.rule_id: rule for rule in RULES}
assert len(RULES_BY_ID) == len(RULES), "duplicate rule id"


def default_rules() -> tuple[Rule, ...]:
    """Every rule, in evaluation order, for the protocol page."""
    return RULES


# ---------------------------------------------------------------------------------------------
# Clinic settings
# ---------------------------------------------------------------------------------------------

_SEVERITY_RANK = {Severity.INFO: 0, Severity.CAUTION: 1, Severity.CONTRAINDICATION: 2}


@dataclass(frozen=True)
class EligibilitySettings:
    """A clinic's overrides: ``values`` by parameter key, ``severities`` by rule id.

    Validated on construction: a value outside its safe bounds, an unknown key, or lowering a
    contraindication the reference does not call relative raises ClinicalRuleError.
    """

    values: Mapping[str, int] = field(default_factory=dict)
    severities: Mapping[str, Severity] = field(default_factory=dict)

    def __post_init__(self) -> None:
        values = {k: v for k, v in dict(self.values).items() if v is not None}
        for key, value in values.items():
            parameter = PARAMETERS.get(key)
            if parameter is None:
                raise ClinicalRuleError(
                    f"Unknown eligibility setting {key!r}; known: {', '.join(PARAMETERS)}"
                )
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ClinicalRuleError(
                    f"{parameter.label}: expected a positive whole number of {parameter.unit}, "
                    f"got {value!r}"
                )
            parameter.validate(value)
        severities: dict[str, Severity] = {}
        for rule_id, target in dict(self.severities).items():
            rule = RULES_BY_ID.get(rule_id)
            if rule is None:
                raise ClinicalRuleError(f"Unknown eligibility rule {rule_id!r}")
            severities[rule_id] = _check_severity_change(rule, Severity(target))
        object.__setattr__(self, "values", MappingProxyType(values))
        object.__setattr__(self, "severities", MappingProxyType(severities))

    def value(self, key: str) -> int | None:
        """The value in force: the clinic's, else the reference default (None if required)."""
        return self.values.get(key, PARAMETERS[key].value)

    def severity_for(self, rule: Rule) -> Severity:
        return self.severities.get(rule.rule_id, rule.severity)

    def unset_required(self) -> tuple[ConfigurableDefault[int], ...]:
        """Required settings (no reference default) the clinic has not set yet."""
        return tuple(p for k, p in PARAMETERS.items() if self.value(k) is None)


def _check_severity_change(rule: Rule, target: Severity) -> Severity:
    if rule.severity is Severity.MISSING:
        raise ClinicalRuleError(f"Rule {rule.rule_id!r} only asks for information; no severity")
    if target not in (Severity.CAUTION, Severity.CONTRAINDICATION):
        raise ClinicalRuleError(
            f"Rule {rule.rule_id!r}: a clinic may set 'caution' or 'contraindication', "
            f"not {str(target)!r}"
        )
    if _SEVERITY_RANK[target] < _SEVERITY_RANK[rule.severity]:
        if rule.label:
            raise ClinicalRuleError(
                f"{rule.description}: an esketamine label contraindication (S50) cannot be "
                "lowered to a caution"
            )
        if not rule.relative:
            raise ClinicalRuleError(
                f"{rule.description}: the clinical reference does not call this a relative "
                "contraindication, so it cannot be lowered to a caution"
            )
    return target


# ---------------------------------------------------------------------------------------------
# The decision
# ---------------------------------------------------------------------------------------------

_ORDER = {Severity.CONTRAINDICATION: 0, Severity.MISSING: 1, Severity.CAUTION: 2, Severity.INFO: 3}


@dataclass(frozen=True)
class EligibilityDecision:
    """The outcome, a plain-language summary, and every finding (blocking ones first)."""

    outcome: Outcome
    route: Route
    indication: Indication
    summary: str
    findings: tuple[Finding, ...]
    settings_in_force: Mapping[str, int | None]

    def _with(self, severity: Severity) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is severity)

    @property
    def contraindications(self) -> tuple[Finding, ...]:
        return self._with(Severity.CONTRAINDICATION)

    @property
    def missing(self) -> tuple[Finding, ...]:
        return self._with(Severity.MISSING)

    @property
    def cautions(self) -> tuple[Finding, ...]:
        return self._with(Severity.CAUTION)

    @property
    def info(self) -> tuple[Finding, ...]:
        return self._with(Severity.INFO)

    @property
    def rule_ids(self) -> frozenset[str]:
        return frozenset(f.rule_id for f in self.findings)

    def to_dict(self) -> dict[str, object]:
        """JSON-friendly: strings, numbers, booleans, lists and dicts only."""
        return {
            "outcome": str(self.outcome),
            "route": str(self.route),
            "indication": str(self.indication),
            "summary": self.summary,
            "findings": [f.to_dict() for f in self.findings],
            "settings_in_force": dict(self.settings_in_force),
        }


def evaluate(
    intake: IntakeFacts, *, route: Route | str, settings: EligibilitySettings | None = None
) -> EligibilityDecision:
    """Screen ``intake`` for ``route``: run every applicable rule and decide."""
    route = Route(route)
    settings = settings or EligibilitySettings()
    context = _context(intake, route, settings)
    findings: list[Finding] = []
    for rule in RULES:
        if not rule.applies(route, intake.indication):
            continue
        for hit in rule.check(context):
            findings.append(_finding(rule, hit, settings))
    findings.sort(key=lambda f: _ORDER[f.severity])  # stable: rule order within a severity
    outcome = _outcome(findings)
    return EligibilityDecision(
        outcome=outcome,
        route=route,
        indication=intake.indication,
        summary=_summary(outcome, route, findings),
        findings=tuple(findings),
        settings_in_force=MappingProxyType(dict(context.values)),
    )


def describe_rules(settings: EligibilitySettings | None = None) -> list[dict[str, object]]:
    """Every rule with its source, verification, severity and values in force (protocol page)."""
    return [rule.to_dict(settings) for rule in RULES]


def _context(intake: IntakeFacts, route: Route, settings: EligibilitySettings) -> _Context:
    by_class: dict[DrugClass, list[str]] = {}
    unclassified: list[tuple[int, str]] = []
    for index, medication in enumerate(intake.current_medications):
        classes = medication.classes
        if not classes:
            unclassified.append((index, medication.name))
        for drug_class in classes:
            by_class.setdefault(drug_class, []).append(medication.name)
    return _Context(
        intake=intake,
        route=route,
        values={key: settings.value(key) for key in PARAMETERS},
        medications_by_class={k: tuple(v) for k, v in by_class.items()},
        unclassified=tuple(unclassified),
    )


def _finding(rule: Rule, hit: _Hit, settings: EligibilitySettings) -> Finding:
    overridden_from: Severity | None = None
    if hit.kind == "ask":
        severity = Severity.MISSING
    elif hit.kind == "note":
        severity = Severity.INFO
    else:
        severity = settings.severity_for(rule)
        if severity is not rule.severity:
            overridden_from = rule.severity
    return Finding(
        rule_id=rule.rule_id,
        severity=severity,
        reason=hit.reason,
        resolution=hit.resolution,
        provenance=rule.provenance,
        routes=tuple(sorted(rule.routes)),
        indications=tuple(sorted(rule.indications)),
        needs=hit.needs,
        overridden_from=overridden_from,
    )


def _outcome(findings: list[Finding]) -> Outcome:
    severities = {f.severity for f in findings}
    if Severity.CONTRAINDICATION in severities:
        return Outcome.NOT_ELIGIBLE
    if Severity.MISSING in severities:
        return Outcome.NEEDS_INFORMATION
    if Severity.CAUTION in severities:
        return Outcome.ELIGIBLE_WITH_CAUTIONS
    return Outcome.ELIGIBLE


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _summary(outcome: Outcome, route: Route, findings: list[Finding]) -> str:
    label = ROUTE_LABELS[route]
    blocking = [f.reason for f in findings if f.severity is Severity.CONTRAINDICATION]
    missing = [f.reason for f in findings if f.severity is Severity.MISSING]
    cautions = [f.reason for f in findings if f.severity is Severity.CAUTION]
    if outcome is Outcome.ELIGIBLE:
        return f"Eligible for {label}: no contraindications or cautions in the answers given."
    if outcome is Outcome.ELIGIBLE_WITH_CAUTIONS:
        return (
            f"Eligible for {label} with {_count(len(cautions), 'caution')} needing a documented "
            f"risk-benefit decision: {' '.join(cautions)}"
        )
    tail = []
    if outcome is Outcome.NOT_ELIGIBLE and missing:
        tail.append(f"{_count(len(missing), 'question')} also unanswered.")
    if cautions:
        tail.append(f"{_count(len(cautions), 'caution')} to review.")
    if outcome is Outcome.NOT_ELIGIBLE:
        head = f"Not eligible for {label}: {' '.join(blocking)}"
    else:
        head = f"Needs information before {label} can be decided: {' '.join(missing)}"
    return " ".join([head, *tail])
