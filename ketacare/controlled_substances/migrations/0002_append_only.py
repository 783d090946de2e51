"""The database itself refuses to change controlled-substance records once written.

PostgreSQL (production): a trigger on each append-only table refuses every UPDATE and DELETE;
products and storage locations refuse DELETE (a product's ``active`` flag may change). TRUNCATE
is an owner's operation: the application's database role should not hold it (docs/deployment).
SQLite (development and tests): UPDATE is refused the same way. DELETE is left to the models,
which always refuse it, because Django empties SQLite tables between transactional tests with
DELETE. Each clinic's hash chain (``ketacare ledger_verify``) shows any change made around both.
"""

from django.db import migrations

APPEND_ONLY = [
    "controlled_substances_ledgerentry",
    "controlled_substances_dearegistration",
    "controlled_substances_lot",
    "controlled_substances_count",
    "controlled_substances_countline",
    "controlled_substances_discrepancy",
    "controlled_substances_discrepancyresolution",
    "controlled_substances_lossreport",
    "controlled_substances_lossreportstep",
]
NEVER_DELETED = ["controlled_substances_product", "controlled_substances_storagelocation"]

POSTGRES = [
    """
CREATE OR REPLACE FUNCTION cs_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'controlled-substance records are append-only: % on % refused',
        TG_OP, TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql""",
    *(
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION cs_refuse_change()"
        for table in APPEND_ONLY
    ),
    *(
        f"CREATE TRIGGER {table}_never_deleted BEFORE DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION cs_refuse_change()"
        for table in NEVER_DELETED
    ),
]
POSTGRES_REVERSE = [
    *(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}" for table in APPEND_ONLY),
    *(f"DROP TRIGGER IF EXISTS {table}_never_deleted ON {table}" for table in NEVER_DELETED),
    "DROP FUNCTION IF EXISTS cs_refuse_change()",
]
SQLITE = [
    f"""CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
BEGIN
    SELECT RAISE(ABORT, 'controlled-substance records are append-only: UPDATE on {table} refused');
END"""
    for table in APPEND_ONLY
]
SQLITE_REVERSE = [f"DROP TRIGGER IF EXISTS {table}_no_update" for table in APPEND_ONLY]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, ()):
            schema_editor.execute(statement, params=None)  # "%" in PL/pgSQL is no placeholder

    return run


class Migration(migrations.Migration):
    dependencies = [("controlled_substances", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRES, "sqlite": SQLITE}),
            _run({"postgresql": POSTGRES_REVERSE, "sqlite": SQLITE_REVERSE}),
        )
    ]
