"""The screening rule table: every contraindication, caution and question, in evaluation order.

Each rule names the routes and indications it applies to, how much it weighs when it fires, whether
the reference calls it relative (a clinic may lower it to a caution) or an esketamine label
contraindication (never lowered), and its source tags (``shared/clinical-reference.md``). The
checks are in ``checks``; the medication rules are in ``interactions``.
"""

from __future__ import annotations

from ketacare.clinical.common import Provenance, Route, Severity
from ketacare.clinical.eligibility.checks import (
    age_at_least,
    always,
    blood_pressure,
    breastfeeding,
    controlled_hypertension,
    fire,
    mdsi_antidepressant,
    note,
    other_liver,
    outside_label,
    pregnancy,
    severe_liver,
    substance_active,
    substance_history,
    trd_trials,
    unstable_cardiovascular,
    when_any_yes,
    when_yes,
)
from ketacare.clinical.eligibility.interactions import MEDICATION_RULES
from ketacare.clinical.eligibility.model import (
    ALL_INDICATIONS,
    ALL_ROUTES,
    ESKETAMINE,
    ESKETAMINE_LABELLED,
    RACEMIC,
    TRD_INDICATIONS,
    Rule,
    make_rule,
)
from ketacare.clinical.eligibility.parameters import (
    BP_DIASTOLIC_LIMIT,
    BP_PROVENANCE,
    BP_SYSTOLIC_LIMIT,
    TRD_REQUIRED_TRIALS,
)
from ketacare.clinical.intake import Indication

ESKETAMINE_MINIMUM_AGE_YEARS = 18  # not approved under 18. source: S49, S50

_NOT_FOR_ESKETAMINE = (
    "Esketamine cannot be given; consider another treatment, or correct the record."
)
_RISK_BENEFIT = "Document the risk-benefit decision and the monitoring plan."
_UNVERIFIED_EXTRAPOLATION = "applied to racemic ketamine by analogy: the reference is silent"
_OFF_LABEL = ALL_INDICATIONS - ESKETAMINE_LABELLED

_CI, _CAUTION, _INFO = Severity.CONTRAINDICATION, Severity.CAUTION, Severity.INFO

