"""Default consent wording per route, created for a clinic when it has none (version 1).

Project wording, not legal advice: each clinic's medical director reviews it and publishes its
own version. Risks are those of reference §3.3 and §6; off-label status per §2 and §3.1.
"""

from __future__ import annotations

from ketacare.clinical.common import ROUTE_LABELS, Route

_COMMON_RISKS = """\
Common effects during and shortly after a treatment: feeling detached or "unreal" (dissociation), \
dizziness, nausea and sometimes vomiting, sleepiness, headache, blurred or double vision, anxiety, \
and a rise in blood pressure and heart rate that usually settles within about 1.5 hours. These \
usually wear off within two hours.

Less common or serious risks: a large rise in blood pressure; deep sedation or, rarely, loss of \
consciousness; slowed breathing; confusion or distressing experiences; seizures in people at risk.

Longer-term risks: bladder and urinary problems (pain, urgency, frequency, blood in the urine), \
mostly seen with frequent, high-dose recreational use — tell us about any urinary symptoms at \
every visit; effects on memory and thinking; liver injury with prolonged use; misuse and \
dependence (ketamine is a controlled substance, Schedule III).

Pregnancy and breastfeeding: ketamine may harm an unborn baby and passes into breast milk. Tell us \
if you are, or could become, pregnant, or are breastfeeding.

Suicidal thoughts: treatment does not remove the risk of suicide. If you have thoughts of harming \
yourself, call or text 988, or call 911 in an emergency.
"""

_SAFETY = """\
Safety rules I agree to: I will follow the fasting instructions I am given; an adult will take me \
home; I will not drive, cycle or operate machinery until the next day after a restful night's \
sleep; I will tell the team about every medicine, alcohol and drug I take, and about any change.
"""

_ALTERNATIVES = """\
Alternatives: other antidepressant medicines or combinations, psychotherapy, electroconvulsive \
therapy (ECT), transcranial magnetic stimulation (TMS), esketamine nasal spray (Spravato, the \
FDA-approved form for treatment-resistant depression), or no new treatment. I may stop treatment \
at any time and withdraw this consent.
"""

_RACEMIC_STATUS = """\
Off-label use: racemic ketamine is approved by the FDA as an anaesthetic. Its use for depression, \
other psychiatric conditions or chronic pain at the lower doses given here is "off-label": it is \
supported by published studies and professional consensus statements, but the FDA has not \
approved it for these uses, no standard dose or schedule has been established, and its long-term \
effects when repeated over months or years are not fully known.
"""

_ESKETAMINE_STATUS = """\
Approved use and REMS: esketamine nasal spray (Spravato) is approved by the FDA for adults with \
treatment-resistant depression (alone or with an oral antidepressant) and, with an oral \
antidepressant, for depressive symptoms in adults with major depressive disorder with acute \
suicidal thoughts or behaviour. It is given only in a certified healthcare setting under the \
SPRAVATO REMS programme: I will be enrolled in the REMS, take each dose under supervision, and \
stay at least 2 hours afterwards until a clinician decides I am ready to leave. My blood pressure \
will be checked before the dose and about 40 minutes after it.
"""

_HOW: dict[Route, str] = {
    Route.RACEMIC_IV: "a slow infusion into a vein, usually over about 40 minutes, with my blood "
    "pressure, heart rate and oxygen level monitored during and after the infusion",
    Route.RACEMIC_IM: "an injection into a muscle, with my vital signs monitored afterwards",
    Route.RACEMIC_SC: "an injection under the skin, with my vital signs monitored afterwards",
    Route.RACEMIC_ORAL: "a dose taken by mouth, under the conditions my prescriber sets",
    Route.RACEMIC_SUBLINGUAL: "a lozenge, tablet or solution held under the tongue, in the clinic "
    "or, if my prescriber agrees, at home with a sitter present",
    Route.ESKETAMINE_NASAL: "a nasal spray I give myself under supervision: one device (two "
    "sprays) at a time, 5 minutes apart, two or three devices per dose",
}


def default_consent(route: Route) -> tuple[str, str]:
    """(title, body) of the default consent for ``route``."""
    label = ROUTE_LABELS[route]
    status = _ESKETAMINE_STATUS if route is Route.ESKETAMINE_NASAL else _RACEMIC_STATUS
    drug = "esketamine" if route is Route.ESKETAMINE_NASAL else "ketamine"
    body = "\n".join(
        (
            f"I agree to receive {drug} by {label}: {_HOW[route]}.",
            "",
            status,
            "Expected benefit: many people with treatment-resistant depression improve within "
            "hours to days, but not everyone does, and the benefit often fades over weeks "
            "without further treatments. My response will be measured with questionnaires.",
            "",
            _COMMON_RISKS,
            _SAFETY,
            _ALTERNATIVES,
            "I have had the chance to ask questions and have them answered. I understand that "
            "typing my name and ticking the box below is my electronic signature.",
        )
    )
    return f"Consent to {label} treatment", body
