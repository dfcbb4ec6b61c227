from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("tenants", "0001_initial"),
    ]

    operations = [
        migrations.AlterModelTable(name="tenant", table=None),
        migrations.AlterModelTable(name="membership", table=None),
    ]