RULES: tuple[Rule, ...] = (
    # --- every route ---------------------------------------------------------------------------
    make_rule(
        "hypersensitivity",
        "Hypersensitivity to ketamine or esketamine",
        _CI,
        ALL_ROUTES,
        # source: S50 (Spravato contraindication: esketamine, ketamine or excipients)
        Provenance(("S50",), note="same drug for racemic routes"),
        when_yes(
            "ketamine_hypersensitivity",
            "Hypersensitivity to ketamine or esketamine is recorded",
            "Do not give ketamine or esketamine; if the record is wrong, correct it.",
        ),
        label=True,
    ),
    make_rule(
        "bp.uncontrolled_hypertension",
        "Uncontrolled hypertension, or pre-treatment blood pressure above the limit",
        _CI,
        ALL_ROUTES,
        BP_PROVENANCE,  # source: S14, §2
        blood_pressure,
        relative=True,  # §2 APA: relative contraindication [memory, verify]
        parameters=(BP_SYSTOLIC_LIMIT.key, BP_DIASTOLIC_LIMIT.key),
    ),
    make_rule(
        "bp.controlled_hypertension",
        "Controlled hypertension: expect higher blood-pressure peaks",
        _INFO,
        ALL_ROUTES,
        Provenance(("S94",)),  # source: S94
        controlled_hypertension,
    ),
    make_rule(
        "cardiovascular.unstable",
        "Unstable or poorly controlled cardiovascular disease",
        _CI,
        ALL_ROUTES,
        # source: S41 ("avoid in poorly controlled cardiovascular disease"); §2 relative
        Provenance(("S41",), note="relative per APA 2017 (§2) [memory, verify]"),
        unstable_cardiovascular,
        relative=True,
    ),
    make_rule(
        "pressure.intracranial",
        "Raised intracranial pressure",
        _CI,
        ALL_ROUTES,
        # source: S41 (grade C: do not use, or lower doses with extreme caution); §2 relative
        Provenance(("S41",), note="do not use, or lower doses with extreme caution (grade C)"),
        when_yes(
            "raised_intracranial_pressure",
            "Raised intracranial pressure is recorded",
            "Do not treat, or only at lower doses with extreme caution after a documented "
            "risk-benefit decision.",
        ),
        relative=True,
    ),
    make_rule(
        "pressure.intraocular",
        "Raised intraocular pressure",
        _CI,
        ALL_ROUTES,
        # source: S41 (grade C)
        Provenance(("S41",), note="do not use, or lower doses with extreme caution (grade C)"),
        when_yes(
            "raised_intraocular_pressure",
            "Raised intraocular pressure is recorded",
            "Do not treat, or only at lower doses with extreme caution after a documented "
            "risk-benefit decision (ophthalmology input).",
        ),
        relative=True,
    ),
    make_rule(
        "psychosis.history",
        "History of psychosis",
        _CAUTION,
        ALL_ROUTES,
        # source: S41 (avoid in poorly controlled psychosis), S57 (assess benefit/risk), S43
        Provenance(("S41", "S57", "S43")),
        when_yes(
            "psychosis_history",
            "A history of psychosis is recorded; avoid ketamine if psychosis is poorly controlled",
            "Psychiatrist to confirm psychosis is controlled and document the risk-benefit "
            "decision.",
            codes=("F2", "F32.3", "F33.3"),  # project list: psychotic disorders, psychotic MDD
        ),
    ),
    make_rule(
        "mania.history",
        "History of mania or hypomania (bipolar disorder)",
        _CAUTION,
        ALL_ROUTES,
        # source: §2 (limited data in bipolar depression) [memory, verify]; S90
        Provenance(("§2", "S90"), verified=False, note="limited data in bipolar depression"),
        when_yes(
            "mania_history",
            "A history of mania or hypomania is recorded; data in bipolar disorder are limited",
            "Psychiatrist to document the risk-benefit decision and mood-stabiliser cover.",
            codes=("F30", "F31"),  # project list: manic episode, bipolar disorder
        ),
    ),
    make_rule(
        "substance.active_use",
        "Active substance use, including an alcohol use disorder",
        _CI,
        ALL_ROUTES,
        # source: S41 (no serial infusions with active substance abuse); S106, S107 (alcohol)
        Provenance(("S41", "S106", "S107"), note="relative per APA 2017 (§2) [memory, verify]"),
        substance_active,
        relative=True,
    ),
    make_rule(
        "substance.history",
        "Past substance use disorder",
        _CAUTION,
        ALL_ROUTES,
        Provenance(("S14", "S56")),  # source: S14, S56 (greater caution with SUD history)
        substance_history,
    ),
    make_rule(
        "urinary.symptoms",
        "Urinary symptoms (ketamine cystitis risk)",
        _CAUTION,
        ALL_ROUTES,
        Provenance(("S14", "S102")),  # source: S14, S102
        when_yes(
            "urinary_symptoms",
            "Urinary symptoms are recorded; ketamine can cause cystitis",
            "Assess the urinary symptoms before starting and ask about them at every visit.",
        ),
    ),
    # --- medications (reference §6.3): ``interactions`` ---------------------------------------
    *MEDICATION_RULES,
    # --- esketamine nasal spray: label ---------------------------------------------------------
    make_rule(
        "esk.aneurysm",
        "Aneurysmal vascular disease or arteriovenous malformation (label contraindication)",
        _CI,
        ESKETAMINE,
        Provenance(("S50",)),  # source: S50
        when_any_yes(
            ("aneurysmal_vascular_disease", "arteriovenous_malformation"),
            "{} is recorded: a contraindication on the esketamine label.",
            _NOT_FOR_ESKETAMINE,
        ),
        label=True,
    ),
    make_rule(
        "esk.intracerebral_haemorrhage",
        "History of intracerebral haemorrhage (label contraindication)",
        _CI,
        ESKETAMINE,
        Provenance(("S50",)),  # source: S50
        when_yes(
            "intracerebral_haemorrhage",
            "A history of intracerebral haemorrhage is recorded: a contraindication on the "
            "esketamine label",
            _NOT_FOR_ESKETAMINE,
        ),
        label=True,
    ),
    make_rule(
        "esk.age",
        "Esketamine is not approved under 18",
        _CI,
        ESKETAMINE,
        Provenance(("S49", "S50")),  # source: S49, S50
        age_at_least(
            ESKETAMINE_MINIMUM_AGE_YEARS,
            "The patient is {age} years old; esketamine is not approved under 18 years.",
            "Esketamine cannot be given under 18; consider another treatment.",
        ),
    ),
    make_rule(
        "esk.trd_indication",
        "Esketamine for depression: treatment-resistant depression (label indication)",
        _CI,
        ESKETAMINE,
        Provenance(("S47", "S48"), note="number of trials: clinic setting (reference silent)"),
        trd_trials(esketamine=True),  # source: S47, S48
        indications=frozenset({Indication.DEPRESSION}),
        parameters=(TRD_REQUIRED_TRIALS.key,),
    ),
    make_rule(
        "esk.mdsi_oral_antidepressant",
        "Esketamine for depression with suicidal ideation is given with an oral antidepressant",
        _CI,
        ESKETAMINE,
        Provenance(("S49",)),  # source: S49
        mdsi_antidepressant,
        indications=frozenset({Indication.SUICIDAL_IDEATION}),
    ),
    make_rule(
        "esk.mdsi_limitations",
        "Esketamine is not shown to prevent suicide and does not replace hospitalisation",
        _INFO,
        ESKETAMINE,
        Provenance(("S49", "S50")),  # source: S49, S50
        always(
            note(
                "Esketamine has not been shown to prevent suicide and does not replace "
                "hospitalisation when it is clinically warranted."
            )
        ),
        indications=frozenset({Indication.SUICIDAL_IDEATION}),
    ),
    make_rule(
        "esk.indication_outside_label",
        "Esketamine outside its labelled indications",
        _CI,
        ESKETAMINE,
        Provenance(("S47", "S49")),  # source: S47, S49
        outside_label,
        indications=_OFF_LABEL,
    ),
    make_rule(
        "esk.pregnancy",
        "Pregnancy (embryo-fetal toxicity warning)",
        _CI,
        ESKETAMINE,
        Provenance(("S57", "S14")),  # source: S57, S14
        pregnancy(
            "Pregnancy is recorded (pregnant or could be pregnant); esketamine carries an "
            "embryo-fetal toxicity warning.",
            "Do not start esketamine in pregnancy; confirm status (e.g. pregnancy test) and "
            "screen again if it was recorded in error.",
        ),
    ),
    make_rule(
        "esk.breastfeeding",
        "Breastfeeding (label: no breastfeeding)",
        _CI,
        ESKETAMINE,
        Provenance(("S57", "S14")),  # source: S57, S14
        breastfeeding(
            "The patient is breastfeeding; the esketamine label advises against breastfeeding "
            "during treatment.",
            "Screen again once the patient has decided not to breastfeed during treatment.",
        ),
    ),
    make_rule(
        "esk.severe_liver_disease",
        "Severe hepatic impairment: esketamine not recommended",
        _CI,
        ESKETAMINE,
        Provenance(("S14",), verified=False, note="S14 is a weak secondary source"),
        severe_liver(  # source: S14 [weak]
            "Severe liver disease is recorded; esketamine is not recommended in severe hepatic "
            "impairment.",
            "Consider another treatment; if severity was recorded in error, correct it.",
        ),
    ),
    make_rule(
        "esk.moderate_liver_disease",
        "Hepatic impairment: may need longer monitoring after esketamine",
        _CAUTION,
        ESKETAMINE,
        Provenance(("S14",), verified=False, note="S14 is a weak secondary source"),
        other_liver(  # source: S14 [weak]
            "Liver disease (not severe) is recorded; moderate hepatic impairment may need longer "
            "monitoring after each dose.",
            "Plan a longer post-dose observation and document it.",
        ),
    ),
    # --- racemic ketamine (IV, IM, SC, oral, sublingual) ---------------------------------------
    make_rule(
        "racemic.aneurysm",
        "Aneurysmal vascular disease or AVM (relative contraindication)",
        _CAUTION,
        RACEMIC,
        # source: §2 relative contraindication [memory, verify]; AVM from the S50 label by analogy
        Provenance(("§2", "S50"), verified=False, note="APA relative contraindication"),
        when_any_yes(
            ("aneurysmal_vascular_disease", "arteriovenous_malformation"),
            "{} is recorded: a relative contraindication to racemic ketamine (a contraindication "
            "to esketamine); ketamine raises blood pressure.",
            "Vascular specialist input and a documented risk-benefit decision before treating.",
        ),
        relative=True,
    ),
    make_rule(
        "racemic.intracerebral_haemorrhage",
        "History of intracerebral haemorrhage",
        _CAUTION,
        RACEMIC,
        Provenance(("S50",), verified=False, note=_UNVERIFIED_EXTRAPOLATION),
        when_yes(
            "intracerebral_haemorrhage",
            "A history of intracerebral haemorrhage is recorded (a contraindication to "
            "esketamine; ketamine raises blood pressure)",
            _RISK_BENEFIT,
        ),
    ),
    make_rule(
        "racemic.age",
        "Under 18: no guidance in the reference for racemic ketamine",
        _CAUTION,
        RACEMIC,
        Provenance(("S49", "S50"), verified=False, note=_UNVERIFIED_EXTRAPOLATION),
        age_at_least(
            ESKETAMINE_MINIMUM_AGE_YEARS,
            "The patient is {age} years old; the reference gives no guidance for racemic "
            "ketamine under 18 (esketamine is not approved under 18).",
            "Specialist (child and adolescent) review and a documented risk-benefit decision.",
        ),
    ),
    make_rule(
        "racemic.pregnancy",
        "Pregnancy (relative contraindication)",
        _CI,
        RACEMIC,
        # source: §2 APA relative contraindication [memory, verify]; S57 esketamine warning
        Provenance(("§2", "S57"), verified=False, note="APA relative contraindication"),
        pregnancy(
            "Pregnancy is recorded (pregnant or could be pregnant); pregnancy is a relative "
            "contraindication to ketamine.",
            "Confirm status (e.g. pregnancy test); treat only after an obstetric risk-benefit "
            "decision.",
        ),
        relative=True,
    ),
    make_rule(
        "racemic.breastfeeding",
        "Breastfeeding",
        _CAUTION,
        RACEMIC,
        Provenance(("S57",), verified=False, note=_UNVERIFIED_EXTRAPOLATION),
        breastfeeding(
            "The patient is breastfeeding; the reference has no lactation guidance for racemic "
            "ketamine (the esketamine label advises against breastfeeding).",
            _RISK_BENEFIT,
        ),
    ),
    make_rule(
        "racemic.severe_liver_disease",
        "Severe hepatic impairment: avoid",
        _CI,
        RACEMIC,
        Provenance(("S41",)),  # source: S41
        severe_liver(
            "Severe liver disease is recorded; avoid ketamine in severe hepatic impairment.",
            "Consider another treatment; if severity was recorded in error, correct it.",
        ),
    ),
    make_rule(
        "racemic.moderate_liver_disease",
        "Hepatic impairment: caution and monitoring",
        _CAUTION,
        RACEMIC,
        Provenance(("S41",)),  # source: S41
        other_liver(
            "Liver disease (not severe) is recorded; use caution and monitoring in moderate "
            "hepatic impairment.",
            "Plan liver monitoring and document it.",
        ),
    ),
    make_rule(
        "trd.adequate_trials",
        "Depression: adequate failed antidepressant trials define treatment resistance",
        _CAUTION,
        RACEMIC,
        # source: §2 strongest evidence in TRD [memory, verify]; S43 prior treatment history
        Provenance(("§2", "S43"), verified=False, note="number of trials: clinic setting"),
        trd_trials(esketamine=False),
        indications=TRD_INDICATIONS,
        parameters=(TRD_REQUIRED_TRIALS.key,),
    ),
    make_rule(
        "indication.bipolar_depression",
        "Bipolar depression: limited data",
        _CAUTION,
        RACEMIC,
        Provenance(("§2", "S90"), verified=False, note="limited data in bipolar depression"),
        always(
            fire(
                "Bipolar depression: the evidence for ketamine is limited.",
                "Psychiatrist to document the risk-benefit decision and mood-stabiliser cover.",
            )
        ),
        indications=frozenset({Indication.BIPOLAR_DEPRESSION}),
    ),
    make_rule(
        "indication.limited_evidence",
        "PTSD, OCD, anxiety: insufficient data, off-label",
        _CAUTION,
        RACEMIC,
        Provenance(("§2",), verified=False, note="insufficient data for other disorders"),
        always(
            fire(
                "Off-label use with limited evidence: the reference finds insufficient data for "
                "ketamine in disorders other than depression.",
                "Document the risk-benefit decision and the patient's informed consent to "
                "off-label treatment.",
            )
        ),
        indications=frozenset({Indication.PTSD, Indication.OCD, Indication.ANXIETY}),
    ),
    make_rule(
        "indication.crps",
        "CRPS: moderate evidence for IV infusions",
        _INFO,
        frozenset({Route.RACEMIC_IV}),
        Provenance(("S41", "S42")),  # source: S41, S42
        always(note("CRPS: moderate evidence for IV ketamine infusions (benefit up to 12 weeks).")),
        indications=frozenset({Indication.CHRONIC_PAIN_CRPS}),
    ),
    make_rule(
        "indication.crps_non_iv",
        "CRPS by a route other than IV: no evidence in the reference",
        _CAUTION,
        RACEMIC - {Route.RACEMIC_IV},
        Provenance(("S41",)),  # source: S41 (the consensus covers IV infusions)
        always(
            fire(
                "The chronic-pain evidence (ASRA/AAPM/ASA 2018) is for IV infusions; this route "
                "is not covered.",
                "Consider IV infusion, or document the risk-benefit decision for this route.",
            )
        ),
        indications=frozenset({Indication.CHRONIC_PAIN_CRPS}),
    ),
    make_rule(
        "indication.suicidal_ideation",
        "Suicidal ideation: ketamine does not replace hospitalisation",
        _INFO,
        RACEMIC,
        Provenance(("S49",), verified=False, note="esketamine label limitation, by analogy"),
        always(
            note(
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
