"""The route-specific templates the reference describes, with the source of every number; values
it is silent on have no default and must be set by the clinic before planning.

``CONFIGURABLE_DEFAULTS`` lists every template's editable values for the clinic-settings registry.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from ketacare.clinical.common import ConfigurableDefault, Provenance, Route
from ketacare.clinical.intake import Indication
from ketacare.clinical.regimens.model import (
    REQUIRED,
    Phase,
    RegimenTemplate,
    ScheduleBlock,
    whole_number_setting,
)

_IV_INDUCTION = Provenance(("S5", "S6", "S8", "S30"))
_IV_DEPRESSION_DOSE = "0.5 mg/kg IV over 40 min"  # source: S1, S2


def _booster(prefix: str, dose: str) -> ScheduleBlock:
    """A booster series: the reference gives no length or frequency, so both are required."""
    return ScheduleBlock(
        phase=Phase.BOOSTER,
        dose_description=dose,
        provenance=REQUIRED,
        sessions=whole_number_setting(
            f"{prefix}.booster.sessions", "Booster sessions", None, "sessions", REQUIRED
        ),
        sessions_per_week=whole_number_setting(
            f"{prefix}.booster.sessions_per_week",
            "Booster sessions per week",
            None,
            "per week",
            REQUIRED,
            maximum=7,
        ),
    )


def _open_maintenance(prefix: str, dose: str, provenance: Provenance) -> ScheduleBlock:
    """Open-ended maintenance at an interval the clinic or prescriber must choose."""
    return ScheduleBlock(
        phase=Phase.MAINTENANCE,
        dose_description=dose,
        provenance=provenance,
        sessions=None,
        interval_days=whole_number_setting(
            f"{prefix}.maintenance.interval_days",
            "Maintenance interval",
            None,
            "days",
            REQUIRED,
        ),
    )


IV_DEPRESSION: Final = RegimenTemplate(
    key="iv-depression",
    label="IV racemic ketamine for depression",
    route=Route.RACEMIC_IV,
    indication="depression",
    induction=ScheduleBlock(
        phase=Phase.INDUCTION,
        dose_description=_IV_DEPRESSION_DOSE,
        provenance=_IV_INDUCTION,
        sessions=whole_number_setting(  # source: S5, S6, S8, S30; bounds 4–8 real-world (S29)
            "iv-depression.induction.sessions",
            "Induction infusions",
            6,
            "infusions",
            _IV_INDUCTION,
            minimum=4,
            maximum=8,
        ),
        sessions_per_week=whole_number_setting(  # source: S5, S6, S8 (2 or 3 per week)
            "iv-depression.induction.sessions_per_week",
            "Induction infusions per week",
            3,
            "per week",
            Provenance(("S5", "S6", "S8"), note="S6: twice and thrice weekly both effective"),
            minimum=2,
            maximum=3,
        ),
        window_days=whole_number_setting(  # source: S30 (6 within 21 days); bounds 7–28 days (S29)
            "iv-depression.induction.window_days",
            "All induction infusions within",
            21,
            "days",
            Provenance(("S30", "S29")),
            minimum=7,
            maximum=28,
        ),
    ),
    maintenance=(
        _open_maintenance(  # source: S1 — no validated maintenance schedule
            "iv-depression",
            _IV_DEPRESSION_DOSE,
            Provenance(("S1",), note="no validated schedule: spaced individually"),
        ),
    ),
    booster=_booster("iv-depression", _IV_DEPRESSION_DOSE),
    evaluation="Evaluate response after the induction series; maintenance by response (S30).",
    provenance=Provenance(("S1", "S2", "S5", "S6", "S8", "S30")),
    notes=(
        "Maintenance has no validated schedule; dose shortly before the prior effect is expected "
        "to fade (S1).",
    ),
)

_SPRAVATO = Provenance(("S11", "S46", "S51"))
_ESK_DOSE = "56 or 84 mg esketamine nasal (2 or 3 devices)"  # source: S11, S46

ESKETAMINE_TRD: Final = RegimenTemplate(
    key="esketamine-trd",
    label="Esketamine nasal spray (Spravato), treatment-resistant depression",
    route=Route.ESKETAMINE_NASAL,
    indication="treatment-resistant depression",
    induction=ScheduleBlock(  # weeks 1–4, twice weekly  # source: S11, S46, S51
        phase=Phase.INDUCTION,
        dose_description=_ESK_DOSE,
        first_dose_description="56 mg esketamine nasal (2 devices)",  # source: S11
        provenance=_SPRAVATO,
        sessions=whole_number_setting(  # 4 weeks × twice weekly [calc from S11, S46, S51]
            "esketamine-trd.induction.sessions",
            "Induction sessions",
            8,
            "sessions",
            _SPRAVATO,
            8,
            8,
        ),
        sessions_per_week=whole_number_setting(
            "esketamine-trd.induction.sessions_per_week", "Per week", 2, "per week", _SPRAVATO, 2, 2
        ),
        window_days=whole_number_setting(
            "esketamine-trd.induction.window_days", "Weeks 1–4", 28, "days", _SPRAVATO, 28, 28
        ),
    ),
    maintenance=(
        ScheduleBlock(  # weeks 5–8, once weekly  # source: S11, S46, S51
            phase=Phase.MAINTENANCE,
            dose_description=_ESK_DOSE,
            provenance=_SPRAVATO,
            sessions=whole_number_setting(
                "esketamine-trd.maintenance.weeks_5_8.sessions", "Weeks 5–8", 4, "", _SPRAVATO, 4, 4
            ),
            interval_days=whole_number_setting(
                "esketamine-trd.maintenance.weeks_5_8.interval_days",
                "Weeks 5–8 interval",
                7,
                "days",
                _SPRAVATO,
                7,
                7,
            ),
        ),
        ScheduleBlock(  # week 9+, every 2 weeks or weekly  # source: S11, S46, S51
            phase=Phase.MAINTENANCE,
            dose_description=_ESK_DOSE + "; lowest frequency that keeps response/remission",
            provenance=_SPRAVATO,
            sessions=None,
            interval_days=whole_number_setting(
                "esketamine-trd.maintenance.week_9_on.interval_days",
                "Week 9 onward interval (prescriber: 7 or 14)",
                None,
                "days",
                REQUIRED,
                7,
                14,
            ),
            allowed_interval_days=(7, 14),
        ),
    ),
    booster=_booster("esketamine-trd", _ESK_DOSE),
    evaluation="Evaluate therapeutic benefit at the end of induction to decide on continuing "
    "(S11, S46).",
    provenance=_SPRAVATO,
    notes=(
        "84 mg only after a 56 mg start (S11); dose changes in 28 mg steps (S46).",
        "Missed sessions: if depression worsens, consider returning to the previous, more "
        "frequent schedule (S52).",
        "The label has no booster series; booster length and frequency are clinic settings.",
    ),
)

_MDSI = Provenance(("S49", "S51"))
ESKETAMINE_MDSI: Final = RegimenTemplate(
    key="esketamine-mdsi",
    label="Esketamine nasal spray (Spravato), MDD with acute suicidal ideation or behaviour",
    route=Route.ESKETAMINE_NASAL,
    indication="MDD with acute suicidal ideation or behaviour",
    induction=ScheduleBlock(  # 84 mg twice weekly × 4 weeks  # source: S49, S51
        phase=Phase.INDUCTION,
        dose_description="84 mg esketamine nasal (3 devices); may reduce to 56 mg for tolerability",
        provenance=_MDSI,
        sessions=whole_number_setting(
            "esketamine-mdsi.induction.sessions", "Sessions", 8, "", _MDSI, 8, 8
        ),
        sessions_per_week=whole_number_setting(
            "esketamine-mdsi.induction.sessions_per_week", "Per week", 2, "per week", _MDSI, 2, 2
        ),
        window_days=whole_number_setting(
            "esketamine-mdsi.induction.window_days", "Weeks 1–4", 28, "days", _MDSI, 28, 28
        ),
    ),
    maintenance=(),  # source: S49, S51 — beyond 4 weeks not systematically studied
    booster=_booster("esketamine-mdsi", "84 mg esketamine nasal (3 devices)"),
    evaluation="Evaluate at the end of the 4 weeks; use beyond 4 weeks has not been "
    "systematically studied (S49, S51).",
    provenance=_MDSI,
)

IM_DEPRESSION: Final = RegimenTemplate(
    key="im-depression",
    label="IM racemic ketamine for depression",
    route=Route.RACEMIC_IM,
    indication="depression",
    induction=ScheduleBlock(
        phase=Phase.INDUCTION,
        dose_description="IM dose per prescriber (common 0.5–1 mg/kg, unverified)",  # §1.2
        provenance=REQUIRED,
        sessions=whole_number_setting(
            "im-depression.induction.sessions", "Induction sessions", None, "", REQUIRED
        ),
        sessions_per_week=whole_number_setting(
            "im-depression.induction.sessions_per_week",
            "Induction sessions per week",
            None,
            "per week",
            REQUIRED,
            maximum=7,
        ),
    ),
    maintenance=(_open_maintenance("im-depression", "IM dose per prescriber", REQUIRED),),
    booster=_booster("im-depression", "IM dose per prescriber"),
    evaluation="Evaluate response after induction (the reference gives no IM schedule).",
    provenance=Provenance(("S1",), note="IM bolus safe and effective (S1); no IM schedule"),
)

_LARA = Provenance(("S33",))
SUBLINGUAL_CLINIC: Final = RegimenTemplate(
    key="sublingual-clinic",
    label="Sublingual racemic ketamine in clinic (very low dose)",
    route=Route.RACEMIC_SUBLINGUAL,
    indication="depression",
    induction=ScheduleBlock(
        phase=Phase.INDUCTION,
        # source: S33 — 10 mg from 100 mg/mL held 5 min then swallowed
        dose_description="10 mg sublingual (0.1 mL of 100 mg/mL), held 5 min then swallowed",
        provenance=_LARA,
        sessions=whole_number_setting(
            "sublingual-clinic.induction.sessions", "Sessions", None, "", REQUIRED
        ),
        interval_days=whole_number_setting(  # source: S33 — every 2–3 days or weekly
            "sublingual-clinic.induction.interval_days",
            "Interval (2, 3 or 7 days)",
            None,
            "days",
            REQUIRED,
            2,
            7,
        ),
        allowed_interval_days=(2, 3, 7),
    ),
    maintenance=(_open_maintenance("sublingual-clinic", "10 mg sublingual (S33)", REQUIRED),),
    booster=_booster("sublingual-clinic", "10 mg sublingual (S33)"),
    evaluation="Evaluate response after the first series (the reference gives no series length).",
    provenance=_LARA,
)

_TELEHEALTH = Provenance(("S34",), note="at-home telehealth; dose levels not captured")
SUBLINGUAL_HOME: Final = RegimenTemplate(
    key="sublingual-home",
    label="Sublingual racemic ketamine at home (telehealth)",
    route=Route.RACEMIC_SUBLINGUAL,
    indication="depression",
    induction=ScheduleBlock(
        phase=Phase.INDUCTION,
        dose_description="SL tablets/troches per prescriber (100–450 mg typical, unverified)",
        provenance=_TELEHEALTH,
        sessions=whole_number_setting(
            "sublingual-home.induction.sessions", "Sessions", None, "", REQUIRED
        ),
        sessions_per_week=whole_number_setting(
            "sublingual-home.induction.sessions_per_week",
            "Sessions per week",
            None,
            "per week",
            REQUIRED,
            maximum=7,
        ),
    ),
    maintenance=(_open_maintenance("sublingual-home", "Sublingual per prescriber", REQUIRED),),
    booster=_booster("sublingual-home", "Sublingual per prescriber"),
    evaluation="Evaluate response after the first series (S34 reported outcomes over 4 weeks).",
    provenance=_TELEHEALTH,
)

_CRPS = Provenance(("S41", "S42"), note="moderate evidence; benefit up to 12 weeks")
_PAIN_NOTE = (
    "A pain dose is above the depression IV per-session maximum (1.0 mg/kg); dosing it needs a "
    "pain protocol with its own maximum, which the reference does not give."
)
CRPS_DAILY_10: Final = RegimenTemplate(
    key="crps-daily-10",
    label="IV ketamine for CRPS: 4 h daily for 10 days",
    route=Route.RACEMIC_IV,
    indication="complex regional pain syndrome",
    induction=ScheduleBlock(  # source: S41, S42
        phase=Phase.INDUCTION,
        dose_description="0.35 mg/kg/h IV over 4 h (1.4 mg/kg per day)",
        provenance=_CRPS,
        sessions=whole_number_setting(
            "crps-daily-10.induction.sessions", "Daily infusions", 10, "", _CRPS
        ),
        interval_days=whole_number_setting(
            "crps-daily-10.induction.interval_days", "Every", 1, "days", _CRPS
        ),
        window_days=whole_number_setting(
            "crps-daily-10.induction.window_days", "Within", 10, "days", _CRPS
        ),
    ),
    maintenance=(),  # apart from CRPS no evidence of longer-term benefit; none scheduled (S41)
    booster=_booster("crps-daily-10", "0.35 mg/kg/h IV over 4 h"),
    evaluation="Evaluate pain and function after the series (S41, S42).",
    provenance=_CRPS,
    notes=(_PAIN_NOTE,),
)
CRPS_CONTINUOUS_4_DAY: Final = RegimenTemplate(
    key="crps-continuous-4-day",
    label="IV ketamine for CRPS: 22 mg/h continuous for 4 days",
    route=Route.RACEMIC_IV,
    indication="complex regional pain syndrome",
    induction=ScheduleBlock(  # source: S41, S42 — one 96 h infusion, one entry per day
        phase=Phase.INDUCTION,
        dose_description="22 mg/h continuous IV infusion (one day of a 4-day infusion)",
        provenance=_CRPS,
        sessions=whole_number_setting(
            "crps-continuous-4-day.induction.sessions", "Days", 4, "days", _CRPS
        ),
        interval_days=whole_number_setting(
            "crps-continuous-4-day.induction.interval_days", "Every", 1, "days", _CRPS
        ),
        window_days=whole_number_setting(
            "crps-continuous-4-day.induction.window_days", "Within", 4, "days", _CRPS
        ),
    ),
    maintenance=(),
    booster=_booster("crps-continuous-4-day", "22 mg/h continuous IV"),
    evaluation="Evaluate pain and function after the infusion (S41, S42).",
    provenance=_CRPS,
    notes=(_PAIN_NOTE,),
)

TEMPLATES: Final[dict[str, RegimenTemplate]] = {
    template.key: template
    for template in (
        IV_DEPRESSION,
        ESKETAMINE_TRD,
        ESKETAMINE_MDSI,
        IM_DEPRESSION,
        SUBLINGUAL_CLINIC,
        SUBLINGUAL_HOME,
        CRPS_DAILY_10,
        CRPS_CONTINUOUS_4_DAY,
    )
}

# Templates for chronic pain (CRPS, S41/S42) treat pain, not a mood disorder: they are offered
# only for that indication, and only they are offered for it.
PAIN_TEMPLATE_KEYS: Final[frozenset[str]] = frozenset(
    {CRPS_DAILY_10.key, CRPS_CONTINUOUS_4_DAY.key}
)
PAIN_INDICATIONS: Final[frozenset[str]] = frozenset({Indication.CHRONIC_PAIN_CRPS.value})


def template_serves(template: RegimenTemplate, indication: str, route: Route | str) -> bool:
    """True when ``template`` may be planned for ``indication`` (an ``Indication`` value) on
    ``route``: same route, and a pain template only for a pain indication (and vice versa)."""
    if template.route is not Route(route):
        return False
    return (template.key in PAIN_TEMPLATE_KEYS) == (str(indication) in PAIN_INDICATIONS)


def templates_for(
    templates: Iterable[RegimenTemplate], *, indication: str, route: Route | str
) -> list[RegimenTemplate]:
    """The templates a screening for ``indication`` on ``route`` may offer, in order."""
    return [t for t in templates if template_serves(t, indication, route)]


CONFIGURABLE_DEFAULTS: Final[tuple[ConfigurableDefault[int], ...]] = tuple(
    item for template in TEMPLATES.values() for item in template.settings()
)
