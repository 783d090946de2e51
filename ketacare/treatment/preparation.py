"""Preparation instructions per route, sent with every booked appointment.

Fasting times come from the clinic's monitoring protocol (``clinical.monitoring``): esketamine
no food 2 h and no liquids 30 min [S53][S54]; for racemic ketamine the reference gives no fasting
time, so until the clinic sets one the patient is told the clinic will confirm it. The rest is
practical guidance: an adult escort home and no driving until the next day after sleep
[S10][S11][S99], clothing, music, intention, what to expect (§3.3, §6.1).
"""

from __future__ import annotations

from dataclasses import dataclass

from ketacare.clinical.common import ROUTE_LABELS, Route
from ketacare.clinical.monitoring import MonitoringProtocol


@dataclass(frozen=True)
class Instruction:
    topic: str
    text: str
    source: str  # for staff; patients see the text only


def _duration(minutes: int) -> str:
    if minutes % 60 == 0 and minutes >= 60:
        hours = minutes // 60
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{minutes} minutes"


def _fasting(route: Route, protocol: MonitoringProtocol) -> Instruction:
    food = protocol.fasting_food_minutes.value
    liquid = protocol.fasting_liquid_minutes.value
    source = (
        ", ".join(
            sorted(
                set(protocol.fasting_food_minutes.provenance.sources)
                | set(protocol.fasting_liquid_minutes.provenance.sources)
            )
        )
        or "clinic setting"
    )
    if food is None and liquid is None:
        return Instruction(
            "Eating and drinking",
            "Your clinic will tell you whether to stop eating or drinking before this treatment, "
            "and for how long. If you have not heard, call the clinic the day before.",
            "clinic setting not yet made (reference silent on fasting for racemic ketamine)",
        )
    parts = []
    if food:
        parts.append(f"do not eat for {_duration(food)}")
    if liquid:
        parts.append(f"do not drink anything for {_duration(liquid)}")
    text = " and ".join(parts).capitalize() + " before your treatment"
    if route is Route.ESKETAMINE_NASAL:
        text += (
            ", to lower the chance of feeling sick or vomiting. If you use a nasal steroid or "
            "decongestant spray, use it at least 1 hour before your appointment"
        )
    return Instruction("Eating and drinking", text + ".", source)


def instructions(route: Route | str, protocol: MonitoringProtocol) -> list[Instruction]:
    """Everything a patient needs to know before a treatment by ``route``."""
    route = Route(route)
    esk = route is Route.ESKETAMINE_NASAL
    stay = (
        "You will stay at least 2 hours after your dose, until a clinician decides you are ready "
        "to leave; your blood pressure is checked before the dose and about 40 minutes after it."
        if esk
        else "You will stay after the treatment until your blood pressure and alertness are back "
        "to your normal and a clinician decides you are ready to leave."
    )
    clothing = (
        "Wear comfortable, loose clothing with sleeves that roll up above the elbow (for the "
        "blood-pressure cuff"
        + ("" if esk or route is not Route.RACEMIC_IV else " and the drip")
        + "). Bring a warm layer: some people feel cold."
    )
    return [
        _fasting(route, protocol),
        Instruction(
            "Medicines",
            "Take your usual medicines unless your prescriber told you otherwise. Tell the team "
            "about any new medicine, alcohol or drug use since your last visit.",
            "§6.3",
        ),
        Instruction(
            "Getting home",
            "An adult must take you home. Do not drive, cycle or use machinery until the next day "
            "after a restful night's sleep.",
            "S10, S11, S99",
        ),
        Instruction("Clothing", clothing, "practical guidance"),
        Instruction(
            "Music and comfort",
            "You may bring headphones and calm music without lyrics, and an eye mask.",
            "practical guidance",
        ),
        Instruction(
            "Your intention",
            "Before you come, take a few minutes to think about what you hope this treatment "
            "will help with. You can share it with your nurse.",
            "practical guidance",
        ),
        Instruction(
            "What to expect",
            "During and soon after the dose you may feel detached or dreamlike, dizzy, sleepy or "
            "sick, and your blood pressure may rise for a while; these usually pass within about "
            "two hours. A nurse stays with you and checks your blood pressure, pulse and oxygen. "
            + stay,
            "§3.3, §6.1, S94, S95",
        ),
        Instruction(
            "If you feel unsafe",
            "If you have thoughts of harming yourself, call or text 988 at any time, or call 911 "
            "in an emergency.",
            "§10",
        ),
    ]


def instructions_text(route: Route | str, protocol: MonitoringProtocol) -> str:
    """The instructions as plain text for the appointment record (patients see this)."""
    route = Route(route)
    lines = [f"Preparing for your {ROUTE_LABELS[route]}"]
    lines += [f"- {item.topic}: {item.text}" for item in instructions(route, protocol)]
    return "\n".join(lines)
