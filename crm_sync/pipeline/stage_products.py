"""Staging's rows, and its products: a product is staged unless Zoho holds its content
already, and not again when an earlier page of the run staged exactly the same record (a
10,000-order run sells its 500 products on every page; each page re-upserting them was a
third of the rows staged)."""

from __future__ import annotations

from crm_sync.mapping import ZohoRecord
from crm_sync.models import StagedRecord, ZohoLink
from crm_sync.pipeline.job import SyncJob
from crm_sync.zoho.modules import PRODUCTS


def fingerprints(job: SyncJob, module: str, keys: list[str]) -> dict[str, str]:
    """Amazon key → fingerprint of what Zoho holds."""
    return dict(
        ZohoLink.objects.filter(
            tenant_id=job.tenant_id, module=module, amazon_key__in=keys
        ).values_list("amazon_key", "fingerprint")
    )


def row(job: SyncJob, module: str, key: str, action: str, data: dict, **typed) -> dict:
    """A ``StagedRecord`` row as ``bulk_upsert`` takes it (no model instance per order)."""
    return {
        "tenant_id": job.tenant_id,
        "run_id": job.run.pk,
        "module": module,
        "amazon_key": key,
        "action": action,
        "data": data,
        **typed,
    }


def product_rows(job: SyncJob, records: list[ZohoRecord]) -> list[dict]:
    keys = [r.amazon_key for r in records]
    known = fingerprints(job, PRODUCTS, keys)
    staged = {
        key: (action, fingerprint, data)
        for key, action, fingerprint, data in StagedRecord.objects.filter(
            run=job.run, module=PRODUCTS, amazon_key__in=keys
        ).values_list("amazon_key", "action", "fingerprint", "data")
    }
    return [
        row(job, PRODUCTS, r.amazon_key, "upsert", r.data, fingerprint=r.fingerprint)
        for r in records
        if known.get(r.amazon_key) != r.fingerprint
        # A product known only from orders in another currency is written only if Zoho has
        # none yet and no priced version is staged: it must never take a price away.
        and not (r.create_only and (r.amazon_key in known or r.amazon_key in staged))
        and not _staged_as(staged.get(r.amazon_key), r)
    ]


def _staged_as(staged: tuple[str, str, dict] | None, record: ZohoRecord) -> bool:
    """Whether this run staged exactly ``record`` already (an earlier page sold the same
    product at the same price): upserting it again would change nothing."""
    if staged is None:
        return False
    action, fingerprint, data = staged
    return action == "upsert" and fingerprint == record.fingerprint and _same(data, record.data)


def _same(staged: dict, data: dict) -> bool:
    """Equal and stored alike: the same keys in the same order, values of the same type with
    the same text (Decimal("9.9") and Decimal("9.90") are equal, but not written alike)."""
    return list(staged) == list(data) and all(
        type(value) is type(data[key]) and str(value) == str(data[key])
        for key, value in staged.items()
    )
