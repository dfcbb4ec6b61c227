"""Staged sales orders → the payloads Zoho is sent: their lookups (the buyer's Contact and
each line's Product) resolved to the Zoho ids the links hold, just before the write. Used by
the writer and by verification's repairs."""

from __future__ import annotations

from django.db.models import Q

from crm_sync.models import ZohoLink
from crm_sync.pipeline import lookups
from crm_sync.pipeline.job import SyncJob
from crm_sync.pipeline.staged import StagedRow
from crm_sync.zoho.modules import CONTACTS, PRODUCTS


def resolved(
    job: SyncJob, rows: list[StagedRow]
) -> tuple[list[tuple[StagedRow, dict]], list[tuple[StagedRow, str]]]:
    """(ready: (row, JSON-ready payload with Zoho ids in its lookups), unwritable: (row,
    why)): an order whose product or contact could not be written is unwritable. The rows'
    ``data`` is JSON-ready already (``staged.staged_rows``). One query reads both modules'
    links."""
    asins = {asin for row in rows for asin in row.product_keys}
    buyers = {row.buyer_key for row in rows}
    ids: dict[str, dict[str, str]] = {PRODUCTS: {}, CONTACTS: {}}
    for module, key, zoho_id in ZohoLink.objects.filter(
        Q(module=PRODUCTS, amazon_key__in=list(asins))
        | Q(module=CONTACTS, amazon_key__in=list(buyers)),
        tenant_id=job.tenant_id,
    ).values_list("module", "amazon_key", "zoho_id"):
        ids[module][key] = zoho_id
    return lookups.resolve(rows, product_ids=ids[PRODUCTS], contact_ids=ids[CONTACTS])
