"""Write hand-made cohorts as an analytics export (the layout's five tables)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ketacare.analytics.derived import derive, derived_columns
from ketacare.analytics.layout import TABLES, observations_table, write_table
from ketacare.clinical.outcomes import DatedScore

REFERENCE = datetime(2026, 1, 1, tzinfo=UTC)  # every patient's reference point in these tests


def minutes(at: datetime) -> int:
    seconds = (at - REFERENCE).total_seconds()
    assert seconds % 60 == 0, "the export keeps whole minutes"
    return int(seconds // 60)


@dataclass
class CraftedPatient:
    patient_id: int
    first_treatment_at: datetime | None
    scores: Sequence[DatedScore] = ()
    route: str = "racemic_iv"
    indication: str = "depression"
    clinic_id: int = 1
    sex: str = "female"
    age_band: str = "35-44"
    prior_trials: int | None = 2
    extra_courses: Sequence[datetime] = ()  # later courses' first treatments
    sessions: Sequence[tuple[datetime, str, int]] = ()  # (at, phase, vital alerts)
    adverse_events: Sequence[tuple[datetime, bool]] = ()  # (at, serious)
    stage_minutes: dict[str, int | None] = field(default_factory=dict)


def write_export(directory: Path, patients: Sequence[CraftedPatient]) -> Path:
    rows: dict[str, list[dict]] = {name: [] for name in TABLES}
    scores: list[dict] = []
    for p in patients:
        stages = {"screened_min": 0, "eligible_min": 0, "consented_min": 0} | {
            f"{k}_min": v for k, v in p.stage_minutes.items()
        }
        rows["patients"].append(
            {
                "patient_id": p.patient_id,
                "clinic_id": p.clinic_id,
                "sex": p.sex,
                "age_band": p.age_band,
                "state": "CA",
                "prior_trials": p.prior_trials,
                "referred_min": -100_000,
                **stages,
            }
        )
        starts = [p.first_treatment_at, *p.extra_courses]
        for number, start in enumerate(starts):
            course_id = p.patient_id * 10 + number
            rows["courses"].append(
                {
                    "course_id": course_id,
                    "patient_id": p.patient_id,
                    "clinic_id": p.clinic_id,
                    "route": p.route,
                    "indication": p.indication,
                    "first_treatment_min": None if start is None else minutes(start),
                    "induction_completed_min": None,
                    "maintenance_started_min": None,
                    "ended_min": None,
                }
            )
        for number, (at, phase, alerts) in enumerate(p.sessions):
            rows["sessions"].append(
                {
                    "session_id": p.patient_id * 1000 + number,
                    "course_id": p.patient_id * 10,
                    "patient_id": p.patient_id,
                    "at_min": minutes(at),
                    "phase": phase,
                    "administered": True,
                    "dose_mg": 35.0,
                    "vital_alerts": alerts,
                }
            )
        for number, (at, serious) in enumerate(p.adverse_events):
            rows["adverse_events"].append(
                {
                    "event_id": p.patient_id * 1000 + number,
                    "patient_id": p.patient_id,
                    "course_id": p.patient_id * 10,
                    "session_id": None,
                    "at_min": minutes(at),
                    "category": "nausea",
                    "severity": "mild",
                    "serious": serious,
                }
            )
        for score in p.scores:
            scores.append(
                {
                    "patient_id": p.patient_id,
                    "instrument": score.code,
                    "at_min": minutes(score.at),
                    "score": score.total,
                    "si_item": min(score.total // 7, 3) if score.code == "phq9" else None,
                }
            )
    columns = {name: _columns(name, table_rows) for name, table_rows in rows.items()}
    columns["courses"], columns["observations"] = derive(
        columns["courses"], observations_table(scores)
    )
    for name, data in columns.items():
        write_table(directory, name, data)
    return directory


def _columns(table: str, rows: list[dict]) -> dict[str, list]:
    return {
        name: [row[name] for row in rows]
        for name in TABLES[table].names
        if name not in derived_columns(table)
    }
