"""The monitoring values move into the clinic-settings registry (one table for every app).

Each clinic's stored value for a route becomes ``monitoring.<route>.<field>`` in
``clinic_settings.ClinicSetting``. The two values that are set elsewhere go there: the fasting
times to the treatment protocol, and the pre-dose blood-pressure caution to the screening's
pre-treatment limit (``bp.pre_treatment_*``), where, when both were set, the lower (more cautious)
limit is kept. A value already stored at its destination is never overwritten otherwise.
"""

from django.db import migrations

FASTING_KEYS = ("fasting_food_minutes", "fasting_liquid_minutes")
SHARED_BP = {
    "predose_caution_systolic_mmhg": "bp.pre_treatment_systolic_max_mmhg",
    "predose_caution_diastolic_mmhg": "bp.pre_treatment_diastolic_max_mmhg",
}


def forward(apps, schema_editor):
    MonitoringSettings = apps.get_model("treatment_sessions", "MonitoringSettings")
    ClinicSetting = apps.get_model("clinic_settings", "ClinicSetting")
    ProtocolSetting = apps.get_model("treatment", "ProtocolSetting")
    for stored in MonitoringSettings.objects.all():
        for field, value in (stored.values or {}).items():
            if value is None:
                continue
            stamp = {"updated_at": stored.updated_at, "updated_by_id": stored.updated_by_id}
            if field in SHARED_BP:
                row = ProtocolSetting.objects.filter(
                    clinic_id=stored.clinic_id, key=SHARED_BP[field]
                ).first()
                if row is None:
                    ProtocolSetting.objects.create(
                        clinic_id=stored.clinic_id, key=SHARED_BP[field], value=value, **stamp
                    )
                elif value < row.value:
                    row.value = value
                    row.save(update_fields=["value"])
                continue
            if field in FASTING_KEYS:
                ProtocolSetting.objects.get_or_create(
                    clinic_id=stored.clinic_id,
                    key=f"monitoring.{stored.route}.{field}",
                    defaults={"value": value, **stamp},
                )
                continue
            ClinicSetting.objects.get_or_create(
                clinic_id=stored.clinic_id,
                key=f"monitoring.{stored.route}.{field}",
                defaults={"value": value, **stamp},
            )


class Migration(migrations.Migration):
    dependencies = [
        ("treatment_sessions", "0002_pump_contents"),
        ("clinic_settings", "0001_initial"),
        ("treatment", "0002_aftercareplan_checklistitem_protocolsetting_and_more"),
    ]

    operations = [
        migrations.RunPython(forward, migrations.RunPython.noop),
        migrations.DeleteModel(name="MonitoringSettings"),
    ]
