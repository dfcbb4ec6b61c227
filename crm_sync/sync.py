"""The sync flow, in one place.

Both schedules run the same loop; they differ only in how they list orders and which cursor
they keep:

* *Sync Amazon Record* lists orders by creation time (``CreatedAfter``): new orders.
* *Update Order Status* lists them by last-update time (``LastUpdatedAfter``): changes to
  orders we already hold.

For every page of orders:

1. **Classify** each order against what we last saw (``AmazonOrderState``): new, pending-now-
   complete ("fill"), status changed, touched without a change we map, or unchanged.
2. **Fetch items** only for new and fill orders (one call per order; Amazon has no batch).
3. **Map** (pure functions in ``crm_sync.mapping``) to Products, Contacts and Sales Orders.
4. **Write** products, then contacts, then orders, in batches of up to 100, skipping records
   whose content fingerprint is unchanged.
5. **Record** links, order states, Order History and the run's counts in ONE transaction per
   page: the checkpoint. The cursor moves only after the last page, to the window end Amazon
   echoed.

Crash safety: Zoho writes are upserts keyed on unique fields (ASIN No, Amazon Buyer Email,
Amazon Order ID), so re-processing a page whose checkpoint was lost updates instead of
duplicating; Order History is unique per (order, action, Amazon's LastUpdateDate); and an
order upsert that unexpectedly *updated* (its first write was lost) has the line items Zoho
appended removed again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from amazon_ext.amazon.types import Order
from crm_sync import mapping
from crm_sync.models import AmazonOrderState, ScheduleKind, SyncCursor, ZohoLink
from history.models import OrderEvent, SyncRun

logger = logging.getLogger(__name__)

# Re-read a little before the cursor: Amazon's window edges are not exact.
CURSOR_OVERLAP = timedelta(minutes=5)
FIRST_RUN_LOOKBACK = timedelta(days=getattr(settings, "SYNC_FIRST_RUN_LOOKBACK_DAYS", 30))
PRODUCTS, CONTACTS, SALES_ORDERS = "Products", "Contacts", "Sales_Orders"


@dataclass
class PageCounts:
    orders_fetched: int = 0
    orders_created: int = 0
    orders_updated: int = 0
    products_created: int = 0
    products_updated: int = 0
    contacts_created: int = 0
    contacts_updated: int = 0
    records_failed: int = 0
    failures: list[str] = field(default_factory=list)

    def as_increments(self) -> dict:
        return {
            name: F(name) + value
            for name, value in vars(self).items()
            if name != "failures" and value
        }


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

    @property
    def tenant_id(self) -> int:
        return self.run.tenant_id


def run_sync(job: SyncJob) -> None:
    """Walk the schedule's order listing from its cursor and process every page."""
    schedule = job.run.schedule
    cursor_key = ",".join(sorted(job.marketplace_ids))
    cursor = SyncCursor.objects.filter(
        tenant_id=job.tenant_id, schedule=schedule, marketplace_key=cursor_key
    ).first()
    since = (cursor.watermark if cursor else timezone.now() - FIRST_RUN_LOOKBACK) - CURSOR_OVERLAP
    if schedule == ScheduleKind.SYNC_RECORDS:
        pages = job.amazon.iter_order_pages(created_after=since)
    else:
        pages = job.amazon.iter_order_pages(last_updated_after=since)

    window_end: datetime | None = None
    for page in pages:
        process_page(job, list(page.orders))
        window_end = page.window_end or window_end
        job.heartbeat()
    if window_end is not None:
        cursor_advance(
            tenant_id=job.tenant_id, schedule=schedule, key=cursor_key, watermark=window_end
        )


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


# --- 1. classify -----------------------------------------------------------------------


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


# --- the page --------------------------------------------------------------------------


