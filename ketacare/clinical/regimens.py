"""Route-specific treatment schedules as editable templates, date planning, and course phases.

A ``RegimenTemplate`` is data the medical director may edit: each count or frequency is a
``ConfigurableDefault`` carrying its source, and ``with_settings`` returns a changed copy after
checking each value against its bounds. Values the reference is silent on have no default and
planning raises ``ClinicalRuleError`` until the clinic sets them.

Planning is pure: dates are passed in and planned dates are returned. Weekdays are integers as
``date.weekday()`` gives them (Monday 0 … Sunday 6).

Course phases: induction → evaluation → maintenance → booster (only when relapse is detected,
which ``outcomes`` decides) → maintenance … → completed; any active phase may be paused and
resumed into the phase it left. ``next_phase`` refuses any other move.
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Final

from ketacare.clinical.common import ClinicalRuleError, ConfigurableDefault, Provenance, Route
from ketacare.clinical.intake import Indication

_REQUIRED: Final = Provenance((), verified=False, note="reference silent: the clinic must set this")


class Phase(enum.StrEnum):
    INDUCTION = "induction"
    EVALUATION = "evaluation"
    MAINTENANCE = "maintenance"
    BOOSTER = "booster"
    PAUSED = "paused"
    COMPLETED = "completed"


def _setting(
    key: str,
    label: str,
    value: int | None,
    unit: str,
    provenance: Provenance,
    minimum: float | None = 1,
    maximum: float | None = None,
) -> ConfigurableDefault[int]:
    """A whole-number setting; ``minimum`` 1 is structural (a count or interval is positive)."""
    return ConfigurableDefault[int](
        key=key,
        label=label,
        value=value,
        unit=unit,
        provenance=provenance if value is not None else _REQUIRED,
        minimum=minimum,
        maximum=maximum,
    )


@dataclass(frozen=True, kw_only=True)
class ScheduleBlock:
    """One stretch of a course: how many sessions, how often, within what window, what dose.

    Frequency is either ``sessions_per_week`` (sessions on fixed weekdays) or ``interval_days``
    (a fixed gap between sessions), never both. ``sessions`` None means open-ended (planned up to
    a date). ``allowed_interval_days`` restricts an interval to listed values (e.g. esketamine
    week 9+: weekly or every 2 weeks).
    """

    phase: Phase
    dose_description: str
    provenance: Provenance
    sessions: ConfigurableDefault[int] | None
    sessions_per_week: ConfigurableDefault[int] | None = None
    interval_days: ConfigurableDefault[int] | None = None
    window_days: ConfigurableDefault[int] | None = None
    first_dose_description: str | None = None
    allowed_interval_days: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if (self.sessions_per_week is None) == (self.interval_days is None):
            raise ClinicalRuleError(
                "A schedule block needs either sessions per week or an interval in days"
            )

    def settings(self) -> tuple[ConfigurableDefault[int], ...]:
        return tuple(
            item
            for item in (
                self.sessions,
                self.sessions_per_week,
                self.interval_days,
                self.window_days,
            )
            if item is not None
        )


@dataclass(frozen=True, kw_only=True)
class RegimenTemplate:
    """A route-specific course: induction, maintenance steps in order, and a booster series."""

    key: str
    label: str
    route: Route
    indication: str
    induction: ScheduleBlock
    maintenance: tuple[ScheduleBlock, ...]
    booster: ScheduleBlock
    evaluation: str  # what happens at the end of induction
    provenance: Provenance
    notes: tuple[str, ...] = ()

    def settings(self) -> tuple[ConfigurableDefault[int], ...]:
        """Every editable value of the template, for the protocol review page."""
        blocks = (self.induction, *self.maintenance, self.booster)
        return tuple(item for block in blocks for item in block.settings())

    def with_settings(self, values: Mapping[str, int]) -> RegimenTemplate:
        """A copy with settings changed by key, each checked against its safe bounds."""
        known = {item.key for item in self.settings()}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ClinicalRuleError(f"{self.label}: unknown setting(s) {', '.join(unknown)}")

        def block(item: ScheduleBlock) -> ScheduleBlock:
            changes: dict[str, ConfigurableDefault[int]] = {}
            for name in ("sessions", "sessions_per_week", "interval_days", "window_days"):
                current: ConfigurableDefault[int] | None = getattr(item, name)
                if current is not None and current.key in values:
                    new = values[current.key]
                    if isinstance(new, bool) or not isinstance(new, int):
                        raise ClinicalRuleError(f"{current.label} must be a whole number: {new!r}")
                    current.validate(new)
                    if name == "interval_days" and item.allowed_interval_days:
                        _check_allowed_interval(item, new)
                    changes[name] = replace(
                        current,
                        value=new,
                        provenance=Provenance(
                            current.provenance.sources, note="set by the clinic's medical director"
                        ),
                    )
            return replace(item, **changes)

        return replace(
            self,
            induction=block(self.induction),
            maintenance=tuple(block(item) for item in self.maintenance),
            booster=block(self.booster),
        )


def _check_allowed_interval(block: ScheduleBlock, days: int) -> None:
    if days not in block.allowed_interval_days:
        allowed = " or ".join(str(item) for item in block.allowed_interval_days)
        raise ClinicalRuleError(
            f"{block.phase.value.capitalize()} interval must be {allowed} days "
            f"({block.provenance.cite()}), got {days}"
        )


@dataclass(frozen=True)
class PlannedTreatment:
    """One planned session: its date, 1-based order within the plan, phase and dose wording."""

    scheduled_date: date
    sequence: int
    phase: Phase
    dose_description: str


# ---------------------------------------------------------------------------------------------
# Templates
# ---------------------------------------------------------------------------------------------

_IV_INDUCTION = Provenance(("S5", "S6", "S8", "S30"))
_IV_DEPRESSION_DOSE = "0.5 mg/kg IV over 40 min"  # source: S1, S2


def _booster(prefix: str, dose: str) -> ScheduleBlock:
    """A booster series: the reference gives no length or frequency, so both are required."""
    return ScheduleBlock(
        phase=Phase.BOOSTER,
        dose_description=dose,
        provenance=_REQUIRED,
        sessions=_setting(
            f"{prefix}.booster.sessions", "Booster sessions", None, "sessions", _REQUIRED
        ),
        sessions_per_week=_setting(
            f"{prefix}.booster.sessions_per_week",
            "Booster sessions per week",
            None,
            "per week",
            _REQUIRED,
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
        interval_days=_setting(
            f"{prefix}.maintenance.interval_days",
            "Maintenance interval",
            None,
            "days",
            _REQUIRED,
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
        sessions=_setting(  # source: S5, S6, S8, S30; bounds 4–8 real-world (S29)
            "iv-depression.induction.sessions",
            "Induction infusions",
            6,
            "infusions",
            _IV_INDUCTION,
            minimum=4,
            maximum=8,
        ),
        sessions_per_week=_setting(  # source: S5, S6, S8 (2 or 3 per week)
            "iv-depression.induction.sessions_per_week",
            "Induction infusions per week",
            3,
            "per week",
            Provenance(("S5", "S6", "S8"), note="S6: twice and thrice weekly both effective"),
            minimum=2,
            maximum=3,
        ),
        window_days=_setting(  # source: S30 (6 within 21 days); bounds 7–28 days (S29)
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
        sessions=_setting(  # 4 weeks × twice weekly [calc from S11, S46, S51]
            "esketamine-trd.induction.sessions",
            "Induction sessions",
            8,
            "sessions",
            _SPRAVATO,
            8,
            8,
        ),
        sessions_per_week=_setting(
            "esketamine-trd.induction.sessions_per_week", "Per week", 2, "per week", _SPRAVATO, 2, 2
        ),
        window_days=_setting(
            "esketamine-trd.induction.window_days", "Weeks 1–4", 28, "days", _SPRAVATO, 28, 28
        ),
    ),
    maintenance=(
        ScheduleBlock(  # weeks 5–8, once weekly  # source: S11, S46, S51
            phase=Phase.MAINTENANCE,
            dose_description=_ESK_DOSE,
            provenance=_SPRAVATO,
            sessions=_setting(
                "esketamine-trd.maintenance.weeks_5_8.sessions", "Weeks 5–8", 4, "", _SPRAVATO, 4, 4
            ),
            interval_days=_setting(
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
            interval_days=_setting(
                "esketamine-trd.maintenance.week_9_on.interval_days",
                "Week 9 onward interval (prescriber: 7 or 14)",
                None,
                "days",
                _REQUIRED,
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
        sessions=_setting("esketamine-mdsi.induction.sessions", "Sessions", 8, "", _MDSI, 8, 8),
        sessions_per_week=_setting(
            "esketamine-mdsi.induction.sessions_per_week", "Per week", 2, "per week", _MDSI, 2, 2
        ),
        window_days=_setting(
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
        provenance=_REQUIRED,
        sessions=_setting(
            "im-depression.induction.sessions", "Induction sessions", None, "", _REQUIRED
        ),
        sessions_per_week=_setting(
            "im-depression.induction.sessions_per_week",
            "Induction sessions per week",
            None,
            "per week",
            _REQUIRED,
            maximum=7,
        ),
    ),
    maintenance=(_open_maintenance("im-depression", "IM dose per prescriber", _REQUIRED),),
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
        sessions=_setting("sublingual-clinic.induction.sessions", "Sessions", None, "", _REQUIRED),
        interval_days=_setting(  # source: S33 — every 2–3 days or weekly
            "sublingual-clinic.induction.interval_days",
            "Interval (2, 3 or 7 days)",
            None,
            "days",
            _REQUIRED,
            2,
            7,
        ),
        allowed_interval_days=(2, 3, 7),
    ),
    maintenance=(_open_maintenance("sublingual-clinic", "10 mg sublingual (S33)", _REQUIRED),),
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
        sessions=_setting("sublingual-home.induction.sessions", "Sessions", None, "", _REQUIRED),
        sessions_per_week=_setting(
            "sublingual-home.induction.sessions_per_week",
            "Sessions per week",
            None,
            "per week",
            _REQUIRED,
            maximum=7,
        ),
    ),
    maintenance=(_open_maintenance("sublingual-home", "Sublingual per prescriber", _REQUIRED),),
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
        sessions=_setting("crps-daily-10.induction.sessions", "Daily infusions", 10, "", _CRPS),
        interval_days=_setting("crps-daily-10.induction.interval_days", "Every", 1, "days", _CRPS),
        window_days=_setting("crps-daily-10.induction.window_days", "Within", 10, "days", _CRPS),
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
        sessions=_setting("crps-continuous-4-day.induction.sessions", "Days", 4, "days", _CRPS),
        interval_days=_setting(
            "crps-continuous-4-day.induction.interval_days", "Every", 1, "days", _CRPS
        ),
        window_days=_setting(
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


# ---------------------------------------------------------------------------------------------
# Planning
# ---------------------------------------------------------------------------------------------


def default_weekdays(*, start: date, sessions_per_week: int) -> tuple[int, ...]:
    """Weekdays spread over the week from the start date's weekday: offsets ⌊i × 7 / n⌋.

    3 a week from a Monday → Mon, Wed, Fri; 2 a week → Mon, Thu; 1 a week → Mon.
    """
    return tuple(
        (start.weekday() + i * 7 // sessions_per_week) % 7 for i in range(sessions_per_week)
    )


def _check_weekdays(weekdays: Sequence[int], sessions_per_week: int) -> tuple[int, ...]:
    days = tuple(weekdays)
    if any(isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6 for day in days):
        raise ClinicalRuleError(f"Weekdays are 0 (Monday) to 6 (Sunday), got {days}")
    if len(set(days)) != len(days):
        raise ClinicalRuleError(f"Preferred weekdays repeat a day: {days}")
    if len(days) != sessions_per_week:
        raise ClinicalRuleError(
            f"{sessions_per_week} sessions a week need {sessions_per_week} preferred weekdays, "
            f"got {len(days)}"
        )
    return days


def _weekday_dates(start: date, weekdays: Iterable[int]) -> Iterable[date]:
    """Every date on or after ``start`` that falls on one of ``weekdays``, in order."""
    wanted = set(weekdays)
    day = start
    while True:
        if day.weekday() in wanted:
            yield day
        day += timedelta(days=1)


def _block_dates(
    block: ScheduleBlock,
    *,
    start: date,
    weekdays: Sequence[int] | None,
    until: date | None,
) -> list[date]:
    count = None if block.sessions is None else block.sessions.resolve()
    if count is None and until is None:
        raise ClinicalRuleError(f"An open-ended {block.phase.value} schedule needs an end date")
    if block.sessions_per_week is not None:
        per_week = block.sessions_per_week.resolve()
        days = (
            default_weekdays(start=start, sessions_per_week=per_week)
            if weekdays is None
            else _check_weekdays(weekdays, per_week)
        )
        candidates = _weekday_dates(start, days)
    else:
        assert block.interval_days is not None
        interval = block.interval_days.resolve()
        if block.allowed_interval_days:
            _check_allowed_interval(block, interval)
        if weekdays is not None:
            raise ClinicalRuleError(
                f"This {block.phase.value} schedule is every {interval} days; preferred weekdays "
                "do not apply"
            )
        candidates = (start + timedelta(days=interval * i) for i in itertools.count())
    dates: list[date] = []
    for day in candidates:
        if (count is not None and len(dates) == count) or (until is not None and day > until):
            break
        dates.append(day)
    if block.window_days is not None and dates:
        window = block.window_days.resolve()
        if (dates[-1] - dates[0]).days + 1 > window:
            raise ClinicalRuleError(
                f"{len(dates)} {block.phase.value} sessions from {dates[0]} end on {dates[-1]}, "
                f"outside the {window}-day window ({block.window_days.provenance.cite()}). "
                "Choose weekdays closer together or more sessions a week."
            )
    return dates


def _planned(block: ScheduleBlock, dates: Sequence[date], first: int = 1) -> list[PlannedTreatment]:
    return [
        PlannedTreatment(
            scheduled_date=day,
            sequence=first + index,
            phase=block.phase,
            dose_description=(
                block.first_dose_description
                if index == 0 and first == 1 and block.first_dose_description
                else block.dose_description
            ),
        )
        for index, day in enumerate(dates)
    ]


def plan_induction(
    template: RegimenTemplate, *, start: date, weekdays: Sequence[int] | None = None
) -> list[PlannedTreatment]:
    """Dates of the induction series from ``start`` (or the first preferred weekday after it).

    With ``weekdays`` (one per session a week) sessions fall on those days; without, they are
    spread from the start date's weekday (``default_weekdays``). Refused when a required setting
    is unset or the series would not fit the template's window.
    """
    block = template.induction
    return _planned(block, _block_dates(block, start=start, weekdays=weekdays, until=None))


def plan_maintenance(
    template: RegimenTemplate, *, start: date, until: date
) -> list[PlannedTreatment]:
    """Maintenance dates from ``start`` (its first session) up to ``until`` inclusive.

    Steps run in order; each step's first session is one interval after the previous session
    (esketamine: 4 weekly sessions, then every 7 or 14 days from the last weekly one).
    """
    if not template.maintenance:
        raise ClinicalRuleError(f"{template.label} has no maintenance schedule in the reference")
    if until < start:
        raise ClinicalRuleError(f"Plan end {until} is before its start {start}")
    planned: list[PlannedTreatment] = []
    step_start = start
    for index, block in enumerate(template.maintenance):
        if step_start > until:
            break
        dates = _block_dates(block, start=step_start, weekdays=None, until=until)
        planned += _planned(block, dates, first=len(planned) + 1)
        if block.sessions is None or len(dates) < block.sessions.resolve():
            break  # an open-ended step, or ``until`` came first
        following = template.maintenance[index + 1 : index + 2]
        if not following or dates[-1] + timedelta(days=_shortest_gap(following[0])) > until:
            break  # no further session can fall before ``until``, whatever the next setting
        gap = following[0].interval_days
        step_start = dates[-1] + timedelta(days=1 if gap is None else gap.resolve())
    return planned


def _shortest_gap(block: ScheduleBlock) -> int:
    """The fewest days a block's first session can follow the previous one, set or not."""
    if block.interval_days is None:
        return 1
    if block.interval_days.value is not None:
        return block.interval_days.value
    if block.allowed_interval_days:
        return min(block.allowed_interval_days)
    return max(1, int(block.interval_days.minimum or 1))


