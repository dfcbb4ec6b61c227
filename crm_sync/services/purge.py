"""Delete non-PII Amazon data older than the tenant's limit (default 18 months, Amazon's
Data Protection Policy): Order History, finished Amazon Sync History runs (their staged
rows go with them), order states and links of orders not seen since, and the removed
buyer-data records. Data-protection runs stay 18 months whatever the setting: they are
the evidence of compliance, and logs must be kept at least 12 months.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction

from crm_sync.models import AmazonOrderState, ZohoLink
from crm_sync.models.data_protection import MAX_NON_PII_DAYS, BuyerDataHold, DataProtectionRun
from crm_sync.zoho.modules import SALES_ORDERS
from history.models import OrderEvent, SyncRun

CHUNK = 1000  # ids per delete, so a large tenant's purge never holds long locks


def _delete_in_chunks(queryset) -> int:
    total = 0
    while True:
        ids = list(queryset.values_list("pk", flat=True)[:CHUNK])
        if not ids:
            return total
        with transaction.atomic():
            total += (
                queryset.model.objects.filter(pk__in=ids)
                .delete()[1]
                .get(queryset.model._meta.label, 0)
            )


def _purge_states(tenant_id: int, cutoff: datetime) -> int:
    """Order states not updated since ``cutoff``, with their Sales Order links (an order
    Amazon changes again later is upserted by its Amazon Order ID, never duplicated)."""
    states = AmazonOrderState.objects.filter(tenant_id=tenant_id, updated_at__lt=cutoff)
    total = 0
    while True:
        chunk = list(states.values_list("pk", "amazon_order_id")[:CHUNK])
        if not chunk:
            return total
        with transaction.atomic():
            ZohoLink.objects.filter(
                tenant_id=tenant_id, module=SALES_ORDERS, amazon_key__in=[o for _, o in chunk]
            ).delete()
            AmazonOrderState.objects.filter(pk__in=[pk for pk, _ in chunk]).delete()
        total += len(chunk)


def purge_old(*, tenant_id: int, now: datetime, older_than_days: int) -> dict[str, int]:
    """Delete what is older than ``older_than_days``; returns counts per kind."""
    cutoff = now - timedelta(days=older_than_days)
    counts = {
        "order_events": _delete_in_chunks(
            OrderEvent.objects.filter(tenant_id=tenant_id, created_at__lt=cutoff)
        ),
        "sync_runs": _delete_in_chunks(
            SyncRun.objects.filter(tenant_id=tenant_id, finished_at__lt=cutoff)
        ),
        "order_states": _purge_states(tenant_id, cutoff),
        "buyer_data_records": _delete_in_chunks(
            BuyerDataHold.objects.filter(tenant_id=tenant_id, removed_at__lt=cutoff)
        ),
    }
    evidence_cutoff = now - timedelta(days=MAX_NON_PII_DAYS)
    _delete_in_chunks(
        DataProtectionRun.objects.filter(tenant_id=tenant_id, started_at__lt=evidence_cutoff)
    )
    return {kind: n for kind, n in counts.items() if n}
