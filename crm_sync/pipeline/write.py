"""Write: products, then contacts, then orders, in full batches of 100 staged rows, each
batch followed by its checkpoint. Staged money is Decimal; it becomes a JSON number here,
at the Zoho edge (``mapping.to_json_ready``), and nowhere earlier.

A sales order write whose outcome is uncertain (``RecordResult.uncertain``: the call was sent
again after an attempt that may have been applied) or whose upsert *updated* an order we
were creating (an earlier attempt reached Zoho) is not trusted: its staged row is kept for
``verify`` (read back, compared with what we wrote, repaired), so a retried write can neither
leave an order with its lines twice nor be reported as failed while Zoho holds the right data.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

from crm_sync import mapping
from crm_sync.models import StagedRecord, ZohoLink
from crm_sync.pipeline import verify
from crm_sync.pipeline.checkpoint import checkpoint
from crm_sync.pipeline.events import failed_row, order_event, record_failure
from crm_sync.pipeline.job import Counts, SyncJob
from crm_sync.pipeline.resolve import resolved
from crm_sync.zoho.line_items import lines_replacing_current
from crm_sync.zoho.modules import CONTACTS, PRODUCTS, SALES_ORDERS
from history.models import OrderEvent

logger = logging.getLogger(__name__)

BATCH = 100
NOUNS = {PRODUCTS: "products", CONTACTS: "contacts"}


def write_staged(job: SyncJob) -> None:
    """Write everything this run has staged, then verify the writes that need it."""
    started = time.monotonic()
    verify.verify_orders(job, earlier_runs=True)  # left by a run that died before it could
    write_upserts(job, PRODUCTS, key_field=job.names[PRODUCTS]["ASIN No"])
    write_upserts(job, CONTACTS, key_field=job.names[CONTACTS]["Amazon Buyer Key"])
    write_new_orders(job)
    write_filled_orders(job)
    write_status_changes(job)
    verify.verify_orders(job, earlier_runs=False)
    logger.info("run %s: wrote staged records in %.1f s", job.run.pk, time.monotonic() - started)


# A sales order row is marked sent just before its write goes out, so an attempt that finds
# it still staged knows the write of a dead attempt may be in flight (or have landed).
SENT = {"create": "create-sent", "fill": "fill-sent"}


def staged_batches(job: SyncJob, module: str, action: str) -> Iterator[list[StagedRecord]]:
    actions = [action, SENT[action]] if action in SENT else [action]
    last_id = 0
    while True:
        batch = list(
            StagedRecord.objects.filter(
                run=job.run, module=module, action__in=actions, id__gt=last_id
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
    """Products or contacts: upsert on their unique key field, 100 a call. Repeating one is
    harmless (no subform), so an uncertain result is as good as any."""
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


def _ready(job: SyncJob, batch: list[StagedRecord], events: list, counts: Counts):
    """Sales orders ready to send; those whose product or contact could not be written are
    recorded as failed and left out."""
    ready, unwritable = resolved(job, batch)
    for row, reason in unwritable:
        record_failure(job, failed_row(row), reason, events, counts)
    return ready


def _mark_sent(rows: list[StagedRecord], action: str) -> set[int]:
    """Mark the rows about to be written; returns those an earlier attempt had marked (its
    write may have reached Zoho, or may still): their outcome is uncertain whatever Zoho
    answers now."""
    earlier = {row.pk for row in rows if row.action == SENT[action]}
    StagedRecord.objects.filter(pk__in=[row.pk for row in rows]).update(action=SENT[action])
    return earlier


def _uncertain(job: SyncJob) -> None:
    """Remember when the latest uncertain write ended: verification waits for anything of
    it still in flight to land first (``verify.settle``)."""
    job.uncertain_at = time.monotonic()


def write_new_orders(job: SyncJob) -> None:
    key_field = job.names[SALES_ORDERS]["Amazon Order ID"]
    for batch in staged_batches(job, SALES_ORDERS, "create"):
        counts, events, links, done, to_verify = Counts(), [], [], [], []
        ready = _ready(job, batch, events, counts)
        sent_before = _mark_sent([row for row, _ in ready], "create")
        results = (
            job.zoho.upsert(
                SALES_ORDERS, [data for _, data in ready], duplicate_check_fields=[key_field]
            )
            if ready
            else []
        )
        for (row, _), result in zip(ready, results, strict=True):
            if not result.ok:
                record_failure(job, failed_row(row), describe_failure(result), events, counts)
                continue
            uncertain = result.uncertain or row.pk in sent_before
            if uncertain:
                _uncertain(job)
            if uncertain or result.action == "update":
                # Another attempt of this write reached Zoho (a retry, a dead worker's
                # write in flight): Zoho appended our lines to the ones it held, or may
                # still do so. Verified once anything in flight has landed.
                to_verify.append((row, result.zoho_id))
            counts.orders_created += 1
            done.append((row, result.zoho_id))
            links.append(_link(job, SALES_ORDERS, row, result.zoho_id))
            events.append(order_event(job, row, OrderEvent.Action.CREATED, result.zoho_id))
        checkpoint(job, batch, counts, links=links, events=events, done=done, verify=to_verify)


def write_filled_orders(job: SyncJob) -> None:
    """Pending orders that moved on: replace their lines, buyer and money in Zoho."""
    for batch in staged_batches(job, SALES_ORDERS, "fill"):
        counts, events, done = Counts(), [], []
        ready = _ready(job, batch, events, counts)
        sent_before = _mark_sent([row for row, _ in ready], "fill")
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
        to_verify = _record_updates(
            job,
            rows,
            results,
            OrderEvent.Action.UPDATED,
            counts,
            events,
            done,
            message,
            sent_before=sent_before,
        )
        checkpoint(job, batch, counts, events=events, done=done, verify=to_verify)


def write_status_changes(job: SyncJob) -> None:
    for batch in staged_batches(job, SALES_ORDERS, "status"):
        counts, events, done = Counts(), [], []
        results = job.zoho.update(
            SALES_ORDERS, [{"id": row.zoho_id, **mapping.to_json_ready(row.data)} for row in batch]
        )
        to_verify = _record_updates(
            job, batch, results, OrderEvent.Action.STATUS_CHANGED, counts, events, done
        )
        checkpoint(job, batch, counts, events=events, done=done, verify=to_verify)


def _record_updates(job, rows, results, action, counts, events, done, message="", sent_before=()):
    """Count and record the updates; returns the ones to verify. An update that failed after
    an uncertain attempt is not a failure yet: the attempt we did not hear from may have
    applied it (a fill's retry then names line rows that attempt already deleted, and Zoho
    answers INVALID_DATA although it holds exactly our data)."""
    to_verify = []
    for row, result in zip(rows, results, strict=True):
        uncertain = result.uncertain or row.pk in sent_before
        if uncertain:
            _uncertain(job)
        if not result.ok and not uncertain:
            record_failure(job, failed_row(row), describe_failure(result), events, counts)
            continue
        if uncertain and (not result.ok or action == OrderEvent.Action.UPDATED):
            to_verify.append((row, row.zoho_id))
        counts.orders_updated += 1
        done.append((row, row.zoho_id))
        events.append(order_event(job, row, action, row.zoho_id, message=message))
    return to_verify
