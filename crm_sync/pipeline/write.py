"""Write: products, then contacts, then orders, in full batches of 100 staged rows, each
batch followed by its checkpoint. Staged money is Decimal; it becomes a JSON number here,
at the Zoho edge (``mapping.to_json_ready``), and nowhere earlier."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator

from crm_sync import mapping
from crm_sync.models import StagedRecord, ZohoLink
from crm_sync.pipeline import lookups
from crm_sync.pipeline.checkpoint import checkpoint
from crm_sync.pipeline.events import failed_row, order_event, record_failure
from crm_sync.pipeline.job import Counts, SyncJob
from crm_sync.zoho.line_items import lines_replacing_current, remove_older_lines
from crm_sync.zoho.modules import CONTACTS, PRODUCTS, SALES_ORDERS
from history.models import OrderEvent

logger = logging.getLogger(__name__)

BATCH = 100
NOUNS = {PRODUCTS: "products", CONTACTS: "contacts"}


def write_staged(job: SyncJob) -> None:
    """Write everything this run has staged."""
    started = time.monotonic()
    write_upserts(job, PRODUCTS, key_field=job.names[PRODUCTS]["ASIN No"])
    write_upserts(job, CONTACTS, key_field=job.names[CONTACTS]["Amazon Buyer Email"])
    write_new_orders(job)
    write_filled_orders(job)
    write_status_changes(job)
    logger.info("run %s: wrote staged records in %.1f s", job.run.pk, time.monotonic() - started)


def staged_batches(job: SyncJob, module: str, action: str) -> Iterator[list[StagedRecord]]:
    last_id = 0
    while True:
        batch = list(
            StagedRecord.objects.filter(
                run=job.run, module=module, action=action, id__gt=last_id
            ).order_by("id")[:BATCH]
        )
        if not batch:
            return
        last_id = batch[-1].id
        yield batch


def describe_failure(result) -> str:
    where = f" (field {result.field})" if getattr(result, "field", None) else ""
    return f"Zoho {result.code or 'error'}{where}: {result.message or 'no message'}"


def _link(job: SyncJob, module: str, row: StagedRecord, zoho_id: str) -> ZohoLink:
    return ZohoLink(
        tenant_id=job.tenant_id,
        module=module,
        amazon_key=row.amazon_key,
        zoho_id=zoho_id,
        fingerprint=row.fingerprint,
    )


def write_upserts(job: SyncJob, module: str, *, key_field: str) -> None:
    """Products or contacts: upsert on their unique key field, 100 a call."""
    for batch in staged_batches(job, module, "upsert"):
        results = job.zoho.upsert(
            module,
            [mapping.to_json_ready(row.data) for row in batch],
            duplicate_check_fields=[key_field],
        )
        counts, links = Counts(), []
        for row, result in zip(batch, results, strict=True):
            if not result.ok:
                counts.records_failed += 1
                job.failures.append(f"{module} {row.amazon_key}: {describe_failure(result)}")
                continue
            links.append(_link(job, module, row, result.zoho_id))
            attr = f"{NOUNS[module]}_{'created' if result.action == 'insert' else 'updated'}"
            setattr(counts, attr, getattr(counts, attr) + 1)
        checkpoint(job, batch, counts, links=links)


def _link_ids(job: SyncJob, module: str, keys: Iterable[str]) -> dict[str, str]:
    return dict(
        ZohoLink.objects.filter(
            tenant_id=job.tenant_id, module=module, amazon_key__in=list(set(keys))
        ).values_list("amazon_key", "zoho_id")
    )


def _ready(job: SyncJob, batch: list[StagedRecord], events: list, counts: Counts):
    """Sales orders with Zoho ids in their lookups, as JSON-ready payloads; those whose
    product or contact could not be written are recorded as failed and left out."""
    ready, unwritable = lookups.resolve(
        batch,
        product_ids=_link_ids(job, PRODUCTS, (asin for row in batch for asin in row.product_keys)),
        contact_ids=_link_ids(job, CONTACTS, (row.buyer_key for row in batch)),
    )
    for row, reason in unwritable:
        record_failure(job, failed_row(row), reason, events, counts)
    return [(row, mapping.to_json_ready(data)) for row, data in ready]


def write_new_orders(job: SyncJob) -> None:
    key_field = job.names[SALES_ORDERS]["Amazon Order ID"]
    for batch in staged_batches(job, SALES_ORDERS, "create"):
        counts, events, links, done = Counts(), [], [], []
        ready = _ready(job, batch, events, counts)
        results = (
            job.zoho.upsert(
                SALES_ORDERS, [data for _, data in ready], duplicate_check_fields=[key_field]
            )
            if ready
            else []
        )
        repairs = []
        for (row, data), result in zip(ready, results, strict=True):
            if not result.ok:
                record_failure(job, failed_row(row), describe_failure(result), events, counts)
                continue
            if result.action == "update":
                # The order reached Zoho in a run whose checkpoint was lost: Zoho appended
                # our lines to the ones already there. Remove the older copies.
                repairs.append((result.zoho_id, len(data["Ordered_Items"])))
            counts.orders_created += 1
            done.append((row, result.zoho_id))
            links.append(_link(job, SALES_ORDERS, row, result.zoho_id))
            events.append(order_event(job, row, OrderEvent.Action.CREATED, result.zoho_id))
        for zoho_id, keep in repairs:
            remove_older_lines(job.zoho, zoho_id=zoho_id, keep=keep)
        checkpoint(job, batch, counts, links=links, events=events, done=done)


def write_filled_orders(job: SyncJob) -> None:
    """Pending orders that moved on: replace their lines, buyer and money in Zoho."""
    for batch in staged_batches(job, SALES_ORDERS, "fill"):
        counts, events, done = Counts(), [], []
        ready = _ready(job, batch, events, counts)
        updates = [
            {
                **data,
                "id": row.zoho_id,
                "Ordered_Items": lines_replacing_current(
                    job.zoho, zoho_id=row.zoho_id, lines=data["Ordered_Items"]
                ),
            }
            for row, data in ready
        ]
        results = job.zoho.update(SALES_ORDERS, updates) if updates else []
        rows = [row for row, _ in ready]
        message = "Buyer, prices and items filled in"
        _record_updates(
            job, rows, results, OrderEvent.Action.UPDATED, counts, events, done, message
        )
        checkpoint(job, batch, counts, events=events, done=done)


def write_status_changes(job: SyncJob) -> None:
    for batch in staged_batches(job, SALES_ORDERS, "status"):
        counts, events, done = Counts(), [], []
        results = job.zoho.update(
            SALES_ORDERS, [{"id": row.zoho_id, **mapping.to_json_ready(row.data)} for row in batch]
        )
        _record_updates(job, batch, results, OrderEvent.Action.STATUS_CHANGED, counts, events, done)
        checkpoint(job, batch, counts, events=events, done=done)


def _record_updates(job, rows, results, action, counts, events, done, message="") -> None:
    for row, result in zip(rows, results, strict=True):
        if not result.ok:
            record_failure(job, failed_row(row), describe_failure(result), events, counts)
            continue
        counts.orders_updated += 1
        done.append((row, row.zoho_id))
        events.append(order_event(job, row, action, row.zoho_id, message=message))