def plan_booster(
    template: RegimenTemplate,
    *,
    start: date,
    relapse_detected: bool,
    weekdays: Sequence[int] | None = None,
) -> list[PlannedTreatment]:
    """A booster series from ``start``, only when ``outcomes`` has detected a relapse."""
    if not relapse_detected:
        raise ClinicalRuleError("A booster series is planned only after a relapse is detected")
    block = template.booster
    return _planned(block, _block_dates(block, start=start, weekdays=weekdays, until=None))


def course_week(*, course_start: date, on: date) -> int:
    """1-based week of the course that ``on`` falls in (week 1 = the first 7 days)."""
    if on < course_start:
        raise ClinicalRuleError(f"{on} is before the course started on {course_start}")
    return (on - course_start).days // 7 + 1


# ---------------------------------------------------------------------------------------------
# Course phases
# ---------------------------------------------------------------------------------------------

_ACTIVE: Final = frozenset({Phase.INDUCTION, Phase.EVALUATION, Phase.MAINTENANCE, Phase.BOOSTER})
TRANSITIONS: Final[Mapping[Phase, frozenset[Phase]]] = {
    Phase.INDUCTION: frozenset({Phase.EVALUATION, Phase.PAUSED, Phase.COMPLETED}),
    Phase.EVALUATION: frozenset({Phase.MAINTENANCE, Phase.PAUSED, Phase.COMPLETED}),
    Phase.MAINTENANCE: frozenset({Phase.BOOSTER, Phase.PAUSED, Phase.COMPLETED}),
    Phase.BOOSTER: frozenset({Phase.MAINTENANCE, Phase.PAUSED, Phase.COMPLETED}),
    Phase.PAUSED: frozenset({Phase.COMPLETED}),  # plus resuming into ``paused_from``
    Phase.COMPLETED: frozenset(),
}


