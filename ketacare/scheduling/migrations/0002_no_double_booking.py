"""The database refuses two occupancies that overlap on one chair or one patient.

PostgreSQL: exclusion constraints over ``tstzrange(starts_at, ends_at, '[)')`` (``btree_gist``
gives ``=`` on the id inside a GiST index; it is a trusted extension, so the database owner may
create it). SQLite: triggers that abort an insert or update that would overlap (SQLite has no
exclusion constraint). Then every booked or completed appointment gets its occupancy; one that
already overlaps another (booked before this guard existed) is left out and listed.
"""

from django.db import IntegrityError, migrations, transaction

TABLE = "scheduling_occupancy"
RANGE = "tstzrange(starts_at, ends_at, '[)')"
POSTGRES = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    f"ALTER TABLE {TABLE} ADD CONSTRAINT occupancy_no_chair_overlap EXCLUDE USING gist "
    f"(chair_id WITH =, {RANGE} WITH &&) WHERE (chair_id IS NOT NULL)",
    f"ALTER TABLE {TABLE} ADD CONSTRAINT occupancy_no_patient_overlap EXCLUDE USING gist "
    f"(patient_id WITH =, {RANGE} WITH &&)",
]
POSTGRES_REVERSE = [
    f"ALTER TABLE {TABLE} DROP CONSTRAINT IF EXISTS occupancy_no_chair_overlap",
    f"ALTER TABLE {TABLE} DROP CONSTRAINT IF EXISTS occupancy_no_patient_overlap",
]


def _sqlite_trigger(name: str, event: str, column: str, extra: str = "") -> str:
    return f"""
CREATE TRIGGER {name} BEFORE {event} ON {TABLE}
WHEN {extra} EXISTS (
    SELECT 1 FROM {TABLE} AS other
    WHERE other.{column} = NEW.{column}
      AND other.appointment_id != NEW.appointment_id
      AND julianday(other.starts_at) < julianday(NEW.ends_at)
      AND julianday(NEW.starts_at) < julianday(other.ends_at)
)
BEGIN
    SELECT RAISE(ABORT, '{name.rsplit("_", 1)[0]}: the time is already taken');
END"""


SQLITE = [
    _sqlite_trigger("occupancy_no_chair_overlap_insert", "INSERT", "chair_id",
                    "NEW.chair_id IS NOT NULL AND"),
    _sqlite_trigger("occupancy_no_chair_overlap_update", "UPDATE", "chair_id",
                    "NEW.chair_id IS NOT NULL AND"),
    _sqlite_trigger("occupancy_no_patient_overlap_insert", "INSERT", "patient_id"),
    _sqlite_trigger("occupancy_no_patient_overlap_update", "UPDATE", "patient_id"),
]
SQLITE_REVERSE = [
    f"DROP TRIGGER IF EXISTS {name}"
    for name in (
        "occupancy_no_chair_overlap_insert",
        "occupancy_no_chair_overlap_update",
        "occupancy_no_patient_overlap_insert",
        "occupancy_no_patient_overlap_update",
    )
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, ()):
            schema_editor.execute(statement)

    return run


def backfill(apps, schema_editor):
    Appointment = apps.get_model("treatment", "Appointment")
    Occupancy = apps.get_model("scheduling", "Occupancy")
    skipped = []
    rows = Appointment.objects.filter(status__in=("booked", "completed")).order_by("starts_at")
    for appointment in rows.iterator():
        try:
            with transaction.atomic():
                Occupancy.objects.create(
                    appointment_id=appointment.pk,
                    clinic_id=appointment.clinic_id,
                    chair_id=appointment.chair_id,
                    patient_id=appointment.patient_id,
                    starts_at=appointment.starts_at,
                    ends_at=appointment.ends_at,
                )
        except IntegrityError:
            skipped.append(appointment.pk)
    if skipped:
        print(f"\n  Appointments overlapping an earlier one, left unguarded: {skipped}")


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRES, "sqlite": SQLITE}),
            _run({"postgresql": POSTGRES_REVERSE, "sqlite": SQLITE_REVERSE}),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
