"""The sync flow, in one place.

Both schedules run the same flow; they differ only in how they list orders and which cursor
they keep:

* *Sync Amazon Record* lists orders by creation time (``CreatedAfter``): new orders.
* *Update Order Status* lists them by last-update time (``LastUpdatedAfter``): changes to
  orders we already hold.

**Stage** (Amazon's side), page by page, one transaction per page:

1. *Classify* each order against what we last saw (``AmazonOrderState``): new, pending-now-
   complete ("fill"), status changed, touched without a change we map, or unchanged.
2. *Fetch items* only for new and fill orders (one call per order; Amazon has no batch).
3. *Map* (pure functions in ``crm_sync.mapping``) and stage the records that differ from what
   Zoho already holds (content fingerprints in ``ZohoLink``): a product once, by the order
   that introduced it; a contact once, described by the buyer's latest order.

**Write** (Zoho's side): products, then contacts, then orders, in full batches of 100 so each
record is written once per run. Every batch commits its links, order states, Order History
and counts in one transaction with the removal of its staged rows: the checkpoint. The cursor
moves only after the last batch, to the window end Amazon echoed.

Crash safety: staged rows and checkpoints survive a dead worker; the redelivered task (or the
next run) re-lists from the old cursor, skips what was checkpointed and writes the rest. Zoho
writes are upserts keyed on unique fields (ASIN No, Amazon Buyer Email, Amazon Order ID), so a
batch Zoho accepted just before the crash updates instead of duplicating; an order upsert that
unexpectedly *updated* gets the line items Zoho appended removed again; and Order History is
unique per (order, action, Amazon's LastUpdateDate).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from amazon_ext.amazon.types import Order
from crm_sync import mapping
from crm_sync.models import AmazonOrderState, ScheduleKind, StagedRecord, SyncCursor, ZohoLink
from crm_sync.zoho.line_items import lines_replacing_current, remove_older_lines
from crm_sync.zoho.modules import CONTACTS, PRODUCTS, SALES_ORDERS
from history.models import OrderEvent, SyncRun

logger = logging.getLogger(__name__)

# Re-read a little before the cursor: Amazon's window edges are not exact.
CURSOR_OVERLAP = timedelta(minutes=5)
FIRST_RUN_LOOKBACK = timedelta(days=getattr(settings, "SYNC_FIRST_RUN_LOOKBACK_DAYS", 30))
BATCH = 100
# Amazon serves orders only once they are two minutes old.
AMAZON_LAG = timedelta(minutes=2)
# Item calls in flight at once; Amazon's quota, not this, sets the pace against the real service.
ITEM_FETCH_WORKERS = 8


@dataclass
class Counts:
    orders_fetched: int = 0
    orders_created: int = 0
    orders_updated: int = 0
    products_created: int = 0
    products_updated: int = 0
    contacts_created: int = 0
    contacts_updated: int = 0
    records_failed: int = 0

    def save_to(self, run_id: int) -> None:
        """Add to the run's counters (called inside a checkpoint transaction)."""
        increments = {name: F(name) + value for name, value in vars(self).items() if value}
        SyncRun.objects.filter(pk=run_id).update(heartbeat_at=timezone.now(), **increments)


@dataclass
class SyncJob:
    """Everything one run needs. ``amazon`` and ``zoho`` are already-authenticated clients
    (amazon_ext.amazon.base.AmazonOrdersClient, crm_sync.zoho.client.ZohoClient)."""

    run: SyncRun
    amazon: object
    zoho: object
    names: dict
    marketplace_ids: list[str]
    heartbeat: Callable[[], None] = lambda: None
    failures: list[str] = field(default_factory=list)
    # The earliest listing date of an order that failed: the cursor must not pass it, so
    # the next run lists that order again (nothing lost).
    hold_cursor: datetime | None = None

    @property
    def tenant_id(self) -> int:
        return self.run.tenant_id


