"""Per-clinic chains with lanes, keyed seals, and PostgreSQL guards.

Entries written before this migration keep their unkeyed SHA-256 hashes and become the chain
``legacy`` (position = their old sequence); its head is the old single head row. On PostgreSQL it
also creates the sequence that numbers entries across chains, and a trigger that refuses every
UPDATE and DELETE of an audit entry.
"""

from django.conf import settings
from django.db import migrations, models
from django.db.models import F, Max

SEQUENCE = "audit_entry_sequence"

APPEND_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'Audit entries are append-only: % of an audit entry is refused.', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
"""
APPEND_ONLY_TRIGGER = """
CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_auditentry
    FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only();
"""


def legacy_positions(apps, schema_editor):
    AuditEntry = apps.get_model("audit", "AuditEntry")
    AuditEntry.objects.update(position=F("sequence"))


def create_lanes(apps, schema_editor):
    """Lanes for sign-ins and for every clinic that exists, so that first appends never create
    them inside a long transaction (new clinics get theirs when they are created)."""
    AuditChainHead = apps.get_model("audit", "AuditChainHead")
    Clinic = apps.get_model("core", "Clinic")
    scopes = ["system", *(f"clinic-{pk}" for pk in Clinic.objects.values_list("pk", flat=True))]
    AuditChainHead.objects.bulk_create(
        [
            AuditChainHead(chain=f"{scope}/{lane}", scope=scope, lane=lane)
            for scope in scopes
            for lane in range(settings.AUDIT_CHAIN_LANES)
        ],
        ignore_conflicts=True,
    )


def postgres_guards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    AuditEntry = apps.get_model("audit", "AuditEntry")
    start = (AuditEntry.objects.aggregate(n=Max("sequence"))["n"] or 0) + 1
    schema_editor.execute(f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE} START WITH {int(start)}")
    schema_editor.execute(APPEND_ONLY_FUNCTION, params=None)  # its "%" is not a placeholder
    schema_editor.execute(APPEND_ONLY_TRIGGER)


def drop_postgres_guards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_auditentry")
    schema_editor.execute("DROP FUNCTION IF EXISTS audit_entry_append_only()")
    schema_editor.execute(f"DROP SEQUENCE IF EXISTS {SEQUENCE}")


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_initial"),
        ("core", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="auditentry",
            name="chain",
            field=models.CharField(default="legacy", max_length=40),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditentry",
            name="position",
            field=models.PositiveBigIntegerField(default=0),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditentry",
            name="key_id",
            field=models.CharField(blank=True, default="", max_length=16),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=models.DO_NOTHING,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="action",
            field=models.CharField(
                choices=[
                    ("create", "Create"),
                    ("update", "Update"),
                    ("delete", "Delete"),
                    ("view", "View"),
                    ("sign", "Sign"),
                    ("login", "Log in"),
                    ("login_failed", "Failed log in"),
                    ("logout", "Log out"),
                    ("export", "Export"),
                    ("send", "Send"),
                    ("denied", "Refused"),
                ],
                db_index=True,
                max_length=20,
            ),
        ),
        migrations.RunPython(legacy_positions, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="auditentry",
            constraint=models.UniqueConstraint(
                fields=("chain", "position"), name="audit_entry_chain_position"
            ),
        ),
        migrations.RenameField(
            model_name="auditchainhead", old_name="last_sequence", new_name="last_position"
        ),
        migrations.AddField(
            model_name="auditchainhead",
            name="chain",
            field=models.CharField(default="legacy", max_length=40),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditchainhead",
            name="scope",
            field=models.CharField(default="legacy", max_length=32),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditchainhead",
            name="lane",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AlterField(
            model_name="auditchainhead",
            name="chain",
            field=models.CharField(max_length=40, unique=True),
        ),
        migrations.AddConstraint(
            model_name="auditchainhead",
            constraint=models.UniqueConstraint(
                fields=("scope", "lane"), name="audit_head_scope_lane"
            ),
        ),
        migrations.RunPython(create_lanes, migrations.RunPython.noop),
        migrations.RunPython(postgres_guards, drop_postgres_guards),
    ]
