"""The patient's REMS enrolment record moves to the treatment app, which keeps it once for the
course checklist, the session and billing alike. Its table stays where it is: only the model's
owner changes here (``treatment`` 0004 takes it over)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("treatment_sessions", "0003_monitoring_settings_to_clinic_settings")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="RemsEnrolment")],
            database_operations=[],
        )
    ]
