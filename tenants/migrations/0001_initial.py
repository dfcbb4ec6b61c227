"""Tenant and Membership move here from amazon_ext (the bottom app of the stack).

State only: the tables amazon_ext.0001 created are adopted as they are; 0002 renames them.
"""

import django.db.models.deletion
import tenants.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("amazon_ext", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='Tenant',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(help_text='e.g. Acme Outdoor Ltd', max_length=200, verbose_name='organisation name')),
                        ('time_zone', models.CharField(default='UTC', help_text='IANA time zone the schedules run in, e.g. America/Los_Angeles', max_length=64, validators=[tenants.models.validate_time_zone])),
                        ('install_scope', models.CharField(choices=[('admins', 'Install for admins only'), ('all', 'Install for all users'), ('profiles', 'Choose profiles')], default='admins', help_text="Who may use the extension (manual 1.1, 'Choose Users/Profiles')", max_length=16)),
                        ('allowed_profiles', models.JSONField(blank=True, default=list, help_text='Profile names allowed when the scope is "Choose profiles", e.g. ["Sales"]')),
                        ('super_admin_email', models.EmailField(blank=True, help_text="The CRM's super administrator; receives run emails by default", max_length=254)),
                        ('notification_emails', models.JSONField(blank=True, default=list, help_text='Who receives run emails; empty means the super administrator')),
                        ('terms_accepted_at', models.DateTimeField(blank=True, null=True)),
                        ('installed_at', models.DateTimeField(blank=True, null=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                    ],
                    options={
                        'ordering': ['name', 'id'],
                        'db_table': 'amazon_ext_tenant',
                    },
                ),
                migrations.CreateModel(
                    name='Membership',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('profile', models.CharField(default='Standard', help_text='"Administrator", "Standard" or a custom profile name such as "Sales"', max_length=100)),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='memberships', to=settings.AUTH_USER_MODEL)),
                        ('tenant', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='memberships', to='tenants.tenant')),
                    ],
                    options={
                        'db_table': 'amazon_ext_membership',
                        'constraints': [models.UniqueConstraint(fields=('tenant', 'user'), name='one_membership_per_tenant')],
                    },
                ),
            ],
        ),
    ]
