from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("amazon_ext", "0003_help_texts"),
    ]

    operations = [
        migrations.AddField(
            model_name="amazoncredentials",
            name="orders_v2026_refused_at",
            field=models.DateTimeField(
                blank=True,
                help_text="When Amazon last refused Orders API v2026-01-01 for these "
                "marketplaces while v0 worked (runs use v0 until the retry, e.g. a week "
                "later); empty: v2026 works",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="amazoncredentials",
            name="orders_v2026_refused_reason",
            field=models.CharField(
                blank=True,
                help_text="What Amazon answered then, e.g. Unauthorized, Amazon RequestId 6b1c…",
                max_length=300,
            ),
        ),
    ]
