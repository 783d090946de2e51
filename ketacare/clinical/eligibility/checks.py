"""The checks behind the screening rules: each reads the intake and yields hits.

A check yields ``fire`` (the rule's finding, at the rule's severity), ``ask`` (a question that must
be answered before the rule can decide: MISSING) or ``note`` (information). Unknown is never read
as no: an unanswered question asks. The rule table (``rules``) gives each check its wording and
source; the medication checks live with the interaction table in ``interactions``.
"""

from __future__ import annotations

from collections.abc import Iterable

from ketacare.clinical.common import Answer
from ketacare.clinical.eligibility.model import Check, Context, Hit
from ketacare.clinical.eligibility.parameters import (
    BP_DIASTOLIC_LIMIT,
    BP_SYSTOLIC_LIMIT,
    TRD_REQUIRED_TRIALS,
)
from ketacare.clinical.intake import QUESTIONS, DrugClass, IntakeFacts, TrialOutcome

# --- hit helpers ------------------------------------------------------------------------------

_CONDITION_TEXT: dict[str, str] = {
    "aneurysmal_vascular_disease": "aneurysmal vascular disease",
    "arteriovenous_malformation": "an arteriovenous malformation (AVM)",
    "substance_use_active": "current substance use",
    "alcohol_use_disorder": "a current alcohol use disorder",
}


def fire(reason: str, resolution: str) -> Hit:
    return Hit("fire", reason, resolution)


def ask(needs: str, reason: str = "", resolution: str = "") -> Hit:
    return Hit(
        "ask",
        reason or f"Not answered: {QUESTIONS[needs]}",
        resolution or "Answer this question and screen again.",
        needs,
    )


def note(reason: str) -> Hit:
    return Hit("note", reason)


def yes(facts: IntakeFacts, name: str) -> bool:
    return getattr(facts, name) is Answer.YES


def unknown(facts: IntakeFacts, name: str) -> bool:
    return getattr(facts, name) is Answer.UNKNOWN


def when_yes(name: str, reason: str, resolution: str, codes: tuple[str, ...] = ()) -> Check:
    """Fire when ``name`` is YES (or a diagnosis starts with one of ``codes``); ask if unknown."""

    def check(ctx: Context) -> Iterable[Hit]:
        coded = [d for d in ctx.intake.diagnoses if d.startswith(codes)] if codes else []
        if yes(ctx.intake, name) or coded:
            extra = f" (diagnosis {', '.join(coded)})" if coded else ""
            yield fire(reason + extra + ".", resolution)
        elif unknown(ctx.intake, name):
            yield ask(name)

    return check


def when_any_yes(names: tuple[str, ...], reason: str, resolution: str) -> Check:
    """Fire when any of ``names`` is YES, naming which; otherwise ask each unknown one."""

    def check(ctx: Context) -> Iterable[Hit]:
        present = [_CONDITION_TEXT[n] for n in names if yes(ctx.intake, n)]
        if present:
            text = reason.format(" and ".join(present))
            yield fire(text[0].upper() + text[1:], resolution)
            return
        yield from (ask(n) for n in names if unknown(ctx.intake, n))

    return check


# --- individual checks ------------------------------------------------------------------------


def age_at_least(minimum: int, reason: str, resolution: str) -> Check:
    def check(ctx: Context) -> Iterable[Hit]:
        age = ctx.intake.age_years
        if age is None:
            yield ask("age_years", "Age is not recorded.", "Record the patient's age.")
        elif age < minimum:
            yield fire(reason.format(age=age), resolution)

    return check


def could_be_pregnant(facts: IntakeFacts) -> bool:
    return facts.sex != "male" and facts.pregnancy_possible is not Answer.NO


def pregnancy(reason: str, resolution: str) -> Check:
    def check(ctx: Context) -> Iterable[Hit]:
        facts = ctx.intake
        if facts.pregnant is Answer.YES:
            yield fire(reason, resolution)
        elif facts.pregnant is Answer.UNKNOWN and could_be_pregnant(facts):
            yield ask(
                "pregnant",
                resolution="Confirm pregnancy status (or record that pregnancy is not possible) "
                "and screen again.",
            )

    return check


def breastfeeding(reason: str, resolution: str) -> Check:
    def check(ctx: Context) -> Iterable[Hit]:
        if ctx.intake.sex == "male":
            return
        if yes(ctx.intake, "breastfeeding"):
            yield fire(reason, resolution)
        elif unknown(ctx.intake, "breastfeeding"):
            yield ask("breastfeeding")

    return check


def severe_liver(reason: str, resolution: str) -> Check:
    def check(ctx: Context) -> Iterable[Hit]:
        facts = ctx.intake
        if yes(facts, "severe_liver_disease"):
            yield fire(reason, resolution)
        elif unknown(facts, "severe_liver_disease") and yes(facts, "liver_disease"):
            yield ask("severe_liver_disease")

    return check


def other_liver(reason: str, resolution: str) -> Check:
    def check(ctx: Context) -> Iterable[Hit]:
        facts = ctx.intake
        if yes(facts, "severe_liver_disease"):
            return  # the severe-liver rule speaks
        if yes(facts, "liver_disease"):
            yield fire(reason, resolution)
        elif unknown(facts, "liver_disease"):
            yield ask("liver_disease")

    return check


