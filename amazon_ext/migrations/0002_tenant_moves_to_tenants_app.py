"""Tenant and Membership now live in the tenants app (state only here: tenants.0001 adopted
their tables, and every foreign key to them was re-pointed first)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("amazon_ext", "0001_initial"),
        ("tenants", "0002_rename_tables"),
        ("crm_sync", "0003_tenant_moves_to_tenants_app"),
        ("history", "0003_tenant_moves_to_tenants_app"),
    ]

    operations = [
        migrations.AlterField(
            model_name="amazoncredentials",
            name="tenant",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="amazon_credentials",
                to="tenants.tenant",
            ),
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name="Membership"),
                migrations.DeleteModel(name="Tenant"),
            ],
        ),
    ]
