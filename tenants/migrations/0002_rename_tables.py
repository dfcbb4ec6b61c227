from django.db import migrations


class Migration(migrations.Migration):
    """Rename after every migration that creates a foreign key to the old table has run:
    PostgreSQL checks that a constraint's table exists when the constraint is created."""

    dependencies = [
        ("tenants", "0001_initial"),
        ("crm_sync", "0002_staged_record"),
        ("history", "0002_alter_syncrun_outcome"),
    ]

    operations = [
        migrations.AlterModelTable(name="tenant", table=None),
        migrations.AlterModelTable(name="membership", table=None),
    ]
