# Data protection: buyer keys and buyer data expiry (Amazon's Data Protection Policy).

import django.core.validators
import django.db.models.deletion
import tenants.encryption
from django.db import migrations, models


def set_up_key_field_again(apps, schema_editor):
    """Connections set up before the buyer key get their "Amazon Buyer Key" field at the
    next run: field setup runs again when ``fields_ready_at`` is empty (it reuses every
    field that exists, so it creates only the new one)."""
    ZohoConnection = apps.get_model("crm_sync", "ZohoConnection")
    for connection in ZohoConnection.objects.exclude(fields_ready_at=None):
        if "Amazon Buyer Key" not in (connection.field_api_names or {}).get("Contacts", {}):
            connection.fields_ready_at = None
            connection.save(update_fields=["fields_ready_at"])


class Migration(migrations.Migration):

    dependencies = [
        ('crm_sync', '0007_backfill_and_preview'),
        ('tenants', '0004_signin_lock'),
    ]

    operations = [
        migrations.CreateModel(
            name='BuyerDataHold',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('amazon_order_id', models.CharField(help_text='Amazon Order ID, e.g. "305-1234567-1234567"', max_length=32)),
                ('marketplace_id', models.CharField(blank=True, help_text='Where it was sold, e.g. "A1PA6795UKMFR9"', max_length=20)),
                ('buyer_key', models.CharField(help_text='The Contact key (a keyed hash, not PII), e.g. "bk1:9f2c…" or "amazon-customer:A1PA6795UKMFR9"', max_length=96)),
                ('contact_has_pii', models.BooleanField(default=False, help_text="True when the order's buyer data went onto its contact too (identified buyer, or one contact per order)")),
                ('values', tenants.encryption.EncryptedSecretField(blank=True, help_text='Encrypted; the buyer data Amazon gave, to find it in free text. Emptied when it is removed', verbose_name='buyer data values')),
                ('purchase_date', models.DateTimeField(help_text="Amazon's PurchaseDate")),
                ('latest_delivery_date', models.DateTimeField(blank=True, help_text="Amazon's LatestDeliveryDate / deliverByWindow.latestDateTime, if it gave one", null=True)),
                ('shipped_at', models.DateTimeField(blank=True, help_text="Amazon's LastUpdateDate when we first saw the order Shipped", null=True)),
                ('cancelled_at', models.DateTimeField(blank=True, help_text="Amazon's LastUpdateDate when we first saw the order Canceled", null=True)),
                ('delivered_at', models.DateTimeField(blank=True, help_text='Delivery as we count it (see crm_sync.retention); empty while not shipped', null=True)),
                ('delivery_basis', models.CharField(blank=True, help_text='What delivered_at comes from: "latest delivery date", "shipment" or "cancellation"', max_length=24)),
                ('expires_at', models.DateTimeField(blank=True, help_text='When the buyer data is removed: delivered_at + the retention period (UTC)', null=True)),
                ('removed_at', models.DateTimeField(blank=True, help_text='When the buyer data was removed (UTC)', null=True)),
                ('created_at', models.DateTimeField(auto_now_add=True, help_text='When we first held it')),
                ('updated_at', models.DateTimeField(auto_now=True, help_text='Last change')),
                ('tenant', models.ForeignKey(help_text='Whose order this is', on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenants.tenant')),
            ],
        ),
        migrations.CreateModel(
            name='DataProtectionRun',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('started_at', models.DateTimeField(help_text='When the job began (UTC)')),
                ('finished_at', models.DateTimeField(blank=True, help_text='When it ended (UTC)', null=True)),
                ('outcome', models.CharField(choices=[('success', 'Success'), ('partial', 'Completed with errors'), ('failed', 'Failed')], default='success', help_text='"Success", or "Completed with errors" when Zoho refused some records', max_length=16)),
                ('orders_redacted', models.PositiveIntegerField(default=0, help_text='Orders whose buyer data was removed')),
                ('sales_orders_redacted', models.PositiveIntegerField(default=0, help_text='Zoho Sales Orders whose shipping street was cleared')),
                ('contacts_anonymised', models.PositiveIntegerField(default=0, help_text='Zoho Contacts whose every order expired, made anonymous')),
                ('local_rows_scrubbed', models.PositiveIntegerField(default=0, help_text='Our own rows (staged records, history messages, run notes) cleaned')),
                ('emails_scrubbed', models.PositiveIntegerField(default=0, help_text='Stored sent emails cleaned of buyer data')),
                ('zoho_writes', models.PositiveIntegerField(default=0, help_text='Zoho write calls made')),
                ('purged', models.JSONField(blank=True, default=dict, help_text='Non-PII rows deleted for age, e.g. {"order_events": 120, "sync_runs": 3}')),
                ('error', models.TextField(blank=True, help_text='What went wrong and what to do next')),
                ('tenant', models.ForeignKey(help_text='Whose data', on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenants.tenant')),
            ],
            options={
                'ordering': ['-started_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='DataProtectionSettings',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('retention_days', models.PositiveSmallIntegerField(default=30, help_text="Buyer name, email, street and phone are removed this many days after delivery, e.g. 30 (Amazon's limit; shorter is allowed, longer is not)", validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(30)], verbose_name='keep buyer data (days after delivery)')),
                ('non_pii_days', models.PositiveSmallIntegerField(default=548, help_text="Order History, Amazon Sync History and order states older than this are deleted, e.g. 548 (18 months, Amazon's limit for non-PII data)", validators=[django.core.validators.MinValueValidator(30), django.core.validators.MaxValueValidator(548)], verbose_name='keep order history (days)')),
                ('anonymous_contacts', models.CharField(choices=[('marketplace', 'One “Amazon Customer” contact per marketplace'), ('order', 'One contact per order')], default='marketplace', help_text='Where orders without Amazon\'s relay email go: one contact per marketplace ("Amazon Customer (Amazon.de)") or one contact per order', max_length=16, verbose_name='orders without a buyer identity')),
                ('buyer_key_secret', tenants.encryption.EncryptedSecretField(help_text='Encrypted at rest; the HMAC key that turns a relay email into a Contact key. Never shown; changing it would split every buyer from their contact', verbose_name='buyer key secret')),
                ('keys_migrated_at', models.DateTimeField(blank=True, help_text='When contacts keyed by email (before this version) got their buyer key', null=True)),
                ('created_at', models.DateTimeField(auto_now_add=True, help_text='When these were created')),
                ('updated_at', models.DateTimeField(auto_now=True, help_text='Last change')),
                ('tenant', models.OneToOneField(help_text='The organisation these settings belong to', on_delete=django.db.models.deletion.CASCADE, related_name='data_protection', to='tenants.tenant')),
            ],
            options={
                'verbose_name': 'data protection settings',
                'verbose_name_plural': 'data protection settings',
            },
        ),
        migrations.AddIndex(
            model_name='buyerdatahold',
            index=models.Index(condition=models.Q(('removed_at__isnull', True)), fields=['tenant', 'expires_at'], name='buyer_data_due'),
        ),
        migrations.AddIndex(
            model_name='buyerdatahold',
            index=models.Index(fields=['tenant', 'buyer_key'], name='buyer_data_by_key'),
        ),
        migrations.AddConstraint(
            model_name='buyerdatahold',
            constraint=models.UniqueConstraint(fields=('tenant', 'amazon_order_id'), name='one_buyer_data_hold_per_order'),
        ),
        migrations.AddIndex(
            model_name='dataprotectionrun',
            index=models.Index(fields=['tenant', '-started_at'], name='dp_run_latest'),
        ),
        migrations.RunPython(set_up_key_field_again, migrations.RunPython.noop),
    ]
