"""Staged sales orders → the payloads Zoho is sent: their lookups (the buyer's Contact and
each line's Product) resolved to the Zoho ids the links hold, just before the write. Used by
the writer and by verification's repairs."""

from __future__ import annotations

from collections.abc import Iterable

from crm_sync.models import ZohoLink
from crm_sync.pipeline import lookups
from crm_sync.pipeline.job import SyncJob
from crm_sync.pipeline.staged import StagedRow
from crm_sync.zoho.modules import CONTACTS, PRODUCTS


def link_ids(job: SyncJob, module: str, keys: Iterable[str]) -> dict[str, str]:
    """Amazon key → Zoho id of what this tenant has written to ``module``."""
    return dict(
        ZohoLink.objects.filter(
            tenant_id=job.tenant_id, module=module, amazon_key__in=list(set(keys))
        ).values_list("amazon_key", "zoho_id")
    )


def resolved(
    job: SyncJob, rows: list[StagedRow]
) -> tuple[list[tuple[StagedRow, dict]], list[tuple[StagedRow, str]]]:
    """(ready: (row, JSON-ready payload with Zoho ids in its lookups), unwritable: (row,
    why)): an order whose product or contact could not be written is unwritable. The rows'
    ``data`` is JSON-ready already (``staged.staged_rows``)."""
    return lookups.resolve(
        rows,
        product_ids=link_ids(job, PRODUCTS, (asin for row in rows for asin in row.product_keys)),
        contact_ids=link_ids(job, CONTACTS, (row.buyer_key for row in rows)),
    )
