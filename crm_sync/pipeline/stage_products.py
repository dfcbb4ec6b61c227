"""Staging's rows, and its products: a product is staged unless Zoho holds its content
already, and not again when an earlier page of the run staged exactly the same record (a
10,000-order run sells its 500 products on every page; each page re-upserting them was a
third of the rows staged)."""

from __future__ import annotations

import json

from django.db import connections, router
from django.db.models import Q, TextField
from django.db.models.functions import Cast

from crm_sync.mapping import ZohoRecord
from crm_sync.models import StagedRecord, ZohoLink
from crm_sync.pipeline.job import SyncJob
from crm_sync.zoho.modules import PRODUCTS


def fingerprints(job: SyncJob, module: str, keys: list[str]) -> dict[str, str]:
    """Amazon key → fingerprint of what Zoho holds."""
    return links(job, {module: keys})[module]


def links(job: SyncJob, keys: dict[str, list[str]]) -> dict[str, dict[str, str]]:
    """Module → Amazon key → fingerprint of what Zoho holds, for ``keys`` (module → Amazon
    keys), in one query."""
    wanted = Q()
    for module, some in keys.items():
        wanted |= Q(module=module, amazon_key__in=some)
    found: dict[str, dict[str, str]] = {module: {} for module in keys}
    rows = ZohoLink.objects.filter(wanted, tenant_id=job.tenant_id).values_list(
        "module", "amazon_key", "fingerprint"
    )
    for module, key, fingerprint in rows:
        found[module][key] = fingerprint
    return found


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


def product_rows(
    job: SyncJob, records: list[ZohoRecord], known: dict[str, str] | None = None
) -> list[dict]:
    """The products to stage; ``known``: what ``fingerprints`` gives for them, if read."""
    keys = [r.amazon_key for r in records]
    known = fingerprints(job, PRODUCTS, keys) if known is None else known
    staged = {
        key: (action, fingerprint, text)
        for key, action, fingerprint, text in StagedRecord.objects.filter(
            run=job.run, module=PRODUCTS, amazon_key__in=keys
        ).values_list("amazon_key", "action", "fingerprint", Cast("data", TextField()))
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


def _staged_as(staged: tuple[str, str, str] | None, record: ZohoRecord) -> bool:
    """Whether this run staged exactly ``record`` already (an earlier page sold the same
    product at the same price): the row holds the very text upserting it would store, so
    doing it again would change nothing. Compared as stored text where the database keeps
    the text (SQLite; decoding every staged product per page cost more than the upserts it
    saved); where it gives the document back in its own form (PostgreSQL's jsonb: its own
    key order and spacing), as documents."""
    if staged is None:
        return False
    action, fingerprint, text = staged
    if action != "upsert" or fingerprint != record.fingerprint:
        return False
    stored = _DATA.get_db_prep_save(record.data, connections[router.db_for_write(StagedRecord)])
    if type(stored) is str:
        return stored == text
    return json.loads(text) == json.loads(json.dumps(record.data, cls=_DATA.encoder))


_DATA = StagedRecord._meta.get_field("data")
