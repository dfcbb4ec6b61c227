"""The checkpoint: a written batch's links, order states, Order History and counts commit
in one transaction with the removal of its staged rows, or none of them does. A crash
before it leaves the staged rows for the next attempt; Zoho's upserts on unique keys make
writing them again harmless (and an order write that Zoho may have applied twice is kept as
a "verify" row until it has been checked, see ``crm_sync.pipeline.verify``)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction

from amazon_ext.amazon.types import Order
from crm_sync import mapping
from crm_sync.models import AmazonOrderState, StagedRecord, ZohoLink
from crm_sync.pipeline.bulk import bulk_upsert
from crm_sync.pipeline.job import Counts, SyncJob
from crm_sync.pipeline.staged import StagedRow
from history.models import OrderEvent

VERIFY = "verify"  # StagedRecord.action of a written order whose write is still to be checked


def state_of_order(job: SyncJob, order: Order, zoho_id: str) -> dict:
    """An ``AmazonOrderState`` row as ``save_states`` takes it."""
    return {
        "tenant_id": job.tenant_id,
        "amazon_order_id": order.amazon_order_id,
        "marketplace_id": order.marketplace_id or "",
        "order_status": order.order_status,
        "last_update_date": order.last_update_date,
        "complete": mapping.is_complete(order),
        "zoho_id": zoho_id,
    }


def state_of_row(job: SyncJob, row: StagedRow, zoho_id: str) -> dict:
    return {
        "tenant_id": job.tenant_id,
        "amazon_order_id": row.amazon_key,
        "marketplace_id": row.marketplace_id,
        "order_status": row.order_status,
        "last_update_date": row.amazon_last_update,
        "complete": row.complete,
        "zoho_id": zoho_id,
    }


def save_states(states: Sequence[dict]) -> None:
    """Remember what we last saw of these orders (inside the caller's transaction);
    ``updated_at`` is stamped by ``bulk_upsert``."""
    bulk_upsert(
        states,
        model=AmazonOrderState,
        unique_fields=["tenant", "amazon_order_id"],
        update_fields=["order_status", "last_update_date", "complete", "zoho_id", "updated_at"],
    )


def checkpoint(
    job: SyncJob,
    batch: Sequence[StagedRow],
    counts: Counts,
    *,
    links: Sequence[dict] = (),
    events: Sequence[OrderEvent | dict] = (),
    done: Sequence[tuple[StagedRow, str]] = (),
    verify: Sequence[tuple[StagedRow, str]] = (),
) -> None:
    """Commit a written batch. ``done``: (sales order row, its Zoho id). ``verify``: rows of
    ``done`` whose write must be checked in Zoho (``crm_sync.pipeline.verify``); they are
    kept, as "verify" rows naming the order's Zoho id, instead of removed, so a crash before
    the check leaves it to the next run. ``links``: ``ZohoLink`` rows as mappings."""
    states = [state_of_row(job, row, zoho_id) for row, zoho_id in done]
    kept = []
    for row, zoho_id in verify:
        row.action, row.zoho_id = VERIFY, zoho_id
        kept.append(row)
    with transaction.atomic():
        if links:
            bulk_upsert(
                links,
                model=ZohoLink,
                unique_fields=["tenant", "module", "amazon_key"],
                update_fields=["zoho_id", "fingerprint", "updated_at"],
            )
        if states:
            save_states(states)
        if events:
            bulk_upsert(events, model=OrderEvent, ignore_conflicts=True)
        for row in kept:  # rare: a write that must be checked
            StagedRecord.objects.filter(pk=row.pk).update(action=VERIFY, zoho_id=row.zoho_id)
        kept_ids = {row.pk for row in kept}
        StagedRecord.objects.filter(
            pk__in=[row.pk for row in batch if row.pk not in kept_ids]
        ).delete()
        counts.save_to(job.run.pk)
    job.heartbeat()
