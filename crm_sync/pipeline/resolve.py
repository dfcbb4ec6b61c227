"""Staged sales orders → the payloads Zoho is sent: their lookups (the buyer's Contact and
each line's Product) resolved to the Zoho ids the links hold, just before the write. Used by
the writer and by verification's repairs."""

from __future__ import annotations

from collections.abc import Iterable

from crm_sync import mapping
from crm_sync.models import StagedRecord, ZohoLink
from crm_sync.pipeline import lookups
from crm_sync.pipeline.job import SyncJob
from crm_sync.zoho.modules import CONTACTS, PRODUCTS


def link_ids(job: SyncJob, module: str, keys: Iterable[str]) -> dict[str, str]:
    """Amazon key → Zoho id of what this tenant has written to ``module``."""
    return dict(
        ZohoLink.objects.filter(
            tenant_id=job.tenant_id, module=module, amazon_key__in=list(set(keys))
        ).values_list("amazon_key", "zoho_id")
    )


def resolved(
    job: SyncJob, rows: list[StagedRecord]
) -> tuple[list[tuple[StagedRecord, dict]], list[tuple[StagedRecord, str]]]:
    """(ready: (row, JSON-ready payload with Zoho ids in its lookups), unwritable: (row,
    why)): an order whose product or contact could not be written is unwritable."""
    ready, unwritable = lookups.resolve(
        rows,
        product_ids=link_ids(job, PRODUCTS, (asin for row in rows for asin in row.product_keys)),
        contact_ids=link_ids(job, CONTACTS, (row.buyer_key for row in rows)),
    )
    return [(row, mapping.to_json_ready(data)) for row, data in ready], unwritable
