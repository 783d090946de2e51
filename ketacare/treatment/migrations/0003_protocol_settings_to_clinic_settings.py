"""The treatment protocol's values move into the one clinic-settings table (keys
``treatment.<key>``), kept as the clinic set them, with who set them and when."""

from django.db import migrations

PREFIX = "treatment."


def forwards(apps, schema_editor):
    ProtocolSetting = apps.get_model("treatment", "ProtocolSetting")
    ClinicSetting = apps.get_model("clinic_settings", "ClinicSetting")
    ClinicSetting.objects.bulk_create(
        [
            ClinicSetting(
                clinic_id=row.clinic_id,
                key=PREFIX + row.key,
                value=row.value,
                updated_at=row.updated_at,
                updated_by_id=row.updated_by_id,
            )
            for row in ProtocolSetting.objects.all()
        ]
    )


def backwards(apps, schema_editor):
    ProtocolSetting = apps.get_model("treatment", "ProtocolSetting")
    ClinicSetting = apps.get_model("clinic_settings", "ClinicSetting")
    moved = ClinicSetting.objects.filter(key__startswith=PREFIX)
    ProtocolSetting.objects.bulk_create(
        [
            ProtocolSetting(
                clinic_id=row.clinic_id,
                key=row.key.removeprefix(PREFIX),
                value=row.value,
                updated_at=row.updated_at,
                updated_by_id=row.updated_by_id,
            )
            for row in moved
        ]
    )
    moved.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("treatment", "0002_aftercareplan_checklistitem_protocolsetting_and_more"),
        ("clinic_settings", "0001_initial"),
        # that migration still writes the screening's blood-pressure limits to the old table
        ("treatment_sessions", "0003_monitoring_settings_to_clinic_settings"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
        migrations.DeleteModel(name="ProtocolSetting"),
    ]
