"""A patient's SPRAVATO REMS enrolment is recorded once: the treatment app takes over the
patient's enrolment record (same table) and folds in what courses recorded.

A course's enrolment date and number move to the patient's record. Where the patient has none,
one is created as enrolled on that date. Where the patient's record already says enrolled, it
keeps its own date and gains the course's number if it had none. Where it says *not enrolled*,
that stands (the safer reading: the REMS requires enrolment before a first dose) and its note
says what the course had recorded, for the team to confirm.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone


def fold_course_enrolments(apps, schema_editor):
    Course = apps.get_model("treatment", "TreatmentCourse")
    Enrolment = apps.get_model("treatment", "RemsEnrolment")
    now = timezone.now()
    courses = Course.objects.exclude(rems_enrolled_on=None).order_by("created_at", "pk")
    for course in courses:
        row = Enrolment.objects.filter(patient_id=course.patient_id).first()
        number = (course.rems_enrolment_id or "")[:40]
        if row is None:
            Enrolment.objects.create(
                patient_id=course.patient_id,
                status="enrolled",
                enrolled_on=course.rems_enrolled_on,
                enrolment_id=number,
                note="Recorded on the patient's esketamine course.",
                updated_at=now,
            )
        elif row.status == "enrolled":
            row.enrolled_on = row.enrolled_on or course.rems_enrolled_on
            row.enrolment_id = row.enrolment_id or number
            row.save(update_fields=["enrolled_on", "enrolment_id"])
        else:
            recorded = f"{course.rems_enrolled_on:%Y-%m-%d} {number}".strip()
            row.note = (
                f"{row.note}\nA course recorded enrolment on {recorded}: confirm with the REMS "
                "and record it again if it holds."
            ).strip()
            row.save(update_fields=["note"])


def unfold_course_enrolments(apps, schema_editor):
    Course = apps.get_model("treatment", "TreatmentCourse")
    Enrolment = apps.get_model("treatment", "RemsEnrolment")
    for row in Enrolment.objects.filter(status="enrolled"):
        Course.objects.filter(patient_id=row.patient_id, route="esketamine_nasal").update(
            rems_enrolled_on=row.enrolled_on, rems_enrolment_id=row.enrolment_id
        )


class Migration(migrations.Migration):
    dependencies = [
        ("treatment", "0003_protocol_settings_to_clinic_settings"),
        ("treatment_sessions", "0004_rems_enrolment_to_treatment"),
        ("patients", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="RemsEnrolment",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("enrolled", "Enrolled"),
                                    ("not_enrolled", "Not enrolled"),
                                ],
                                max_length=14,
                            ),
                        ),
                        ("enrolled_on", models.DateField(blank=True, null=True)),
                        ("note", models.TextField(blank=True)),
                        ("updated_at", models.DateTimeField()),
                        (
                            "patient",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="patients.patient",
                            ),
                        ),
                        (
                            "updated_by",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={"db_table": "treatment_sessions_remsenrolment"},
                )
            ],
            database_operations=[],
        ),
        migrations.AddField(
            model_name="remsenrolment",
            name="enrolment_id",
            field=models.CharField(
                blank=True,
                help_text="The patient's REMS enrolment number, if given.",
                max_length=40,
            ),
        ),
        migrations.RunPython(fold_course_enrolments, unfold_course_enrolments),
        migrations.RemoveField(model_name="treatmentcourse", name="rems_enrolled_on"),
        migrations.RemoveField(model_name="treatmentcourse", name="rems_enrolment_id"),
    ]
