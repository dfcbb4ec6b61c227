"""Write: products, then contacts, then orders, in full batches of 100 staged rows, each
batch followed by its checkpoint. Staged money is Decimal; it becomes a JSON number here,
as the writer reads the staged rows (``staged.json_ready``), and nowhere earlier.

A flush in the middle of a run (``final=False``) sends full batches only: the rest stays
staged for the next flush, and so does a sales order whose product or contact is still
staged (it needs that record's Zoho id). So a long run flushed every few minutes writes
what one flush at its end would: ⌈P/100⌉ + ⌈C/100⌉ + ⌈O/100⌉ calls. ``write_staged`` says
whether anything still waits; the source commits its position only when nothing does.

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

from django.db.models import Exists, OuterRef

from crm_sync.models import AmazonOrderState, StagedRecord, ZohoLink
from crm_sync.pipeline import verify
from crm_sync.pipeline.checkpoint import checkpoint
from crm_sync.pipeline.events import failed_row, order_event, record_failure
from crm_sync.pipeline.job import Counts, SyncJob
from crm_sync.pipeline.resolve import resolved
from crm_sync.pipeline.staged import StagedRow, staged_rows
from crm_sync.zoho.line_items import lines_replacing_current
from crm_sync.zoho.modules import CONTACTS, PRODUCTS, SALES_ORDERS
from history.models import OrderEvent
from history.next_steps import refused_currency_message

logger = logging.getLogger(__name__)

BATCH = 100
NOUNS = {PRODUCTS: "products", CONTACTS: "contacts"}


def write_staged(job: SyncJob, *, final: bool = True) -> bool:
    """Write what this run has staged (``final``: all of it; else full batches only), then
    verify the writes that need it. True when none of the run's orders waits staged."""
    started = time.monotonic()
    verify.verify_orders(job, earlier_runs=True)  # left by a run that died before it could
    write_upserts(job, PRODUCTS, key_field=job.names[PRODUCTS]["ASIN No"], final=final)
    write_upserts(job, CONTACTS, key_field=job.names[CONTACTS]["Amazon Buyer Key"], final=final)
    write_new_orders(job, final=final)
    write_filled_orders(job, final=final)
    write_status_changes(job, final=final)
    verify.verify_orders(job, earlier_runs=False)
    logger.info("run %s: wrote staged records in %.1f s", job.run.pk, time.monotonic() - started)
    return not StagedRecord.objects.filter(
        run=job.run, module=SALES_ORDERS, action__in=["create", "fill", "status", *SENT.values()]
    ).exists()


# A sales order row is marked sent just before its write goes out, so an attempt that finds
# it still staged knows the write of a dead attempt may be in flight (or have landed).
SENT = {"create": "create-sent", "fill": "fill-sent"}


def staged_batches(
    job: SyncJob, module: str, action: str, *, final: bool = True
) -> Iterator[list[StagedRow]]:
    """The run's staged rows by 100; not ``final``: a part-full last batch is left staged."""
    actions = [action, SENT[action]] if action in SENT else [action]
    last_id = 0
    while True:
        batch = staged_rows(
            StagedRecord.objects.filter(
                run=job.run, module=module, action__in=actions, id__gt=last_id
            ).order_by("id"),
            BATCH,
        )
        if not batch or (len(batch) < BATCH and not final):
            return
        last_id = batch[-1].id
        yield batch


def _written_meanwhile(job: SyncJob, module: str) -> None:
    """Drop staged rows another run of the tenant has written meanwhile (a daily run between
    two turns of a backfill whose rows waited): a product or contact whose link holds the
    same fingerprint, a new order Zoho holds as new as ours."""
    rows = StagedRecord.objects.filter(run=job.run, module=module)
    if module == SALES_ORDERS:
        newer = AmazonOrderState.objects.filter(
            tenant_id=job.tenant_id,
            amazon_order_id=OuterRef("amazon_key"),
            last_update_date__gte=OuterRef("amazon_last_update"),
        ).exclude(zoho_id="")
        rows.filter(action="create").filter(Exists(newer)).delete()
        return
    same = ZohoLink.objects.filter(
        tenant_id=job.tenant_id,
        module=module,
        amazon_key=OuterRef("amazon_key"),
        fingerprint=OuterRef("fingerprint"),
    )
    rows.filter(action="upsert").filter(Exists(same)).delete()