def process_page(job: SyncJob, orders: list[Order]) -> PageCounts:
    counts = PageCounts(orders_fetched=len(orders))
    states = {
        s.amazon_order_id: s
        for s in AmazonOrderState.objects.filter(
            tenant_id=job.tenant_id, amazon_order_id__in=[o.amazon_order_id for o in orders]
        )
    }
    plan = classify(orders, states, job.run.schedule)

    # 2. fetch items
    full_orders = plan.new + plan.fill
    if full_orders:
        items = job.amazon.list_order_items_many([o.amazon_order_id for o in full_orders])
        full_orders = [replace(o, items=tuple(items[o.amazon_order_id])) for o in full_orders]

    # 3 + 4. map and write: products, contacts, then orders
    links: list[ZohoLink] = []
    product_ids = write_keyed(
        job,
        PRODUCTS,
        mapping.products_for_orders(full_orders, job.names),
        key_field=job.names[PRODUCTS]["ASIN No"],
        links=links,
        counts=counts,
    )
    contact_ids = write_keyed(
        job,
        CONTACTS,
        mapping.contacts_for_orders(full_orders, job.names),
        key_field=job.names[CONTACTS]["Amazon Buyer Email"],
        links=links,
        counts=counts,
    )
    events: list[OrderEvent] = []
    done: list[tuple[Order, str]] = []  # (order, zoho id) to checkpoint
    by_id = {o.amazon_order_id: o for o in full_orders}
    new_ids = {o.amazon_order_id for o in plan.new}
    write_new_orders(
        job,
        [by_id[o.amazon_order_id] for o in plan.new],
        product_ids,
        contact_ids,
        events,
        done,
        links,
        counts,
    )
    write_filled_orders(
        job,
        [by_id[o.amazon_order_id] for o in plan.fill if o.amazon_order_id not in new_ids],
        states,
        product_ids,
        contact_ids,
        events,
        done,
        counts,
    )
    write_status_changes(job, plan.status, states, events, done, counts)
    done.extend((o, states[o.amazon_order_id].zoho_id) for o in plan.touched)

    # 5. checkpoint
    checkpoint(job, done, links, events, counts)
    job.failures.extend(counts.failures)
    return counts


def write_keyed(
    job: SyncJob,
    module: str,
    records: list[mapping.ZohoRecord],
    *,
    key_field: str,
    links: list[ZohoLink],
    counts: PageCounts,
) -> dict[str, str]:
    """Upsert records whose content changed; return Amazon key → Zoho id for all of them."""
    existing = {
        link.amazon_key: link
        for link in ZohoLink.objects.filter(
            tenant_id=job.tenant_id, module=module, amazon_key__in=[r.amazon_key for r in records]
        )
    }
    ids = {key: link.zoho_id for key, link in existing.items()}
    to_write = [
        r
        for r in records
        if r.amazon_key not in existing or existing[r.amazon_key].fingerprint != r.fingerprint
    ]
    if not to_write:
        return ids
    results = job.zoho.upsert(
        module,
        [mapping.to_json_ready(r.data) for r in to_write],
        duplicate_check_fields=[key_field],
    )
    singular = {PRODUCTS: "products", CONTACTS: "contacts"}[module]
    for record, result in zip(to_write, results, strict=True):
        if not result.ok:
            counts.records_failed += 1
            counts.failures.append(f"{module} {record.amazon_key}: {describe_failure(result)}")
            continue
        ids[record.amazon_key] = result.zoho_id
        links.append(
            ZohoLink(
                tenant_id=job.tenant_id,
                module=module,
                amazon_key=record.amazon_key,
                zoho_id=result.zoho_id,
                fingerprint=record.fingerprint,
            )
        )
        created = result.action == "insert" and record.amazon_key not in existing
        attr = f"{singular}_{'created' if created else 'updated'}"
        setattr(counts, attr, getattr(counts, attr) + 1)
    return ids


def describe_failure(result) -> str:
    where = f" (field {result.field})" if getattr(result, "field", None) else ""
    return f"Zoho {result.code or 'error'}{where}: {result.message or 'no message'}"


def _order_record(job, order, product_ids, contact_ids) -> mapping.ZohoRecord | str:
    """The Sales Order record, or why it cannot be written (a product or contact failed)."""
    missing = [i.asin for i in order.items if i.asin not in product_ids]
    if missing:
        return f"product {', '.join(missing)} could not be written"
    contact_id = contact_ids.get(mapping.buyer_key(order))
    if contact_id is None:
        return "the buyer's contact could not be written"
    if not order.items:
        return "Amazon returned no items for this order"
    return mapping.sales_order_record(
        order, contact_id=contact_id, product_ids=product_ids, names=job.names
    )


def _fail(job, order, reason, events, counts) -> None:
    counts.records_failed += 1
    counts.failures.append(f"Order {order.amazon_order_id}: {reason}")
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