def run_sync(job: SyncJob) -> None:
    """Walk the schedule's listing window by window, staging every page; write what is
    staged at the end, and also every SYNC_FLUSH_SECONDS so a long, quota-paced backfill
    keeps its progress (and its cursor) if the run is stopped."""
    StagedRecord.objects.filter(tenant_id=job.tenant_id).exclude(run_id=job.run.pk).delete()
    # A redelivered run lists everything again: count what this listing fetched.
    SyncRun.objects.filter(pk=job.run.pk).update(orders_fetched=0)
    schedule = job.run.schedule
    cursor_key = ",".join(sorted(job.marketplace_ids))
    cursor = SyncCursor.objects.filter(
        tenant_id=job.tenant_id, schedule=schedule, marketplace_key=cursor_key
    ).first()
    since = (cursor.watermark if cursor else timezone.now() - FIRST_RUN_LOOKBACK) - CURSOR_OVERLAP
    listed_until: datetime | None = None  # end of the last window walked to its last page

    def flush() -> None:
        write_staged(job)
        if listed_until is not None:
            watermark = min(listed_until, job.hold_cursor or listed_until)
            cursor_advance(
                tenant_id=job.tenant_id, schedule=schedule, key=cursor_key, watermark=watermark
            )

    last_flush = time.monotonic()
    for window_start, window_end in listing_windows(since, timezone.now() - AMAZON_LAG):
        echoed = None
        for page in _pages(job, schedule, window_start, window_end):
            stage_page(job, list(page.orders))
            echoed = page.window_end or echoed
            job.heartbeat()
            if time.monotonic() - last_flush >= settings.SYNC_FLUSH_SECONDS:
                flush()
                last_flush = time.monotonic()
        # Amazon echoes the window it really served; it may end earlier than asked.
        listed_until = min(echoed, window_end) if echoed else window_end
    flush()


