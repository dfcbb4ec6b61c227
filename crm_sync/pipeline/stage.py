"""Stage: map a batch's orders (pure functions in ``crm_sync.mapping``) to the Zoho records
that differ from what Zoho holds, and save them as typed ``StagedRecord`` rows, one
transaction per batch.

A product is staged once per ASIN, by the order that introduced it; a contact once per buyer
key, described by the buyer's latest order; a sales order once per Amazon Order ID with its
lines. Products and contacts whose content Zoho already holds (fingerprints on ``ZohoLink``)
are not staged.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from django.db import transaction

from amazon_ext.amazon.types import Order
from crm_sync import mapping
from crm_sync.buyer_keys import BuyerKeyer
from crm_sync.models import AmazonOrderState, StagedRecord, ZohoLink
from crm_sync.models.data_protection import BuyerDataHold
from crm_sync.pipeline import holds
from crm_sync.pipeline.bulk import bulk_upsert
from crm_sync.pipeline.checkpoint import save_states, state_of_order
from crm_sync.pipeline.events import failed_order, record_failure
from crm_sync.pipeline.job import Counts, SyncJob
from crm_sync.pipeline.lookups import without_lookups
from crm_sync.pipeline.plan import Plan
from crm_sync.services.data_protection_settings import data_protection_settings, keyer_for_tenant
from crm_sync.zoho.modules import CONTACTS, PRODUCTS, SALES_ORDERS
from history.models import OrderEvent

TYPED_COLUMNS = [
    "order_status",
    "previous_status",
    "amazon_last_update",
    "purchase_date",
    "marketplace_id",
    "complete",
    "buyer_key",
    "zoho_id",
    "product_keys",
    "currency",
    "order_total",
]


def stage(
    job: SyncJob,
    *,
    plan: Plan,
    states: dict[str, AmazonOrderState],
    full: list[Order],
    fetched: int,
) -> None:
    """Stage ``full`` (new and fill orders, with their items) and ``plan.status``; remember
    ``plan.touched``; count ``fetched`` listed orders."""
    full, plan = _newest_only(full, plan)
    keyer, full, kept_out, buyer_data = _buyer_data(job, plan, full)
    events: list[OrderEvent] = []
    counts = Counts(orders_fetched=fetched)
    rows = _products(job, full)
    described = [o for o in full if o.amazon_order_id not in kept_out]
    contacts, superseded = _contacts(job, described, keyer)
    rows += contacts
    for order in full:
        if not order.items:
            reason = "Amazon returned no items for this order"
            record_failure(job, failed_order(order), reason, events, counts)
            continue
        state = states.get(order.amazon_order_id)
        rows.append(_sales_order(job, order, state, keyer))
    for order in plan.status:
        rows.append(_status_change(job, order, states[order.amazon_order_id], keyer))

    with transaction.atomic():
        holds.save(buyer_data)  # first, so no buyer data is staged without its expiry
        if superseded:
            StagedRecord.objects.filter(
                run=job.run, module=CONTACTS, amazon_key__in=superseded
            ).delete()
        if rows:
            bulk_upsert(
                rows,
                model=StagedRecord,
                unique_fields=["run", "module", "amazon_key"],
                update_fields=["action", "data", "fingerprint", *TYPED_COLUMNS],
            )
        if plan.touched:
            touched = [(o, states[o.amazon_order_id].zoho_id) for o in plan.touched]
            save_states([state_of_order(job, o, zoho_id) for o, zoho_id in touched])
        if events:
            OrderEvent.objects.bulk_create(events, ignore_conflicts=True)
        counts.save_to(job.run.pk)


def newest(orders: Iterable[Order]) -> dict[str, datetime]:
    """Amazon Order ID → the latest LastUpdateDate among ``orders``."""
    latest: dict[str, datetime] = {}
    for order in orders:
        seen = latest.get(order.amazon_order_id)
        if seen is None or order.last_update_date > seen:
            latest[order.amazon_order_id] = order.last_update_date
    return latest


def _newest_only(full: list[Order], plan: Plan) -> tuple[list[Order], Plan]:
    """One copy of each order: a page may list the same AmazonOrderId twice (Amazon's paging
    under concurrent updates). Staging both would make PostgreSQL refuse the batch ("ON
    CONFLICT DO UPDATE command cannot affect row a second time") and SQLite keep whichever
    came last; the copy with the newest LastUpdateDate wins, on every database."""
    latest = newest([*full, *plan.status, *plan.touched])
    taken: set[str] = set()

    def keep(orders: list[Order]) -> list[Order]:
        kept = []
        for order in orders:
            key = order.amazon_order_id
            if key not in taken and order.last_update_date == latest[key]:
                taken.add(key)
                kept.append(order)
        return kept

    full = keep(full)  # first: a newest copy with its items is the one to write
    return full, replace(plan, status=keep(plan.status), touched=keep(plan.touched))


def _fingerprints(job: SyncJob, module: str, keys: list[str]) -> dict[str, str]:
    """Amazon key → fingerprint of what Zoho holds."""
    return dict(
        ZohoLink.objects.filter(
            tenant_id=job.tenant_id, module=module, amazon_key__in=keys
        ).values_list("amazon_key", "fingerprint")
    )


def _row(job: SyncJob, module: str, key: str, action: str, data: dict, **typed) -> dict:
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


def _products(job: SyncJob, orders: list[Order]) -> list[StagedRecord]:
    records = mapping.products_for_orders(orders, job.names)
    known = _fingerprints(job, PRODUCTS, [r.amazon_key for r in records])
    # A product known only from orders in another currency is written only if Zoho has none
    # yet and no priced version is staged: it must never take a price away.
    first_only = [r.amazon_key for r in records if r.create_only and r.amazon_key not in known]
    staged = set(
        StagedRecord.objects.filter(
            run=job.run, module=PRODUCTS, amazon_key__in=first_only
        ).values_list("amazon_key", flat=True)
        if first_only
        else ()
    )
    return [
        StagedRecord(
            **_row(job, PRODUCTS, r.amazon_key, "upsert", r.data, fingerprint=r.fingerprint)
        )
        for r in records
        if known.get(r.amazon_key) != r.fingerprint
        and not (r.create_only and (r.amazon_key in known or r.amazon_key in staged))
    ]


def _buyer_data(job: SyncJob, plan: Plan, full: list[Order]):
    """The tenant's Contact keyer; ``full`` with the buyer data of orders whose data was
    removed taken out (those orders, kept out of contact staging: their contact is
    anonymous or describes a later order); the batch's buyer-data holds to save."""
    found = data_protection_settings(tenant_id=job.tenant_id)
    keyer = keyer_for_tenant(tenant_id=job.tenant_id)
    seen = [*plan.status, *plan.touched]
    cleaned, buyer_data = holds.prepare(
        tenant_id=job.tenant_id,
        full=full,
        seen=seen,
        keyer=keyer,
        retention_days=found.retention_days,
    )
    removed = {o.amazon_order_id for o, c in zip(full, cleaned, strict=True) if o is not c}
    if removed:
        keyer = keyer.remembering(
            dict(
                BuyerDataHold.objects.filter(
                    tenant_id=job.tenant_id, amazon_order_id__in=removed
                ).values_list("amazon_order_id", "buyer_key")
            )
        )
    return keyer, cleaned, removed, buyer_data


def _contacts(job: SyncJob, orders: list[Order], keyer: BuyerKeyer) -> tuple[list[dict], list[str]]:
    """Contacts to stage, and buyer keys whose staged contact Zoho already holds."""
    latest = mapping.latest_order_per_buyer(orders, keyer)
    known = _fingerprints(job, CONTACTS, list(latest))
    staged_from = dict(
        StagedRecord.objects.filter(
            run=job.run, module=CONTACTS, amazon_key__in=list(latest)
        ).values_list("amazon_key", "purchase_date")
    )
    rows, superseded = [], []
    for key, order in latest.items():
        earlier = staged_from.get(key)
        if earlier is not None and earlier > order.purchase_date:
            continue  # a later order of this buyer is staged already
        record = mapping.contact_record(order, job.names, keyer)
        if known.get(key) == record.fingerprint:
            superseded.append(key)  # Zoho already holds exactly this
            continue
        rows.append(
            _row(
                job,
                CONTACTS,
                key,
                "upsert",
                record.data,
                fingerprint=record.fingerprint,
                purchase_date=order.purchase_date,
            )
        )
    return rows, superseded


def _order_columns(order: Order, state: AmazonOrderState | None, keyer: BuyerKeyer) -> dict:
    return {
        "order_status": order.order_status,
        "previous_status": state.order_status if state else "",
        "amazon_last_update": order.last_update_date,
        "purchase_date": order.purchase_date,
        "marketplace_id": order.marketplace_id or "",
        "complete": mapping.is_complete(order),
        "buyer_key": mapping.buyer_key(order, keyer),
        "zoho_id": state.zoho_id if state else "",
        "product_keys": [item.asin for item in order.items],
        "currency": mapping.order_currency(order)[:3],
        "order_total": order.order_total.amount if order.order_total else None,
    }


def _sales_order(
    job: SyncJob, order: Order, state: AmazonOrderState | None, keyer: BuyerKeyer
) -> dict:
    # Mapped with the Amazon keys in its lookups (so the fingerprint names what they point
    # at); staged without them, the keys kept in typed columns until they have Zoho ids.
    record = mapping.sales_order_record(
        order,
        contact_id=mapping.buyer_key(order, keyer),
        product_ids={item.asin: item.asin for item in order.items},
        names=job.names,
    )
    return _row(
        job,
        SALES_ORDERS,
        order.amazon_order_id,
        "fill" if state else "create",
        without_lookups(record.data),
        fingerprint=record.fingerprint,
        **_order_columns(order, state, keyer),
    )


def _status_change(job: SyncJob, order: Order, state: AmazonOrderState, keyer: BuyerKeyer) -> dict:
    return _row(
        job,
        SALES_ORDERS,
        order.amazon_order_id,
        "status",
        mapping.status_fields(order, job.names),
        **_order_columns(order, state, keyer),
    )
