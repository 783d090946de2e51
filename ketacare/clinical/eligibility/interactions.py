"""Medication screening (reference §6.3): the list must be complete and every medication
classified, and each interaction class among the current medications is a finding with its
source. ``MEDICATION_RULES`` is this part of the rule table, in evaluation order."""

from __future__ import annotations

from collections.abc import Iterable

from ketacare.clinical.common import Answer, Provenance, Severity
from ketacare.clinical.eligibility.checks import ask, fire, unknown, yes
from ketacare.clinical.eligibility.model import (
    ALL_INDICATIONS,
    ALL_ROUTES,
    Context,
    Hit,
    Rule,
    make_rule,
)
from ketacare.clinical.intake import DrugClass


def medication_list(ctx: Context) -> Iterable[Hit]:
    if ctx.intake.medications_complete is not Answer.YES:
        yield ask(
            "medications_complete",
            resolution="Review the current medications with the patient, confirm the list is "
            "complete, and screen again.",
        )


def unclassified_medications(ctx: Context) -> Iterable[Hit]:
    for index, name in ctx.unclassified:
        yield ask(
            f"current_medications[{index}].drug_class",
            f"Medication '{name}' is not in the interaction table, so its interactions cannot be "
            "checked.",
            "Choose its drug class (or 'other' if it is in none of the interaction classes) and "
            "screen again.",
        )


def methylxanthine(ctx: Context) -> Iterable[Hit]:
    names = ctx.names(DrugClass.METHYLXANTHINE)
    if not names:
        return
    seizures = " The patient has a history of seizures." if yes(ctx.intake, "seizures") else ""
    yield fire(
        f"Current theophylline/aminophylline: {', '.join(names)}. Together with ketamine it "
        f"lowers the seizure threshold.{seizures}",
        "Prescriber to weigh the seizure risk and document the plan.",
    )
    if unknown(ctx.intake, "seizures"):
        yield ask("seizures")


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


def interaction_rule(
    drug_class: DrugClass,
    description: str,
    severity: Severity,
    provenance: Provenance,
    effect: str,
    resolution: str,
) -> Rule:
    def check(ctx: Context) -> Iterable[Hit]:
        names = ctx.names(drug_class)
        if names:
            yield fire(f"Current medication: {', '.join(names)}. {effect}", resolution)

    rule_id = f"interaction.{drug_class}"
    return Rule(rule_id, description, severity, ALL_ROUTES, ALL_INDICATIONS, provenance, check)


MEDICATION_RULES: tuple[Rule, ...] = (
    make_rule(
        "interaction.medication_list",
        "The current medication list must be confirmed complete",
        Severity.MISSING,
        ALL_ROUTES,
        Provenance(("S15",), note="the Spravato monitoring form asks about concomitant drugs"),
        medication_list,
    ),
    make_rule(
        "interaction.unclassified_medication",
        "Every current medication must be in a known interaction class (or 'other')",
        Severity.MISSING,
        ALL_ROUTES,
        Provenance(("§6.3",), verified=False, note="project drug table: intake.CLASS_MEMBERS"),
        unclassified_medications,
    ),
    *(interaction_rule(*row) for row in _INTERACTIONS),
    make_rule(
        "interaction.methylxanthine",
        "Theophylline / aminophylline: lower seizure threshold",
        Severity.CAUTION,
        ALL_ROUTES,
        Provenance(("S107",)),  # source: S107
        methylxanthine,
    ),
)
