"""Stage: map a batch's orders (pure functions in ``crm_sync.mapping``) to the Zoho records
that differ from what Zoho holds, and save them as typed ``StagedRecord`` rows, one
transaction per batch.

A product is staged once per ASIN, by the order that introduced it; a contact once per buyer
key, described by the buyer's latest order; a sales order once per Amazon Order ID with its
lines. Products and contacts whose content Zoho already holds (fingerprints on ``ZohoLink``)
are not staged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime

from django.db import transaction

from amazon_ext.amazon.types import Order
from crm_sync import mapping
from crm_sync.buyer_keys import BuyerKeyer
from crm_sync.models import StagedRecord
from crm_sync.models.data_protection import BuyerDataHold
from crm_sync.pipeline import holds
from crm_sync.pipeline.bulk import bulk_upsert
from crm_sync.pipeline.checkpoint import save_states, state_of_order
from crm_sync.pipeline.events import failed_order, record_failure
from crm_sync.pipeline.job import Counts, SyncJob
from crm_sync.pipeline.lookups import without_lookups
from crm_sync.pipeline.mapped import MappedOrder, map_order
from crm_sync.pipeline.plan import Plan, StateLike
from crm_sync.pipeline.stage_products import links, product_rows, row
from crm_sync.pipeline.staged import TYPED_COLUMNS
from crm_sync.services.data_protection_settings import StagingProtection, staging_protection
from crm_sync.zoho.modules import CONTACTS, PRODUCTS, SALES_ORDERS
from history.models import OrderEvent


def stage(
    job: SyncJob,
    *,
    plan: Plan,
    states: Mapping[str, StateLike],
    full: list[Order],
    fetched: int,
    mapped: Iterable[MappedOrder] = (),
    protection: StagingProtection | None = None,
) -> None:
    """Stage ``full`` (new and fill orders, with their items) and ``plan.status``; remember
    ``plan.touched``; count ``fetched`` listed orders. ``mapped``: those of ``full`` the
    quarantine mapped already, with ``protection``'s keyer (the others are mapped here)."""
    full, plan = _newest_only(full, plan)
    protection = protection or staging_protection(tenant_id=job.tenant_id)
    by_id = {m.order.amazon_order_id: m for m in mapped}
    keyer, full, kept_out, buyer_data = _buyer_data(job, plan, full, protection, by_id)
    staged = _as_staged(job, full, by_id, keyer)
    events: list[OrderEvent] = []
    counts = Counts(orders_fetched=fetched)
    products = mapping.merge_products(m.products for m in staged)
    described = [m for m in staged if m.order.amazon_order_id not in kept_out]
    latest = mapping.latest_per_key((m.buyer_key, m.order) for m in described)
    known = links(job, {PRODUCTS: [r.amazon_key for r in products], CONTACTS: list(latest)})
    rows = product_rows(job, products, known[PRODUCTS])
    contacts, superseded = _contacts(job, described, latest, known[CONTACTS])
    rows += contacts
    for m in staged:
        if not m.order.items:
            reason = "Amazon returned no items for this order"
            record_failure(job, failed_order(m.order), reason, events, counts)
            continue
        rows.append(_sales_order(job, m, states.get(m.order.amazon_order_id)))
    for order in plan.status:
        state = states[order.amazon_order_id]
        rows.append(_status_change(job, order, state, keyer.key(order)))

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


def _as_staged(
    job: SyncJob, orders: list[Order], by_id: Mapping[str, MappedOrder], keyer: BuyerKeyer
) -> list[MappedOrder]:
    """``orders`` mapped: the quarantine's mapping where it mapped this very order object,
    else mapped now (an order whose buyer data was taken out is a new object, and is keyed
    by ``keyer``, which remembers its buyer)."""
    return [_mapped(by_id, order) or map_order(order, job.names, keyer) for order in orders]


def _mapped(by_id: Mapping[str, MappedOrder], order: Order) -> MappedOrder | None:
    found = by_id.get(order.amazon_order_id)
    return found if found is not None and found.order is order else None


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


def _buyer_data(
    job: SyncJob,
    plan: Plan,
    full: list[Order],
    protection: StagingProtection,
    by_id: Mapping[str, MappedOrder],
):
    """The tenant's Contact keyer; ``full`` with the buyer data of orders whose data was
    removed taken out (those orders, kept out of contact staging: their contact is
    anonymous or describes a later order); the batch's buyer-data holds to save."""
    keyer = protection.keyer
    seen = [*plan.status, *plan.touched]
    # The quarantine keyed these very orders already.
    keys = {o.amazon_order_id: m.buyer_key for o in full if (m := _mapped(by_id, o))}
    cleaned, buyer_data = holds.prepare(
        tenant_id=job.tenant_id,
        full=full,
        seen=seen,
        keyer=keyer,
        retention_days=protection.retention_days,
        keys=keys,
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


def _contacts(
    job: SyncJob, described: list[MappedOrder], latest: dict[str, Order], known: dict[str, str]
) -> tuple[list[dict], list[str]]:
    """Contacts to stage (``latest``: buyer key → the buyer's latest order; ``known``: the
    fingerprints Zoho holds), and buyer keys whose staged contact Zoho already holds."""
    contact_of = {m.order.amazon_order_id: m.contact for m in described}
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
        record = contact_of[order.amazon_order_id]
        if known.get(key) == record.fingerprint:
            superseded.append(key)  # Zoho already holds exactly this
            continue
        rows.append(
            row(
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


def _order_columns(order: Order, state: StateLike | None, buyer_key: str) -> dict:
    return {
        "order_status": order.order_status,
        "previous_status": state.order_status if state else "",
        "amazon_last_update": order.last_update_date,
        "purchase_date": order.purchase_date,
        "marketplace_id": order.marketplace_id or "",
        "complete": mapping.is_complete(order),
        "buyer_key": buyer_key,
        "zoho_id": state.zoho_id if state else "",
        "product_keys": [item.asin for item in order.items],
        "currency": mapping.order_currency(order)[:3],
        "order_total": order.order_total.amount if order.order_total else None,
    }


def _sales_order(job: SyncJob, mapped: MappedOrder, state: StateLike | None) -> dict:
    # Mapped with the Amazon keys in its lookups (so the fingerprint names what they point
    # at); staged without them, the keys kept in typed columns until they have Zoho ids.
    order, record = mapped.order, mapped.sales_order
    return row(
        job,
        SALES_ORDERS,
        order.amazon_order_id,
        "fill" if state else "create",
        without_lookups(record.data),
        fingerprint=record.fingerprint,
        **_order_columns(order, state, mapped.buyer_key),
    )


def _status_change(job: SyncJob, order: Order, state: StateLike, buyer_key: str) -> dict:
    return row(
        job,
        SALES_ORDERS,
        order.amazon_order_id,
        "status",
        mapping.status_fields(order, job.names),
        **_order_columns(order, state, buyer_key),
    )
