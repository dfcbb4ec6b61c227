from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("history", "0005_help_texts"),
    ]

    operations = [
        migrations.AddField(
            model_name="syncrun",
            name="quota_wait_until",
            field=models.DateTimeField(
                blank=True,
                help_text="While the run waits for Amazon's request quota: when the call may "
                "go (UTC); empty when it is not waiting",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="syncrun",
            name="quota_wait_for",
            field=models.CharField(
                blank=True,
                help_text='What waits for Amazon\'s quota, e.g. "next page" or "next order"',
                max_length=40,
            ),
        ),
    ]