@dataclass(frozen=True)
class CoursePhaseState:
    """Where a course stands; ``paused_from`` is the phase a paused course resumes into."""

    phase: Phase = Phase.INDUCTION
    paused_from: Phase | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "phase", Phase(self.phase))
        if (self.phase is Phase.PAUSED) != (self.paused_from is not None):
            raise ClinicalRuleError("A paused course, and only a paused course, has paused_from")
        if self.paused_from is not None and self.paused_from not in _ACTIVE:
            raise ClinicalRuleError(f"A course cannot be paused from {self.paused_from}")


def allowed_phases(state: CoursePhaseState) -> frozenset[Phase]:
    """The phases ``state`` may move to (a booster additionally needs a detected relapse)."""
    allowed = TRANSITIONS[state.phase]
    if state.paused_from is not None:
        allowed = allowed | {state.paused_from}
    return allowed


def next_phase(
    state: CoursePhaseState, *, to: Phase | str, relapse_detected: bool = False
) -> CoursePhaseState:
    """Move the course to ``to`` if the transition is allowed, else raise ClinicalRuleError.

    Entering a booster from maintenance needs ``relapse_detected`` (computed by ``outcomes``);
    resuming a paused booster does not.
    """
    target = Phase(to)
    if target not in allowed_phases(state):
        allowed = ", ".join(sorted(phase.value for phase in allowed_phases(state))) or "none"
        raise ClinicalRuleError(
            f"A course in {state.phase.value} cannot move to {target.value} (allowed: {allowed})"
        )
    if target is Phase.BOOSTER and state.phase is Phase.MAINTENANCE and not relapse_detected:
        raise ClinicalRuleError("A booster series starts only after a relapse is detected")
    if target is Phase.PAUSED:
        return CoursePhaseState(Phase.PAUSED, paused_from=state.phase)
    return CoursePhaseState(target)