def write_new_orders(job, orders, product_ids, contact_ids, events, done, links, counts) -> None:
    records, sendable = [], []
    for order in orders:
        record = _order_record(job, order, product_ids, contact_ids)
        if isinstance(record, str):
            _fail(job, order, record, events, counts)
            continue
        records.append(record)
        sendable.append(order)
    if not records:
        return
    key_field = job.names[SALES_ORDERS]["Amazon Order ID"]
    results = job.zoho.upsert(
        SALES_ORDERS,
        [mapping.to_json_ready(r.data) for r in records],
        duplicate_check_fields=[key_field],
    )
    repairs = []
    for order, record, result in zip(sendable, records, results, strict=True):
        if not result.ok:
            _fail(job, order, describe_failure(result), events, counts)
            continue
        if result.action == "update":
            # The order reached Zoho in a run whose checkpoint was lost: Zoho appended our
            # lines to the ones already there. Remove the older copies.
            repairs.append((result.zoho_id, len(record.data["Ordered_Items"])))
        counts.orders_created += 1
        done.append((order, result.zoho_id))
        links.append(
            ZohoLink(
                tenant_id=job.tenant_id,
                module=SALES_ORDERS,
                amazon_key=order.amazon_order_id,
                zoho_id=result.zoho_id,
                fingerprint=record.fingerprint,
            )
        )
        events.append(
            OrderEvent(
                tenant_id=job.tenant_id,
                run=job.run,
                amazon_order_id=order.amazon_order_id,
                action=OrderEvent.Action.CREATED,
                new_status=order.order_status,
                amazon_last_update=order.last_update_date,
                zoho_record_id=result.zoho_id,
            )
        )
    for zoho_id, keep in repairs:
        remove_older_lines(job, zoho_id, keep=keep)


def remove_older_lines(job: SyncJob, zoho_id: str, *, keep: int) -> None:
    """Delete all line items but the last ``keep`` (the ones just written)."""
    record = job.zoho.get_record(SALES_ORDERS, zoho_id)
    rows = record.get("Ordered_Items") or []
    stale = rows[: max(0, len(rows) - keep)]
    if stale:
        job.zoho.update(
            SALES_ORDERS,
            [
                {
                    "id": zoho_id,
                    "Ordered_Items": [{"id": row["id"], "_delete": None} for row in stale],
                }
            ],
        )


def write_filled_orders(
    job, orders, states, product_ids, contact_ids, events, done, counts
) -> None:
    """Pending orders that moved on: replace their lines, buyer and money in Zoho."""
    updates, sendable = [], []
    for order in orders:
        state = states[order.amazon_order_id]
        record = _order_record(job, order, product_ids, contact_ids)
        if isinstance(record, str):
            _fail(job, order, record, events, counts)
            continue
        # Zoho appends line items on update; delete the placeholder lines by their row ids.
        current = job.zoho.get_record(SALES_ORDERS, state.zoho_id)
        deletes = [{"id": row["id"], "_delete": None} for row in current.get("Ordered_Items") or []]
        data = mapping.to_json_ready(record.data)
        data["Ordered_Items"] = deletes + data["Ordered_Items"]
        updates.append({"id": state.zoho_id, **data})
        sendable.append(order)
    if not updates:
        return
    results = job.zoho.update(SALES_ORDERS, updates)
    for order, result in zip(sendable, results, strict=True):
        state = states[order.amazon_order_id]
        if not result.ok:
            _fail(job, order, describe_failure(result), events, counts)
            continue
        counts.orders_updated += 1
        done.append((order, state.zoho_id))
        events.append(
            OrderEvent(
                tenant_id=job.tenant_id,
                run=job.run,
                amazon_order_id=order.amazon_order_id,
                action=OrderEvent.Action.UPDATED,
                old_status=state.order_status,
                new_status=order.order_status,
                amazon_last_update=order.last_update_date,
                zoho_record_id=state.zoho_id,
                message="Buyer, prices and items filled in",
            )
        )


def write_status_changes(job, orders, states, events, done, counts) -> None:
    if not orders:
        return
    updates = [
        {"id": states[o.amazon_order_id].zoho_id, **mapping.status_fields(o, job.names)}
        for o in orders
    ]
    results = job.zoho.update(SALES_ORDERS, updates)
    for order, result in zip(orders, results, strict=True):
        state = states[order.amazon_order_id]
        if not result.ok:
            _fail(job, order, describe_failure(result), events, counts)
            continue
        counts.orders_updated += 1
        done.append((order, state.zoho_id))
        events.append(
            OrderEvent(
                tenant_id=job.tenant_id,
                run=job.run,
                amazon_order_id=order.amazon_order_id,
                action=OrderEvent.Action.STATUS_CHANGED,
                old_status=state.order_status,
                new_status=order.order_status,
                amazon_last_update=order.last_update_date,
                zoho_record_id=state.zoho_id,
            )
        )


# --- 5. checkpoint ---------------------------------------------------------------------


@transaction.atomic
def checkpoint(job, done, links, events, counts: PageCounts) -> None:
    """Links, order states, Order History and counts commit together, or not at all."""
    if links:
        ZohoLink.objects.bulk_create(
            links,
            update_conflicts=True,
            unique_fields=["tenant", "module", "amazon_key"],
            update_fields=["zoho_id", "fingerprint", "updated_at"],
        )
    if done:
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
    if events:
        OrderEvent.objects.bulk_create(events, ignore_conflicts=True)
    increments = counts.as_increments()
    increments["heartbeat_at"] = timezone.now()
    SyncRun.objects.filter(pk=job.run.pk).update(**increments)
