from django.db import migrations, models


class Migration(migrations.Migration):
    """The administration record knows what the bag on the pump holds (drug, diluent, volume)."""

    dependencies = [("treatment_sessions", "0001_initial")]

    operations = [
        migrations.RenameField(
            model_name="treatmentsession",
            old_name="concentration_mg_per_ml",
            new_name="vial_concentration_mg_per_ml",
        ),
        migrations.AddField(
            model_name="treatmentsession",
            name="bag_drug_mg",
            field=models.DecimalField(blank=True, decimal_places=2, max_digits=8, null=True),
        ),
        migrations.AddField(
            model_name="treatmentsession",
            name="bag_diluent_ml",
            field=models.DecimalField(blank=True, decimal_places=1, max_digits=8, null=True),
        ),
        migrations.AddField(
            model_name="treatmentsession",
            name="bag_volume_ml",
            field=models.DecimalField(
                blank=True,
                decimal_places=1,
                help_text="The bag's final volume with the drug added.",
                max_digits=8,
                null=True,
            ),
        ),
    ]
