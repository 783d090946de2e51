"""Eligibility screening: vignettes with expected outcomes and rule ids, settings, properties."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketacare.clinical.common import Answer, ClinicalRuleError, Severity
from ketacare.clinical.eligibility import (
    CONFIGURABLE_DEFAULTS,
    PARAMETERS,
    RULES,
    RULES_BY_ID,
    SEVERITY_DEFAULTS,
    EligibilityDecision,
    EligibilitySettings,
    Outcome,
    Route,
    default_rules,
    describe_rules,
    evaluate,
)
from ketacare.clinical.intake import (
    REASSURING_ANSWERS,
    RISK_CONDITIONS,
    AntidepressantTrial,
    DrugClass,
    Indication,
    IntakeFacts,
    Medication,
    TrialOutcome,
    classify_drug,
)

YES, NO, UNKNOWN = Answer.YES, Answer.NO, Answer.UNKNOWN
IV, IM, SL, ESK = (
    Route.RACEMIC_IV,
    Route.RACEMIC_IM,
    Route.RACEMIC_SUBLINGUAL,
    Route.ESKETAMINE_NASAL,
)
TRD_KEY = "trd.required_adequate_trials"
TRD2 = EligibilitySettings(values={TRD_KEY: 2})


# Most permissive first: a change "never more permissive" never moves to a lower index.
PERMISSIVENESS = (
    Outcome.ELIGIBLE,
    Outcome.ELIGIBLE_WITH_CAUTIONS,
    Outcome.NEEDS_INFORMATION,
    Outcome.NOT_ELIGIBLE,
)


def failed_trial(drug: str, **changes: Any) -> AntidepressantTrial:
    values: dict[str, Any] = {
        "drug": drug,
        "dose_mg": 100.0,
        "weeks": 8.0,
        "adequate": YES,
        "outcome": TrialOutcome.NO_RESPONSE,
        "current_episode": YES,
    }
    return AntidepressantTrial(**(values | changes))


def healthy(**changes: Any) -> IntakeFacts:
    """A 40-year-old woman with TRD (2 failed trials), every question answered, BP 122/78."""
    values: dict[str, Any] = {name: NO for name in RISK_CONDITIONS}
    values |= {name: YES for name in REASSURING_ANSWERS}
    values["pregnancy_possible"] = UNKNOWN  # not asked: "pregnant: no" answers it
    values |= {
        "indication": Indication.DEPRESSION,
        "age_years": 40,
        "sex": "female",
        "systolic_mmhg": 122,
        "diastolic_mmhg": 78,
        "heart_rate_bpm": 72,
        "diagnoses": ("F33.2",),
        "current_medications": (Medication(name="Sertraline", dose_text="100 mg daily"),),
        "antidepressant_trials": (
            failed_trial("sertraline"),
            failed_trial("venlafaxine", outcome=TrialOutcome.PARTIAL),
        ),
    }
    return IntakeFacts(**(values | changes))


def blocking(decision: EligibilityDecision) -> set[str]:
    """Rule ids of the findings that weigh on the outcome (everything but INFO)."""
    return {f.rule_id for f in decision.findings if f.severity is not Severity.INFO}


@dataclass(frozen=True)
class Vignette:
    name: str
    intake: IntakeFacts
    route: Route
    outcome: Outcome
    rule_ids: frozenset[str]
    settings: EligibilitySettings = TRD2


def v(name: str, intake: IntakeFacts, route: Route, outcome: Outcome, *ids: str, **kw: Any):
    return Vignette(name, intake, route, outcome, frozenset(ids), **kw)


E, EC, NI, NE = (
    Outcome.ELIGIBLE,
    Outcome.ELIGIBLE_WITH_CAUTIONS,
    Outcome.NEEDS_INFORMATION,
    Outcome.NOT_ELIGIBLE,
)
SERTRALINE = Medication(name="sertraline")

VIGNETTES = (
    v("healthy TRD patient on IV", healthy(), IV, E),
    v("healthy TRD patient on esketamine", healthy(), ESK, E),
    v("healthy TRD patient on IM", healthy(), IM, E),
    v(
        "uncontrolled hypertension 162/98",
        healthy(hypertension=YES, hypertension_controlled=NO, systolic_mmhg=162, diastolic_mmhg=98),
        IV,
        NE,
        "bp.uncontrolled_hypertension",
    ),
    v(
        "same patient with controlled BP",
        healthy(
            hypertension=YES, hypertension_controlled=YES, systolic_mmhg=132, diastolic_mmhg=84
        ),
        IV,
        E,
    ),
    v("reading exactly 140/90 is not above", healthy(systolic_mmhg=140, diastolic_mmhg=90), IV, E),
    v(
        "diastolic alone above the limit",
        healthy(systolic_mmhg=138, diastolic_mmhg=92),
        ESK,
        NE,
        "bp.uncontrolled_hypertension",
    ),
    v(
        "hypertension status unknown",
        healthy(hypertension=UNKNOWN),
        IV,
        NI,
        "bp.uncontrolled_hypertension",
    ),
    v(
        "no blood pressure reading",
        healthy(systolic_mmhg=None, diastolic_mmhg=None),
        IV,
        NI,
        "bp.uncontrolled_hypertension",
    ),
    v("AVM on esketamine", healthy(arteriovenous_malformation=YES), ESK, NE, "esk.aneurysm"),
    v("AVM on IV", healthy(arteriovenous_malformation=YES), IV, EC, "racemic.aneurysm"),
    v("aneurysm on esketamine", healthy(aneurysmal_vascular_disease=YES), ESK, NE, "esk.aneurysm"),
    v(
        "brain haemorrhage on esketamine",
        healthy(intracerebral_haemorrhage=YES),
        ESK,
        NE,
        "esk.intracerebral_haemorrhage",
    ),
    v(
        "brain haemorrhage on IV",
        healthy(intracerebral_haemorrhage=YES),
        IV,
        EC,
        "racemic.intracerebral_haemorrhage",
    ),
    v(
        "unknown pregnancy in a woman of 30",
        healthy(age_years=30, pregnant=UNKNOWN, pregnancy_possible=UNKNOWN),
        IV,
        NI,
        "racemic.pregnancy",
    ),
    v(
        "unknown pregnancy, pregnancy not possible",
        healthy(pregnant=UNKNOWN, pregnancy_possible=NO),
        IV,
        E,
    ),
    v(
        "unknown pregnancy in a man",
        healthy(sex="male", pregnant=UNKNOWN, breastfeeding=UNKNOWN),
        ESK,
        E,
    ),
    v("pregnant on IV", healthy(pregnant=YES), IV, NE, "racemic.pregnancy"),
    v("pregnant on esketamine", healthy(pregnant=YES), ESK, NE, "esk.pregnancy"),
    v("breastfeeding on esketamine", healthy(breastfeeding=YES), ESK, NE, "esk.breastfeeding"),
    v("breastfeeding on IV", healthy(breastfeeding=YES), IV, EC, "racemic.breastfeeding"),
    v("teenager on esketamine", healthy(age_years=16), ESK, NE, "esk.age"),
    v("teenager on IV", healthy(age_years=16), IV, EC, "racemic.age"),
    v("age unknown on esketamine", healthy(age_years=None), ESK, NI, "esk.age"),
    v(
        "benzodiazepine and lamotrigine",
        healthy(
            current_medications=(
                SERTRALINE,
                Medication(name="Lorazepam", dose_text="1 mg at night"),
                Medication(name="LAMOTRIGINE", dose_text="200 mg"),
            )
        ),
        IV,
        EC,
        "interaction.benzodiazepine",
        "interaction.lamotrigine",
    ),
    v(
        "opioid and z-drug on esketamine",
        healthy(
            current_medications=(
                SERTRALINE,
                Medication(name="oxycodone"),
                Medication(name="Zolpidem"),
            )
        ),
        ESK,
        EC,
        "interaction.opioid",
        "interaction.z_drug",
    ),
    v(
        "MAOI and stimulant",
        healthy(current_medications=(Medication(name="phenelzine"), Medication(name="modafinil"))),
        IV,
        EC,
        "interaction.maoi",
        "interaction.psychostimulant",
    ),
    v(
        "lithium and antidepressant: no interaction finding",
        healthy(current_medications=(SERTRALINE, Medication(name="lithium carbonate"))),
        IV,
        E,
    ),
    v(
        "theophylline with seizures",
        healthy(current_medications=(SERTRALINE, Medication(name="theophylline")), seizures=YES),
        IV,
        EC,
        "interaction.methylxanthine",
    ),
    v(
        "theophylline, seizure history unknown",
        healthy(
            current_medications=(SERTRALINE, Medication(name="aminophylline")), seizures=UNKNOWN
        ),
        IV,
        NI,
        "interaction.methylxanthine",
    ),
    v("seizures without theophylline", healthy(seizures=YES), IV, E),
    v(
        "unrecognised medication",
        healthy(current_medications=(SERTRALINE, Medication(name="levothyroxine"))),
        IV,
        NI,
        "interaction.unclassified_medication",
    ),
    v(
        "unrecognised medication classed 'other' by the clinician",
        healthy(
            current_medications=(
                SERTRALINE,
                Medication(name="levothyroxine", drug_class=DrugClass.OTHER),
            )
        ),
        IV,
        E,
    ),
    v(
        "medication list not confirmed",
        healthy(medications_complete=UNKNOWN),
        IV,
        NI,
        "interaction.medication_list",
    ),
    v(
        "active alcohol use disorder",
        healthy(alcohol_use_disorder=YES),
        IV,
        NE,
        "substance.active_use",
    ),
    v("active drug use", healthy(substance_use_active=YES), SL, NE, "substance.active_use"),
    v(
        "past substance use disorder",
        healthy(substance_use_history=YES),
        IV,
        EC,
        "substance.history",
    ),
    v(
        "CRPS patient without antidepressant trials, IV",
        healthy(
            indication=Indication.CHRONIC_PAIN_CRPS,
            antidepressant_trials=(),
            antidepressant_history_complete=UNKNOWN,
            current_medications=(),
            diagnoses=("G90.50",),
        ),
        IV,
        E,
        settings=EligibilitySettings(),  # the TRD setting plays no part for CRPS
    ),
    v(
        "CRPS on sublingual",
        healthy(indication=Indication.CHRONIC_PAIN_CRPS, antidepressant_trials=()),
        SL,
        EC,
        "indication.crps_non_iv",
    ),
    v(
        "CRPS on esketamine is outside the label",
        healthy(indication=Indication.CHRONIC_PAIN_CRPS),
        ESK,
        NE,
        "esk.indication_outside_label",
    ),
    v(
        "PTSD on IV: off-label, limited evidence",
        healthy(indication=Indication.PTSD),
        IV,
        EC,
        "indication.limited_evidence",
    ),
    v(
        "PTSD on esketamine",
        healthy(indication=Indication.PTSD),
        ESK,
        NE,
        "esk.indication_outside_label",
    ),
    v(
        "bipolar depression with mania history on IV",
        healthy(indication=Indication.BIPOLAR_DEPRESSION, mania_history=YES, diagnoses=("F31.4",)),
        IV,
        EC,
        "indication.bipolar_depression",
        "mania.history",
    ),
    v(
        "psychosis diagnosis coded though the history says no",
        healthy(diagnoses=("F33.2", "F20.9")),
        IV,
        EC,
        "psychosis.history",
    ),
    v(
        "suicidal ideation on esketamine with an oral antidepressant",
        healthy(indication=Indication.SUICIDAL_IDEATION, antidepressant_trials=()),
        ESK,
        E,
    ),
    v(
        "suicidal ideation on esketamine without an oral antidepressant",
        healthy(indication=Indication.SUICIDAL_IDEATION, current_medications=()),
        ESK,
        NE,
        "esk.mdsi_oral_antidepressant",
    ),
    v(
        "TRD number not set by the clinic",
        healthy(),
        IV,
        NI,
        "trd.adequate_trials",
        settings=EligibilitySettings(),
    ),
    v(
        "one failed trial where the clinic requires two, IV",
        healthy(antidepressant_trials=(failed_trial("sertraline"),)),
        IV,
        EC,
        "trd.adequate_trials",
    ),
    v(
        "one failed trial where the clinic requires two, esketamine",
        healthy(antidepressant_trials=(failed_trial("sertraline"),)),
        ESK,
        NE,
        "esk.trd_indication",
    ),
    v(
        "second trial's adequacy unknown",
        healthy(
            antidepressant_trials=(
                failed_trial("sertraline"),
                failed_trial("bupropion", adequate=UNKNOWN),
            )
        ),
        IV,
        NI,
        "trd.adequate_trials",
    ),
    v(
        "trials from an earlier episode and an intolerance do not count",
        healthy(
            antidepressant_trials=(
                failed_trial("sertraline"),
                failed_trial("citalopram", current_episode=NO),
                failed_trial("duloxetine", outcome=TrialOutcome.INTOLERANCE),
            )
        ),
        IV,
        EC,
        "trd.adequate_trials",
    ),
    v(
        "one failed trial, history not confirmed complete",
        healthy(
            antidepressant_trials=(failed_trial("sertraline"),),
            antidepressant_history_complete=UNKNOWN,
        ),
        IV,
        NI,
        "trd.adequate_trials",
    ),
    v(
        "severe liver disease on IV",
        healthy(liver_disease=YES, severe_liver_disease=YES),
        IV,
        NE,
        "racemic.severe_liver_disease",
    ),
    v(
        "severe liver disease on esketamine",
        healthy(liver_disease=YES, severe_liver_disease=YES),
        ESK,
        NE,
        "esk.severe_liver_disease",
    ),
    v(
        "liver disease, not severe",
        healthy(liver_disease=YES),
        IV,
        EC,
        "racemic.moderate_liver_disease",
    ),
    v(
        "liver disease of unknown severity",
        healthy(liver_disease=YES, severe_liver_disease=UNKNOWN),
        ESK,
        NI,
        "esk.moderate_liver_disease",
        "esk.severe_liver_disease",
    ),
    v("urinary symptoms", healthy(urinary_symptoms=YES), ESK, EC, "urinary.symptoms"),
    v(
        "unstable cardiovascular disease",
        healthy(cardiovascular_disease=YES, unstable_cardiovascular_disease=YES),
        IV,
        NE,
        "cardiovascular.unstable",
    ),
    v("stable cardiovascular disease", healthy(cardiovascular_disease=YES), IV, E),
    v(
        "cardiovascular disease, stability unknown",
        healthy(cardiovascular_disease=YES, unstable_cardiovascular_disease=UNKNOWN),
        IV,
        NI,
        "cardiovascular.unstable",
    ),
    v(
        "raised intracranial pressure",
        healthy(raised_intracranial_pressure=YES),
        IV,
        NE,
        "pressure.intracranial",
    ),
    v("glaucoma", healthy(raised_intraocular_pressure=YES), ESK, NE, "pressure.intraocular"),
    v(
        "ketamine hypersensitivity on IV",
        healthy(ketamine_hypersensitivity=YES),
        IV,
        NE,
        "hypersensitivity",
    ),
    v(
        "clinic lowers uncontrolled hypertension to a caution",
        healthy(systolic_mmhg=162, diastolic_mmhg=98),
        IV,
        EC,
        "bp.uncontrolled_hypertension",
        settings=EligibilitySettings(
            values={TRD_KEY: 2}, severities={"bp.uncontrolled_hypertension": Severity.CAUTION}
        ),
    ),
    v(
        "clinic raises a stricter BP limit",
        healthy(systolic_mmhg=134, diastolic_mmhg=82),
        IV,
        NE,
        "bp.uncontrolled_hypertension",
        settings=EligibilitySettings(
            values={
                TRD_KEY: 2,
                "bp.pre_treatment_systolic_max_mmhg": 130,
                "bp.pre_treatment_diastolic_max_mmhg": 80,
            }
        ),
    ),
    v(
        "clinic raises psychosis history to a contraindication",
        healthy(psychosis_history=YES),
        IV,
        NE,
        "psychosis.history",
        settings=EligibilitySettings(
            values={TRD_KEY: 2}, severities={"psychosis.history": "contraindication"}
        ),
    ),
)


@pytest.mark.parametrize("case", VIGNETTES, ids=lambda case: case.name)
def test_vignette(case: Vignette) -> None:
    decision = evaluate(case.intake, route=case.route, settings=case.settings)
    assert (decision.outcome, blocking(decision)) == (case.outcome, case.rule_ids), [
        (f.rule_id, str(f.severity), f.reason) for f in decision.findings
    ]


def test_there_are_enough_vignettes() -> None:
    assert len(VIGNETTES) >= 25


def test_uncontrolled_hypertension_reason_names_the_reading_and_limit() -> None:
    intake = healthy(
        hypertension=YES, hypertension_controlled=NO, systolic_mmhg=162, diastolic_mmhg=98
    )
    decision = evaluate(intake, route=IV, settings=TRD2)
    (finding,) = decision.contraindications
    assert "Blood pressure 162/98 mmHg is above 140/90 mmHg" in finding.reason
    assert "not controlled" in finding.reason
    assert finding.resolution.startswith("Treat and recheck blood pressure")
    assert finding.provenance.verified is False
    assert "S14" in finding.provenance.sources
    assert "162/98 mmHg" in decision.summary
    assert decision.summary.startswith("Not eligible for IV ketamine infusion")


def test_bp_brought_under_control_and_re_entered_becomes_eligible() -> None:
    blocked = healthy(
        hypertension=YES, hypertension_controlled=NO, systolic_mmhg=162, diastolic_mmhg=98
    )
    treated = replace(blocked, hypertension_controlled=YES, systolic_mmhg=128, diastolic_mmhg=80)
    assert evaluate(blocked, route=IV, settings=TRD2).outcome is Outcome.NOT_ELIGIBLE
    after = evaluate(treated, route=IV, settings=TRD2)
    assert after.outcome is Outcome.ELIGIBLE
    assert "bp.controlled_hypertension" in after.rule_ids  # INFO: higher peaks expected (S94)


def test_downgraded_finding_records_the_clinic_override() -> None:
    custom = EligibilitySettings(
        values={TRD_KEY: 2}, severities={"bp.uncontrolled_hypertension": Severity.CAUTION}
    )
    decision = evaluate(healthy(systolic_mmhg=150, diastolic_mmhg=88), route=IV, settings=custom)
    (finding,) = decision.cautions
    assert finding.overridden_from is Severity.CONTRAINDICATION


@pytest.mark.parametrize(
    "rule_id",
    ["esk.aneurysm", "esk.intracerebral_haemorrhage", "hypersensitivity"],
)
def test_an_esketamine_label_contraindication_cannot_be_lowered(rule_id: str) -> None:
    with pytest.raises(ClinicalRuleError, match="label contraindication"):
        EligibilitySettings(severities={rule_id: Severity.CAUTION})


@pytest.mark.parametrize(
    "rule_id", ["racemic.severe_liver_disease", "esk.age", "esk.pregnancy", "esk.trd_indication"]
)
def test_a_contraindication_the_reference_does_not_call_relative_cannot_be_lowered(
    rule_id: str,
) -> None:
    with pytest.raises(ClinicalRuleError, match="relative"):
        EligibilitySettings(severities={rule_id: Severity.CAUTION})


@pytest.mark.parametrize(
    ("severities", "message"),
    [
        ({"bp.uncontrolled_hypertension": Severity.INFO}, "caution' or 'contraindication"),
        ({"interaction.medication_list": Severity.CAUTION}, "only asks"),
        ({"no.such.rule": Severity.CAUTION}, "Unknown eligibility rule"),
    ],
)
def test_other_severity_changes_are_refused(severities: dict[str, Any], message: str) -> None:
    with pytest.raises(ClinicalRuleError, match=message):
        EligibilitySettings(severities=severities)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"bp.pre_treatment_systolic_max_mmhg": 200}, "above the safe maximum 180"),
        ({"bp.pre_treatment_diastolic_max_mmhg": 110}, "above the safe maximum 100"),
        ({TRD_KEY: 0}, "positive whole number"),
        ({TRD_KEY: 1.5}, "positive whole number"),
        ({TRD_KEY: True}, "positive whole number"),
        ({"bp.pre_treatment_systolic_max_mmhg": -5}, "positive whole number"),
        ({"trd.trials": 2}, "Unknown eligibility setting"),
    ],
)
def test_settings_out_of_safe_bounds_are_rejected(values: dict[str, Any], message: str) -> None:
    with pytest.raises(ClinicalRuleError, match=message):
        EligibilitySettings(values=values)


def test_the_trd_number_is_a_required_setting_with_no_default() -> None:
    assert PARAMETERS[TRD_KEY].value is None
    assert [p.key for p in EligibilitySettings().unset_required()] == [TRD_KEY]
    decision = evaluate(healthy(), route=IV)
    (finding,) = decision.missing
    assert finding.needs == f"setting:{TRD_KEY}"
    assert "clinic has not set the number of adequate antidepressant trials" in finding.reason


def test_missing_findings_name_the_question() -> None:
    decision = evaluate(healthy(pregnant=UNKNOWN, seizures=UNKNOWN), route=IV, settings=TRD2)
    (finding,) = decision.missing
    assert finding.needs == "pregnant"
    assert "pregnant" in finding.reason
    assert "Needs information" in decision.summary


def test_an_intake_with_nothing_answered_needs_information_for_every_question() -> None:
    decision = evaluate(IntakeFacts(indication="depression"), route="iv", settings=TRD2)
    assert decision.outcome is Outcome.NEEDS_INFORMATION
    needs = {f.needs for f in decision.missing}
    assert {"hypertension", "pregnant", "ketamine_hypersensitivity", "age_years"} <= needs
    assert {"systolic_mmhg", "medications_complete", "urinary_symptoms"} <= needs


# Asked only when another answer makes them matter (tested in the vignettes above).
GATED = {
    "cardiovascular_disease": "asked only if unstable disease is unknown",
    "unstable_cardiovascular_disease": "asked only if there is cardiovascular disease",
    "severe_liver_disease": "asked only if there is liver disease",
    "seizures": "asked only with theophylline/aminophylline",
    "pregnancy_possible": "answers pregnancy when pregnancy itself is unknown",
}


@pytest.mark.parametrize("route", [IV, ESK])
@pytest.mark.parametrize("condition", [c for c in RISK_CONDITIONS if c not in GATED])
def test_an_unknown_answer_is_asked_for_never_read_as_no(condition: str, route: Route) -> None:
    decision = evaluate(healthy(**{condition: UNKNOWN}), route=route, settings=TRD2)
    assert decision.outcome is Outcome.NEEDS_INFORMATION
    assert condition in {f.needs for f in decision.missing}


def test_unclassified_medication_names_its_index() -> None:
    intake = healthy(current_medications=(SERTRALINE, Medication(name="atorvastatin")))
    (finding,) = evaluate(intake, route=IV, settings=TRD2).missing
    assert finding.needs == "current_medications[1].drug_class"
    assert "atorvastatin" in finding.reason


def test_trial_with_unknown_details_names_what_is_missing() -> None:
    trials = (failed_trial("sertraline"), failed_trial("bupropion", adequate=UNKNOWN))
    (finding,) = evaluate(healthy(antidepressant_trials=trials), route=IV, settings=TRD2).missing
    assert finding.needs == "antidepressant_trials[1]"
    assert "bupropion: adequacy not recorded" in finding.reason


def test_route_accepts_short_racemic_names() -> None:
    assert Route("iv") is Route.RACEMIC_IV
    assert Route("sublingual") is Route.RACEMIC_SUBLINGUAL
    assert Route("esketamine_nasal") is Route.ESKETAMINE_NASAL
    with pytest.raises(ValueError):
        Route("intranasal")


def test_decision_carries_the_findings_with_their_sources_and_the_settings_in_force() -> None:
    intake = healthy(systolic_mmhg=162, diastolic_mmhg=98, current_medications=(SERTRALINE,))
    decision = evaluate(intake, route=ESK, settings=TRD2)
    assert decision.outcome is Outcome.NOT_ELIGIBLE
    (first,) = decision.contraindications
    assert first.rule_id == "bp.uncontrolled_hypertension"
    assert first.provenance.verified is False
    assert decision.settings_in_force[TRD_KEY] == 2


def test_protocol_page_lists_every_rule_with_source_and_values() -> None:
    rows = describe_rules(TRD2)
    assert [row.rule.rule_id for row in rows] == [rule.rule_id for rule in default_rules()]
    by_id = {row.rule.rule_id: row for row in rows}
    bp = by_id["bp.uncontrolled_hypertension"]
    assert bp.rule.clinic_may_lower_to_caution is True
    assert [(p.parameter.key, p.parameter.value, p.parameter.maximum) for p in bp.parameters] == [
        ("bp.pre_treatment_systolic_max_mmhg", 140, 180),
        ("bp.pre_treatment_diastolic_max_mmhg", 90, 100),
    ]
    (trd,) = by_id["trd.adequate_trials"].parameters
    assert (trd.parameter.value, trd.value_in_force) == (None, 2)
    assert by_id["esk.aneurysm"].rule.label is True
    assert by_id["esk.aneurysm"].rule.clinic_may_lower_to_caution is False
    lowered = EligibilitySettings(
        values={TRD_KEY: 2}, severities={"bp.uncontrolled_hypertension": Severity.CAUTION}
    )
    in_force = {row.rule.rule_id: row.severity_in_force for row in describe_rules(lowered)}
    assert in_force["bp.uncontrolled_hypertension"] is Severity.CAUTION
    assert in_force["hypersensitivity"] is Severity.CONTRAINDICATION


def test_every_setting_a_clinic_may_change_is_a_configurable_default_declared_once() -> None:
    keys = [default.key for default in CONFIGURABLE_DEFAULTS]
    assert len(keys) == len(set(keys))
    assert set(PARAMETERS) <= set(keys)
    severity_keys = {k.removeprefix("severity.") for k in keys if k.startswith("severity.")}
    # every rule a clinic may re-grade, and no other: questions and absolute contraindications
    assert severity_keys == {
        rule.rule_id
        for rule in RULES
        if rule.severity in (Severity.CAUTION, Severity.INFO)
        or (rule.severity is Severity.CONTRAINDICATION and rule.relative and not rule.label)
    }
    assert "severity.hypersensitivity" not in keys and "severity.esk.aneurysm" not in keys


def test_each_offered_severity_is_accepted_and_no_other() -> None:
    for default in SEVERITY_DEFAULTS:
        rule_id = default.key.removeprefix("severity.")
        assert default.value == str(RULES_BY_ID[rule_id].severity)  # the default is offered first
        assert default.choices[0] == default.value
        for severity in Severity:
            change = {rule_id: severity}
            if severity.value in default.choices:
                assert EligibilitySettings(severities=change).severities[rule_id] is severity
            else:
                with pytest.raises(ClinicalRuleError):
                    EligibilitySettings(severities=change)


def test_every_rule_cites_a_source_and_unverified_ones_say_so() -> None:
    for rule in RULES:
        assert rule.provenance.sources, rule.rule_id
        assert all(s.startswith(("S", "§")) for s in rule.provenance.sources), rule.rule_id
    unverified = {r.rule_id for r in RULES if not r.provenance.verified}
    assert {"bp.uncontrolled_hypertension", "racemic.aneurysm", "mania.history"} <= unverified
    assert {"esk.aneurysm", "esk.age", "pressure.intracranial"}.isdisjoint(unverified)


def test_esketamine_label_rules_are_locked() -> None:
    locked = {r.rule_id for r in RULES if r.label}
    assert locked == {"esk.aneurysm", "esk.intracerebral_haemorrhage", "hypersensitivity"}
    assert not any(r.relative for r in RULES if r.label)


# --- intake -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Lorazepam 1 mg", {DrugClass.BENZODIAZEPINE}),
        ("ZOLPIDEM", {DrugClass.Z_DRUG}),
        ("dextroamphetamine-amphetamine", {DrugClass.PSYCHOSTIMULANT}),
        ("St John's Wort", {DrugClass.CYP_INDUCER}),
        ("phenobarbital", {DrugClass.CNS_DEPRESSANT, DrugClass.CYP_INDUCER}),
        ("phenelzine", {DrugClass.MAOI, DrugClass.ANTIDEPRESSANT}),
        ("levothyroxine", set()),
        ("methadonex", set()),
    ],
)
def test_drug_names_are_classified_case_insensitively_on_whole_words(
    name: str, expected: set[DrugClass]
) -> None:
    assert classify_drug(name) == expected


def test_intake_parses_answers_and_codes() -> None:
    facts = IntakeFacts(
        indication="ptsd",
        pregnant=False,
        seizures=None,
        psychosis_history="YES",
        diagnoses=("f431",),
    )
    assert (facts.pregnant, facts.seizures, facts.psychosis_history) == (NO, UNKNOWN, YES)
    assert facts.diagnoses == ("F43.1",)
    assert facts.indication is Indication.PTSD


@pytest.mark.parametrize(
    "changes",
    [
        {"systolic_mmhg": 80, "diastolic_mmhg": 120},
        {"diastolic_mmhg": None},
        {"diagnoses": ("depression",)},
        {"sex": "other"},
        {"age_years": -1},
        {"indication": "insomnia"},
    ],
)
def test_intake_refuses_impossible_values(changes: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        healthy(**changes)


# --- properties -------------------------------------------------------------------------------

MEDICATION_NAMES = (
    "sertraline", "lorazepam", "lamotrigine", "phenelzine", "methylphenidate", "oxycodone",
    "gabapentin", "theophylline", "pseudoephedrine", "ketoconazole", "carbamazepine",
    "clozapine", "naltrexone", "lithium", "levothyroxine",
)  # fmt: skip


DIAGNOSES = ("F33.2", "F31.4", "F20.9", "G90.50")


@st.composite
def intakes(draw: st.DrawFn) -> IntakeFacts:
    answers = st.sampled_from(list(Answer))
    values: dict[str, Any] = {name: draw(answers) for name in RISK_CONDITIONS + REASSURING_ANSWERS}
    bp = draw(st.none() | st.tuples(st.integers(90, 200), st.integers(50, 85)))
    trials = draw(
        st.lists(
            st.builds(
                AntidepressantTrial,
                drug=st.sampled_from(("sertraline", "bupropion", "venlafaxine")),
                adequate=answers,
                outcome=st.sampled_from(list(TrialOutcome)),
                current_episode=answers,
            ),
            max_size=3,
        )
    )
    names = draw(st.lists(st.sampled_from(MEDICATION_NAMES), max_size=3, unique=True))
    return IntakeFacts(
        indication=draw(st.sampled_from(list(Indication))),
        age_years=draw(st.none() | st.integers(12, 90)),
        sex=draw(st.sampled_from((None, "female", "male"))),
        diagnoses=tuple(draw(st.lists(st.sampled_from(DIAGNOSES), max_size=2))),
        current_medications=tuple(Medication(name=n) for n in names),
        antidepressant_trials=tuple(trials),
        systolic_mmhg=None if bp is None else bp[0],
        diastolic_mmhg=None if bp is None else bp[1],
        **values,
    )


@st.composite
def near_eligible(draw: st.DrawFn) -> IntakeFacts:
    """A fully answered intake with a few changes: where a permissive slip would show."""
    answers = st.sampled_from(list(Answer))
    changed = draw(st.lists(st.sampled_from(RISK_CONDITIONS + REASSURING_ANSWERS), max_size=3))
    bp = draw(st.tuples(st.integers(100, 170), st.integers(60, 99)))
    names = draw(st.lists(st.sampled_from(MEDICATION_NAMES), max_size=2, unique=True))
    return healthy(
        indication=draw(st.sampled_from(list(Indication))),
        age_years=draw(st.sampled_from((None, 16, 40, 70))),
        sex=draw(st.sampled_from((None, "female", "male"))),
        diagnoses=tuple(draw(st.lists(st.sampled_from(DIAGNOSES), max_size=1))),
        current_medications=(SERTRALINE, *(Medication(name=n) for n in names)),
        systolic_mmhg=bp[0],
        diastolic_mmhg=bp[1],
        **{name: draw(answers) for name in changed},
    )


any_intake = near_eligible() | intakes()

clinic_settings = st.builds(
    lambda trd, lower_bp: EligibilitySettings(
        values={TRD_KEY: trd},
        severities={"bp.uncontrolled_hypertension": Severity.CAUTION} if lower_bp else {},
    ),
    st.none() | st.integers(1, 3),
    st.booleans(),
)


def rank(intake: IntakeFacts, route: Route, clinic: EligibilitySettings) -> int:
    return PERMISSIVENESS.index(evaluate(intake, route=route, settings=clinic).outcome)


@settings(max_examples=400, derandomize=True, deadline=None)
@given(any_intake, st.sampled_from(list(Route)), clinic_settings, st.sampled_from(RISK_CONDITIONS))
def test_a_risk_answer_turned_from_no_never_makes_the_outcome_more_permissive(
    intake: IntakeFacts, route: Route, clinic: EligibilitySettings, condition: str
) -> None:
    base = replace(intake, **{condition: NO})
    before = rank(base, route, clinic)
    assert rank(replace(base, **{condition: UNKNOWN}), route, clinic) >= before
    assert rank(replace(base, **{condition: YES}), route, clinic) >= before


@settings(max_examples=200, derandomize=True, deadline=None)
@given(
    intakes(), st.sampled_from(list(Route)), clinic_settings, st.sampled_from(REASSURING_ANSWERS)
)
def test_a_reassuring_answer_turned_from_yes_never_makes_the_outcome_more_permissive(
    intake: IntakeFacts, route: Route, clinic: EligibilitySettings, answer: str
) -> None:
    base = replace(intake, **{answer: YES})
    before = rank(base, route, clinic)
    assert rank(replace(base, **{answer: UNKNOWN}), route, clinic) >= before
    assert rank(replace(base, **{answer: NO}), route, clinic) >= before


@settings(max_examples=200, derandomize=True, deadline=None)
@given(any_intake, st.sampled_from(list(Route)), clinic_settings)
def test_outcome_follows_the_precedence_and_every_finding_is_explained(
    intake: IntakeFacts, route: Route, clinic: EligibilitySettings
) -> None:
    decision = evaluate(intake, route=route, settings=clinic)
    severities = {f.severity for f in decision.findings}
    if Severity.CONTRAINDICATION in severities:
        assert decision.outcome is Outcome.NOT_ELIGIBLE
    elif Severity.MISSING in severities:
        assert decision.outcome is Outcome.NEEDS_INFORMATION
    elif Severity.CAUTION in severities:
        assert decision.outcome is Outcome.ELIGIBLE_WITH_CAUTIONS
    else:
        assert decision.outcome is Outcome.ELIGIBLE
    for finding in decision.findings:
        assert finding.reason and finding.provenance.sources
        assert route in finding.routes and intake.indication in finding.indications
        assert bool(finding.needs) == (finding.severity is Severity.MISSING)
        if finding.severity in (Severity.CONTRAINDICATION, Severity.MISSING, Severity.CAUTION):
            assert finding.resolution
    assert isinstance(hash(decision.findings), int)  # frozen values; the web layer serialises