def blood_pressure(ctx: Context) -> Iterable[Hit]:
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
    if yes(facts, "hypertension") and facts.hypertension_controlled is Answer.NO:
        problems.append("hypertension is recorded as not controlled")
    if problems:
        text = "; ".join(problems)
        yield fire(
            text[0].upper() + text[1:] + ".",
            "Treat and recheck blood pressure; re-enter the reading when controlled and screen "
            "again.",
        )
    if facts.systolic_mmhg is None:
        yield ask(
            "systolic_mmhg",
            "No blood pressure reading is recorded.",
            "Record a seated blood pressure and screen again.",
        )
    if unknown(facts, "hypertension"):
        yield ask("hypertension")
    elif yes(facts, "hypertension") and unknown(facts, "hypertension_controlled"):
        yield ask("hypertension_controlled")


def controlled_hypertension(ctx: Context) -> Iterable[Hit]:
    facts = ctx.intake
    if yes(facts, "hypertension") and facts.hypertension_controlled is Answer.YES:
        yield note(
            "Controlled hypertension: in a series of 684 infusions, hypertensive patients had "
            "higher blood-pressure peaks during infusion (returning to baseline afterwards)."
        )


def unstable_cardiovascular(ctx: Context) -> Iterable[Hit]:
    facts = ctx.intake
    if yes(facts, "unstable_cardiovascular_disease"):
        yield fire(
            "Unstable (poorly controlled) cardiovascular disease is recorded.",
            "Stabilise with the patient's cardiologist or physician, then screen again.",
        )
    elif unknown(facts, "unstable_cardiovascular_disease"):
        if unknown(facts, "cardiovascular_disease"):
            yield ask("cardiovascular_disease")
        elif yes(facts, "cardiovascular_disease"):
            yield ask("unstable_cardiovascular_disease")


def substance_active(ctx: Context) -> Iterable[Hit]:
    alcohol = yes(ctx.intake, "alcohol_use_disorder")
    yield from when_any_yes(
        ("substance_use_active", "alcohol_use_disorder"),
        "{} is recorded: no serial infusions with active substance use"
        + ("; alcohol also adds sedation and respiratory depression." if alcohol else "."),
        "Address the substance use first (referral for treatment); screen again when it is no "
        "longer active. Use universal precautions for abuse.",
    )(ctx)


def substance_history(ctx: Context) -> Iterable[Hit]:
    facts = ctx.intake
    if yes(facts, "substance_use_active") or yes(facts, "alcohol_use_disorder"):
        return  # the active-use rule speaks
    if yes(facts, "substance_use_history"):
        yield fire(
            "A past substance use disorder is recorded: ketamine and esketamine carry abuse and "
            "misuse risk (Schedule III).",
            "Assess abuse risk before and during treatment and document the plan.",
        )
    elif unknown(facts, "substance_use_history"):
        yield ask("substance_use_history")


def trd_trials(*, esketamine: bool) -> Check:
    """Count adequate failed antidepressant trials in the current episode against the setting."""

    def check(ctx: Context) -> Iterable[Hit]:
        required = ctx.values[TRD_REQUIRED_TRIALS.key]
        if required is None:
            yield ask(
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
            yield note(verdict)
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
                yield ask(
                    f"antidepressant_trials[{i}]",
                    f"Antidepressant trial of {trial.drug}: {' and '.join(unknown)} not recorded "
                    f"({verdict[:-1]}).",
                    "Complete the trial's details and screen again.",
                )
            return
        if ctx.intake.antidepressant_history_complete is not Answer.YES:
            yield ask(
                "antidepressant_history_complete",
                f"{verdict[:-1]}, and the antidepressant history is not confirmed complete.",
                "Complete and confirm the antidepressant treatment history, then screen again.",
            )
            return
        if esketamine:
            yield fire(
                f"Esketamine is labelled for treatment-resistant depression: {verdict}",
                "Not eligible for esketamine under the TRD indication; consider another "
                "treatment, or correct the treatment history and screen again.",
            )
        else:
            yield fire(
                f"{verdict} The strongest evidence for ketamine is in treatment-resistant "
                "depression.",
                "Document the risk-benefit decision to treat depression that does not meet the "
                "clinic's definition of treatment resistance, or correct the treatment history.",
            )

    return check


def mdsi_antidepressant(ctx: Context) -> Iterable[Hit]:
    if ctx.names(DrugClass.ANTIDEPRESSANT):
        return
    listed = ", ".join(m.name for m in ctx.intake.current_medications) or "none"
    if ctx.unclassified or ctx.intake.medications_complete is not Answer.YES:
        yield ask(
            "current_medications",
            f"No oral antidepressant is recognised among the current medications ({listed}); "
            "esketamine for depression with acute suicidal ideation is given with one.",
            "Confirm the medication list and the class of any unrecognised medication, then "
            "screen again.",
        )
        return
    yield fire(
        f"No oral antidepressant among the current medications ({listed}); esketamine for "
        "depression with acute suicidal ideation is labelled for use with an oral antidepressant.",
        "Start or record an oral antidepressant, then screen again.",
    )


def outside_label(ctx: Context) -> Iterable[Hit]:
    indication = str(ctx.intake.indication).replace("_", " ")
    yield fire(
        f"Esketamine nasal spray is labelled for treatment-resistant depression and for "
        f"depression with acute suicidal ideation in adults; '{indication}' is outside the label.",
        "Consider a racemic ketamine route, or record the correct indication and screen again.",
    )


def always(hit: Hit) -> Check:
    def check(ctx: Context) -> Iterable[Hit]:
        yield hit

    return check