def describe_failure(result, row: StagedRow | None = None) -> str:
    if result.code == "INVALID_DATA" and getattr(result, "field", None) == "Currency":
        return refused_currency_message(row.currency if row is not None else "")
    where = f" (field {result.field})" if getattr(result, "field", None) else ""
    return f"Zoho {result.code or 'error'}{where}: {result.message or 'no message'}"


def _link(job: SyncJob, module: str, row: StagedRow, zoho_id: str) -> dict:
    """A ``ZohoLink`` row as ``checkpoint`` saves it."""
    return {
        "tenant_id": job.tenant_id,
        "module": module,
        "amazon_key": row.amazon_key,
        "zoho_id": zoho_id,
        "fingerprint": row.fingerprint,
    }


def write_upserts(job: SyncJob, module: str, *, key_field: str, final: bool = True) -> None:
    """Products or contacts: upsert on their unique key field, 100 a call. Repeating one is
    harmless (no subform), so an uncertain result is as good as any."""
    _written_meanwhile(job, module)
    for batch in staged_batches(job, module, "upsert", final=final):
        results = job.zoho.upsert(
            module,
            [row.data for row in batch],
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


def _still_staged(job: SyncJob, module: str, keys) -> set[str]:
    return set(
        StagedRecord.objects.filter(
            run=job.run, module=module, action="upsert", amazon_key__in=list(set(keys))
        ).values_list("amazon_key", flat=True)
    )


def _not_waiting(job: SyncJob, rows: list[StagedRow]) -> list[StagedRow]:
    """The sales orders none of whose products and whose contact is still staged."""
    products = _still_staged(job, PRODUCTS, (asin for row in rows for asin in row.product_keys))
    contacts = _still_staged(job, CONTACTS, (row.buyer_key for row in rows))
    return [
        row
        for row in rows
        if row.buyer_key not in contacts and products.isdisjoint(row.product_keys)
    ]


def order_batches(job: SyncJob, action: str, *, final: bool):
    """(ready: (row, payload with Zoho ids), unwritable: (row, why)) per write of 100 ready
    sales orders (the last one part-full only when ``final``). An order whose product or
    contact could not be written is unwritable (recorded as failed with the next write);
    not ``final``, one whose product or contact is still staged waits for a later flush."""
    ready: list[tuple[StagedRow, dict]] = []
    unwritable: list[tuple[StagedRow, str]] = []
    for rows in staged_batches(job, SALES_ORDERS, action):
        found, failed = resolved(job, rows if final else _not_waiting(job, rows))
        ready += found
        unwritable += failed
        while len(ready) >= BATCH:
            yield ready[:BATCH], unwritable
            ready, unwritable = ready[BATCH:], []
    if (ready and final) or unwritable:
        yield (ready if final else []), unwritable


def _unwritable(job: SyncJob, unwritable, events: list, counts: Counts) -> list[StagedRow]:
    for row, reason in unwritable:
        record_failure(job, failed_row(row), reason, events, counts)
    return [row for row, _ in unwritable]


def _mark_sent(rows: list[StagedRow], action: str) -> set[int]:
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


def write_new_orders(job: SyncJob, *, final: bool = True) -> None:
    key_field = job.names[SALES_ORDERS]["Amazon Order ID"]
    _written_meanwhile(job, SALES_ORDERS)
    for ready, unwritable in order_batches(job, "create", final=final):
        counts, events, links, done, to_verify = Counts(), [], [], [], []
        batch = [row for row, _ in ready] + _unwritable(job, unwritable, events, counts)
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
                record_failure(job, failed_row(row), describe_failure(result, row), events, counts)
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


def write_filled_orders(job: SyncJob, *, final: bool = True) -> None:
    """Pending orders that moved on: replace their lines, buyer and money in Zoho."""
    for ready, unwritable in order_batches(job, "fill", final=final):
        counts, events, done = Counts(), [], []
        batch = [row for row, _ in ready] + _unwritable(job, unwritable, events, counts)
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


def write_status_changes(job: SyncJob, *, final: bool = True) -> None:
    for batch in staged_batches(job, SALES_ORDERS, "status", final=final):
        counts, events, done = Counts(), [], []
        results = job.zoho.update(SALES_ORDERS, [{"id": row.zoho_id, **row.data} for row in batch])
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
            record_failure(job, failed_row(row), describe_failure(result, row), events, counts)
            continue
        if uncertain and (not result.ok or action == OrderEvent.Action.UPDATED):
            to_verify.append((row, row.zoho_id))
        counts.orders_updated += 1
        done.append((row, row.zoho_id))
        events.append(order_event(job, row, action, row.zoho_id, message=message))
    return to_verify
