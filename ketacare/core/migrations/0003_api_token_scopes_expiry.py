"""API tokens carry scopes and an expiry. Tokens issued before keep read and write (what they
could do) and expire 90 days after this migration."""

import datetime as dt

from django.db import migrations, models
from django.utils import timezone


def expire_existing(apps, schema_editor):
    ApiToken = apps.get_model("core", "ApiToken")
    ApiToken.objects.update(scopes="read,write", expires_at=timezone.now() + dt.timedelta(days=90))


class Migration(migrations.Migration):
    dependencies = [("core", "0002_staff_invitation")]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="scopes",
            field=models.CharField(default="read", max_length=40),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.RunPython(expire_existing, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(),
        ),
    ]
