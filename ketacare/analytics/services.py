"""Writing exports: the de-identified research export, and the identified one for the clinic."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ketacare.analytics.extract import clinic_access, extract
from ketacare.analytics.layout import TABLES, data_dictionary_markdown, write_table
from ketacare.analytics.pseudonyms import ExportIds, identities
from ketacare.audit.services import RequestOrigin, audit_record
from ketacare.core.errors import Forbidden, Invalid
from ketacare.core.models import Clinic, StaffMembership
from ketacare.core.roles import Role
from ketacare.patients.selectors import patients_in_scope

DICTIONARY_FILE = "DATA_DICTIONARY.md"
IDENTITIES_DIR = "identities"


@dataclass(frozen=True)
class ExportSummary:
    directory: Path
    rows: dict[str, int]
    identified: bool


def _target(out_dir: Path | str) -> Path:
    directory = Path(out_dir)
    if directory.exists() and any(directory.iterdir()):
        raise Invalid.field(
            "out", f"{directory} is not empty: export into a new or empty directory."
        )
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def _write(clinics: Sequence[Clinic], directory: Path, at: dt.datetime) -> dict[str, int]:
    names = ExportIds(at=at)
    tables = extract(clinics, now=at, ids=names.ids)
    rows = {}
    for table in TABLES:
        columns = tables.columns[table]
        write_table(directory, table, {name: columns.get(name, []) for name in TABLES[table].names})
        rows[table] = len(next(iter(columns.values()), [])) if columns else 0
    (directory / DICTIONARY_FILE).write_text(data_dictionary_markdown(), encoding="utf-8")
    names.save()
    return rows


def export_deidentified(
    *, clinics: Sequence[Clinic], out_dir: Path | str, origin: RequestOrigin, at: dt.datetime
) -> ExportSummary:
    """Parquet tables under HIPAA Safe Harbor (reference §12) and their data dictionary."""
    directory = _target(out_dir)
    rows = _write(clinics, directory, at)
    for clinic in clinics:
        audit_record(
            origin=origin,
            action="export",
            object_type="analytics_export",
            clinic_id=clinic.pk,
            summary=f"De-identified analytics export ({sum(rows.values())} rows) to {directory}"[
                :300
            ],
            changes={"rows": rows, "identified": False},
            at=at,
        )
    return ExportSummary(directory, rows, identified=False)


def is_medical_director_of(user, clinics: Sequence[Clinic]) -> bool:
    """A medical director at every one of ``clinics`` (or network-wide for their network)."""
    memberships = StaffMembership.objects.filter(
        user=user, active=True, role=Role.MEDICAL_DIRECTOR
    ).values_list("clinic_id", "organisation_id")
    clinic_ids = {c for c, _ in memberships if c is not None}
    networks = {o for c, o in memberships if c is None}
    return all(c.pk in clinic_ids or c.organisation_id in networks for c in clinics)


def export_identified(
    *,
    clinics: Sequence[Clinic],
    out_dir: Path | str,
    by,
    origin: RequestOrigin,
    at: dt.datetime,
) -> ExportSummary:
    """The same tables plus ``identities/`` (surrogate → MRN, name, date of birth) for the
    clinic's own use: a medical director only, audited as an identified export."""
    if by is None or not is_medical_director_of(by, clinics):
        raise Forbidden("Only the clinic's medical director may export identified data.")
    directory = _target(out_dir)
    rows = _write(clinics, directory, at)
    people = []
    for clinic in clinics:
        people += list(
            patients_in_scope(clinic_access(clinic)).values_list(
                "pk", "mrn", "first_name", "last_name", "date_of_birth"
            )
        )
    by_id = {pk: (mrn, first, last, born) for pk, mrn, first, last, born in people}
    mapping = identities(by_id)
    table = pa.table(
        {
            "patient_id": pa.array(list(mapping), pa.int64()),
            "mrn": [by_id[pk][0] for pk in mapping.values()],
            "first_name": [by_id[pk][1] for pk in mapping.values()],
            "last_name": [by_id[pk][2] for pk in mapping.values()],
            "date_of_birth": pa.array([by_id[pk][3] for pk in mapping.values()], pa.date32()),
        }
    )
    (directory / IDENTITIES_DIR).mkdir()
    pq.write_table(table, directory / IDENTITIES_DIR / "part-00000.parquet")
    rows[IDENTITIES_DIR] = table.num_rows
    for clinic in clinics:
        audit_record(
            origin=origin,
            action="export",
            object_type="analytics_export",
            clinic_id=clinic.pk,
            summary=f"IDENTIFIED analytics export ({table.num_rows} patients) to {directory}"[:300],
            changes={"rows": rows, "identified": True},
            at=at,
        )
    return ExportSummary(directory, rows, identified=True)