def listing_windows(since: datetime, until: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Consecutive windows of at most SYNC_WINDOW_DAYS: a stopped run re-lists one window,
    not the whole backlog."""
    size = timedelta(days=settings.SYNC_WINDOW_DAYS)
    start = since
    while start < until:
        end = min(start + size, until)
        yield start, end
        start = end


def _pages(job: SyncJob, schedule: str, start: datetime, end: datetime):
    if schedule == ScheduleKind.SYNC_RECORDS:
        return job.amazon.iter_order_pages(created_after=start, before=end)
    return job.amazon.iter_order_pages(last_updated_after=start, before=end)


def write_staged(job: SyncJob) -> None:
    started = time.monotonic()
    write_upserts(job, PRODUCTS, key_field=job.names[PRODUCTS]["ASIN No"])
    write_upserts(job, CONTACTS, key_field=job.names[CONTACTS]["Amazon Buyer Email"])
    write_new_orders(job)
    write_filled_orders(job)
    write_status_changes(job)
    logger.info("run %s: wrote staged records in %.1f s", job.run.pk, time.monotonic() - started)


def cursor_advance(*, tenant_id: int, schedule: str, key: str, watermark: datetime) -> None:
    with transaction.atomic():
        cursor, created = SyncCursor.objects.select_for_update().get_or_create(
            tenant_id=tenant_id,
            schedule=schedule,
            marketplace_key=key,
            defaults={"watermark": watermark},
        )
        if not created and watermark > cursor.watermark:
            cursor.watermark = watermark
            cursor.save(update_fields=["watermark", "updated_at"])


# --- stage: classify, fetch items, map ---------------------------------------------------


@dataclass
class PagePlan:
    new: list[Order] = field(default_factory=list)
    fill: list[Order] = field(default_factory=list)
    status: list[Order] = field(default_factory=list)
    touched: list[Order] = field(default_factory=list)


def classify(
    orders: Iterable[Order], states: dict[str, AmazonOrderState], schedule: str
) -> PagePlan:
    plan = PagePlan()
    for order in orders:
        state = states.get(order.amazon_order_id)
        if state is None:
            # Update Order Status only touches orders we hold; new ones are Sync's job.
            if schedule == ScheduleKind.SYNC_RECORDS:
                plan.new.append(order)
        elif order.last_update_date <= state.last_update_date and (
            order.order_status == state.order_status
        ):
            continue
        elif not state.complete and mapping.is_complete(order):
            plan.fill.append(order)
        elif order.order_status != state.order_status:
            plan.status.append(order)
        else:
            plan.touched.append(order)
    return plan


def _order_meta(order: Order, state: AmazonOrderState | None = None) -> dict:
    return {
        "status": order.order_status,
        "last_update": order.last_update_date.isoformat(),
        "purchase": order.purchase_date.isoformat(),
        "marketplace_id": order.marketplace_id or "",
        "complete": mapping.is_complete(order),
        "buyer_key": mapping.buyer_key(order),
        "zoho_id": state.zoho_id if state else "",
        "old_status": state.order_status if state else "",
    }


def stage_page(job: SyncJob, orders: list[Order]) -> None:
    states = {
        s.amazon_order_id: s
        for s in AmazonOrderState.objects.filter(
            tenant_id=job.tenant_id, amazon_order_id__in=[o.amazon_order_id for o in orders]
        )
    }
    plan = classify(orders, states, job.run.schedule)
    # Orders this run staged before its worker died need no second fetch.
    staged_before = {
        key: meta.get("last_update")
        for key, meta in StagedRecord.objects.filter(
            run=job.run,
            module=SALES_ORDERS,
            amazon_key__in=[o.amazon_order_id for o in plan.new + plan.fill],
        ).values_list("amazon_key", "meta")
    }
    full = [
        o
        for o in plan.new + plan.fill
        if staged_before.get(o.amazon_order_id) != o.last_update_date.isoformat()
    ]
    if full:
        items = job.amazon.list_order_items_many(
            [o.amazon_order_id for o in full], max_workers=ITEM_FETCH_WORKERS
        )
        full = [replace(o, items=tuple(items[o.amazon_order_id])) for o in full]

    staged: list[StagedRecord] = []
    events: list[OrderEvent] = []
    counts = Counts(orders_fetched=len(orders))

    def stage(module: str, key: str, action: str, data: dict, **extra) -> None:
        staged.append(
            StagedRecord(
                tenant_id=job.tenant_id,
                run=job.run,
                module=module,
                amazon_key=key,
                action=action,
                data=mapping.to_json_ready(data),
                **extra,
            )
        )

    products = mapping.products_for_orders(full, job.names)
    known = _links(job, PRODUCTS, [p.amazon_key for p in products])
    for record in products:
        if known.get(record.amazon_key) != record.fingerprint:
            stage(
                PRODUCTS, record.amazon_key, "upsert", record.data, fingerprint=record.fingerprint
            )

    latest = mapping.latest_order_per_buyer(full)
    known = _links(job, CONTACTS, list(latest))
    already = dict(
        StagedRecord.objects.filter(
            run=job.run, module=CONTACTS, amazon_key__in=list(latest)
        ).values_list("amazon_key", "sort_key")
    )
    superseded = []
    for key, order in latest.items():
        sort_key = order.purchase_date.isoformat()
        if already.get(key, "") > sort_key:
            continue  # a later order of this buyer is staged already
        record = mapping.contact_record(order, job.names)
        if known.get(key) == record.fingerprint:
            superseded.append(key)  # Zoho already holds exactly this
            continue
        stage(
            CONTACTS, key, "upsert", record.data, fingerprint=record.fingerprint, sort_key=sort_key
        )

    for order in full:
        state = states.get(order.amazon_order_id)
        if not order.items:
            _fail(job, order, "Amazon returned no items for this order", events, counts)
            continue
        # Lookups hold Amazon keys until the products and contacts have Zoho ids.
        record = mapping.sales_order_record(
            order,
            contact_id=mapping.buyer_key(order),
            product_ids={i.asin: i.asin for i in order.items},
            names=job.names,
        )
        stage(
            SALES_ORDERS,
            order.amazon_order_id,
            "fill" if state else "create",
            record.data,
            fingerprint=record.fingerprint,
            meta=_order_meta(order, state),
        )
    for order in plan.status:
        state = states[order.amazon_order_id]
        stage(
            SALES_ORDERS,
            order.amazon_order_id,
            "status",
            mapping.status_fields(order, job.names),
            meta=_order_meta(order, state),
        )

    with transaction.atomic():
        if superseded:
            StagedRecord.objects.filter(
                run=job.run, module=CONTACTS, amazon_key__in=superseded
            ).delete()
        if staged:
            StagedRecord.objects.bulk_create(
                staged,
                update_conflicts=True,
                unique_fields=["run", "module", "amazon_key"],
                update_fields=["action", "data", "fingerprint", "meta", "sort_key"],
            )
        if plan.touched:
            _save_states(job, [(o, states[o.amazon_order_id].zoho_id) for o in plan.touched])
        if events:
            OrderEvent.objects.bulk_create(events, ignore_conflicts=True)
        counts.save_to(job.run.pk)


def _links(job: SyncJob, module: str, keys: list[str]) -> dict[str, str]:
    """Amazon key → fingerprint of what Zoho holds."""
    return dict(
        ZohoLink.objects.filter(
            tenant_id=job.tenant_id, module=module, amazon_key__in=keys
        ).values_list("amazon_key", "fingerprint")
    )


def _link_ids(job: SyncJob, module: str, keys: Iterable[str]) -> dict[str, str]:
    return dict(
        ZohoLink.objects.filter(
            tenant_id=job.tenant_id, module=module, amazon_key__in=list(set(keys))
        ).values_list("amazon_key", "zoho_id")
    )


# --- write: batches of 100, each its own checkpoint --------------------------------------


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


def _fail(job, order: Order, reason: str, events, counts) -> None:
    """Record a failed order in Order History and hold the cursor before it."""
    counts.records_failed += 1
    job.failures.append(f"Order {order.amazon_order_id}: {reason}")
    listed_at = (
        order.purchase_date
        if job.run.schedule == ScheduleKind.SYNC_RECORDS
        else order.last_update_date
    )
    job.hold_cursor = min(listed_at, job.hold_cursor or listed_at)
    events.append(
        OrderEvent(
            tenant_id=job.tenant_id,
            run=job.run,
            amazon_order_id=order.amazon_order_id,
            action=OrderEvent.Action.FAILED,
            new_status=order.order_status,
            amazon_last_update=order.last_update_date,
            message=reason[:1000],
        )
    )


def write_upserts(job: SyncJob, module: str, *, key_field: str) -> None:
    """Products or contacts: upsert on their unique key field, 100 a call."""
    noun = {PRODUCTS: "products", CONTACTS: "contacts"}[module]
    for batch in staged_batches(job, module, "upsert"):
        results = job.zoho.upsert(
            module, [row.data for row in batch], duplicate_check_fields=[key_field]
        )
        counts, links = Counts(), []
        for row, result in zip(batch, results, strict=True):
            if not result.ok:
                counts.records_failed += 1
                job.failures.append(f"{module} {row.amazon_key}: {describe_failure(result)}")
                continue
            links.append(
                ZohoLink(
                    tenant_id=job.tenant_id,
                    module=module,
                    amazon_key=row.amazon_key,
                    zoho_id=result.zoho_id,
                    fingerprint=row.fingerprint,
                )
            )
            attr = f"{noun}_{'created' if result.action == 'insert' else 'updated'}"
            setattr(counts, attr, getattr(counts, attr) + 1)
        _checkpoint(job, batch, counts, links=links)


def _resolve(job: SyncJob, batch: list[StagedRecord], events: list, counts: Counts):
    """Swap the Amazon keys in lookups for Zoho ids; rows whose product or contact failed
    are recorded as failed orders and left out."""
    product_ids = _link_ids(
        job,
        PRODUCTS,
        (line["Product_Name"]["id"] for row in batch for line in row.data["Ordered_Items"]),
    )
    contact_ids = _link_ids(job, CONTACTS, (row.meta["buyer_key"] for row in batch))
    ready = []
    for row in batch:
        asins = [line["Product_Name"]["id"] for line in row.data["Ordered_Items"]]
        missing = [asin for asin in asins if asin not in product_ids]
        contact_id = contact_ids.get(row.meta["buyer_key"])
        if missing or contact_id is None:
            reason = (
                f"product {', '.join(missing)} could not be written"
                if missing
                else "the buyer's contact could not be written"
            )
            _fail_row(job, row, reason, events, counts)
            continue
        data = dict(row.data)
        data["Contact_Name"] = {"id": contact_id}
        data["Ordered_Items"] = [
            {**line, "Product_Name": {"id": product_ids[line["Product_Name"]["id"]]}}
            for line in row.data["Ordered_Items"]
        ]
        ready.append((row, data))
    return ready


def write_new_orders(job: SyncJob) -> None:
    key_field = job.names[SALES_ORDERS]["Amazon Order ID"]
    for batch in staged_batches(job, SALES_ORDERS, "create"):
        counts, events, links, done = Counts(), [], [], []
        ready = _resolve(job, batch, events, counts)
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
                _fail_row(job, row, describe_failure(result), events, counts)
                continue
            if result.action == "update":
                # The order reached Zoho in a run whose checkpoint was lost: Zoho appended
                # our lines to the ones already there. Remove the older copies.
                repairs.append((result.zoho_id, len(data["Ordered_Items"])))
            counts.orders_created += 1
            done.append((row, result.zoho_id))
            links.append(
                ZohoLink(
                    tenant_id=job.tenant_id,
                    module=SALES_ORDERS,
                    amazon_key=row.amazon_key,
                    zoho_id=result.zoho_id,
                    fingerprint=row.fingerprint,
                )
            )
            events.append(_event(job, row, OrderEvent.Action.CREATED, result.zoho_id))
        for zoho_id, keep in repairs:
            remove_older_lines(job.zoho, zoho_id=zoho_id, keep=keep)
        _checkpoint(job, batch, counts, links=links, events=events, done=done)


def write_filled_orders(job: SyncJob) -> None:
    """Pending orders that moved on: replace their lines, buyer and money in Zoho."""
    for batch in staged_batches(job, SALES_ORDERS, "fill"):
        counts, events, done = Counts(), [], []
        ready = _resolve(job, batch, events, counts)
        updates = []
        for row, data in ready:
            lines = lines_replacing_current(
                job.zoho, zoho_id=row.meta["zoho_id"], lines=data["Ordered_Items"]
            )
            updates.append({**data, "id": row.meta["zoho_id"], "Ordered_Items": lines})
        results = job.zoho.update(SALES_ORDERS, updates) if updates else []
        _record_updates(
            job,
            [row for row, _ in ready],
            results,
            OrderEvent.Action.UPDATED,
            counts,
            events,
            done,
            message="Buyer, prices and items filled in",
        )
        _checkpoint(job, batch, counts, events=events, done=done)


def write_status_changes(job: SyncJob) -> None:
    for batch in staged_batches(job, SALES_ORDERS, "status"):
        counts, events, done = Counts(), [], []
        results = job.zoho.update(
            SALES_ORDERS, [{"id": row.meta["zoho_id"], **row.data} for row in batch]
        )
        _record_updates(job, batch, results, OrderEvent.Action.STATUS_CHANGED, counts, events, done)
        _checkpoint(job, batch, counts, events=events, done=done)


def _record_updates(job, rows, results, action, counts, events, done, message="") -> None:
    for row, result in zip(rows, results, strict=True):
        if not result.ok:
            _fail_row(job, row, describe_failure(result), events, counts)
            continue
        counts.orders_updated += 1
        done.append((row, row.meta["zoho_id"]))
        events.append(_event(job, row, action, row.meta["zoho_id"], message=message))


def _fail_row(job, row: StagedRecord, reason: str, events, counts) -> None:
    _fail(job, _order_of(row), reason, events, counts)


def _order_of(row: StagedRecord) -> Order:
    """The order a staged row stands for (identity, status and dates only)."""
    return Order(
        amazon_order_id=row.amazon_key,
        purchase_date=parse_datetime(row.meta.get("purchase") or row.meta["last_update"]),
        last_update_date=_when(row),
        order_status=row.meta["status"],
        marketplace_id=row.meta["marketplace_id"],
    )


def _when(row: StagedRecord) -> datetime:
    return parse_datetime(row.meta["last_update"])


def _event(job, row, action, zoho_id, message: str = "") -> OrderEvent:
    return OrderEvent(
        tenant_id=job.tenant_id,
        run=job.run,
        amazon_order_id=row.amazon_key,
        action=action,
        old_status=row.meta.get("old_status", ""),
        new_status=row.meta["status"],
        amazon_last_update=_when(row),
        zoho_record_id=zoho_id,
        message=message,
    )


# --- checkpoint ---------------------------------------------------------------------------


def _save_states(job: SyncJob, done: list[tuple[Order, str]]) -> None:
    now = timezone.now()
    AmazonOrderState.objects.bulk_create(
        [
            AmazonOrderState(
                tenant_id=job.tenant_id,
                amazon_order_id=order.amazon_order_id,
                marketplace_id=order.marketplace_id or "",
                order_status=order.order_status,
                last_update_date=order.last_update_date,
                complete=mapping.is_complete(order),
                zoho_id=zoho_id,
                updated_at=now,
            )
            for order, zoho_id in done
        ],
        update_conflicts=True,
        unique_fields=["tenant", "amazon_order_id"],
        update_fields=["order_status", "last_update_date", "complete", "zoho_id", "updated_at"],
    )


def _checkpoint(job, batch, counts: Counts, *, links=(), events=(), done=()) -> None:
    """A batch's links, order states, Order History and counts commit with the removal of
    its staged rows, or none of them does."""
    states = [(_order_of(row), zoho_id) for row, zoho_id in done]
    with transaction.atomic():
        if links:
            ZohoLink.objects.bulk_create(
                links,
                update_conflicts=True,
                unique_fields=["tenant", "module", "amazon_key"],
                update_fields=["zoho_id", "fingerprint", "updated_at"],
            )
        if states:
            _save_states(job, states)
        if events:
            OrderEvent.objects.bulk_create(events, ignore_conflicts=True)
        StagedRecord.objects.filter(pk__in=[row.pk for row in batch]).delete()
        counts.save_to(job.run.pk)
    job.heartbeat()
