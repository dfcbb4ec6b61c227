"""Buyer data the pipeline takes in: remembered per order (``BuyerDataHold``) in the same
transaction that stages it, so every order whose buyer data we or Zoho hold has an expiry;
and kept out again once removed, so re-reading an old order never writes it back.

Called from ``crm_sync.pipeline.stage`` for each staged batch.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from types import SimpleNamespace

from django.utils import timezone

from amazon_ext.amazon.types import Order
from crm_sync import retention
from crm_sync.buyer_keys import PER_ORDER_PREFIX as _PER_ORDER
from crm_sync.buyer_keys import BuyerKeyer, is_hashed
from crm_sync.models.data_protection import BuyerDataHold
from crm_sync.pipeline.bulk import bulk_upsert
from tenants.encryption import Secret

# A stored hold, or a new one as plain values (``_new_hold``).
Hold = BuyerDataHold | SimpleNamespace

UPDATED_FIELDS = [
    "buyer_key",
    "contact_has_pii",
    "values",
    "latest_delivery_date",
    "shipped_at",
    "cancelled_at",
    "delivered_at",
    "delivery_basis",
    "expires_at",
    "updated_at",
]


def pii_values(order: Order) -> list[str]:
    """Every buyer name, email, street line and phone the order carries (city, state,
    postal code and country are not PII and stay)."""
    found = [order.buyer_email, order.buyer_name, order.buyer_company_name]
    address = order.shipping_address
    if address is not None:
        found += [address.name, address.line1, address.line2, address.line3, address.phone]
    return sorted({v.strip() for v in found if v and v.strip()})


def without_pii(order: Order) -> Order:
    """The order as it may be written once its buyer data has been removed."""
    address = order.shipping_address
    if address is not None:
        address = dataclasses.replace(
            address, name=None, line1=None, line2=None, line3=None, phone=None
        )
    return dataclasses.replace(
        order,
        buyer_email=None,
        buyer_name=None,
        buyer_company_name=None,
        shipping_address=address,
    )


def _values(hold: Hold) -> list[str]:
    return json.loads(hold.values.reveal()) if hold.values else []


def _milestones(hold: Hold, order: Order, retention_days: int) -> None:
    first_shipped = hold.shipped_at is None or order.last_update_date < hold.shipped_at
    if order.order_status in retention.SHIPPED and first_shipped:
        hold.shipped_at = order.last_update_date
    if order.order_status in retention.CANCELLED and hold.cancelled_at is None:
        hold.cancelled_at = order.last_update_date
    if order.latest_delivery_date is not None:
        hold.latest_delivery_date = order.latest_delivery_date
    refresh_expiry(hold, retention_days=retention_days)


def _milestone_values(hold: Hold) -> tuple:
    return tuple(getattr(hold, name) for name in UPDATED_FIELDS[3:9])


def refresh_expiry(hold: Hold, *, retention_days: int) -> None:
    """Recompute delivery and expiry from the milestones and the tenant's retention."""
    delivered = retention.delivery(
        latest_delivery_date=hold.latest_delivery_date,
        shipped_at=hold.shipped_at,
        cancelled_at=hold.cancelled_at,
    )
    hold.delivered_at = delivered.at if delivered else None
    hold.delivery_basis = delivered.basis if delivered else ""
    hold.expires_at = retention.expires_at(delivered, retention_days=retention_days)


def prepare(
    *,
    tenant_id: int,
    full: list[Order],
    seen: Iterable[Order],
    keyer: BuyerKeyer,
    retention_days: int,
    now: datetime | None = None,
    keys: Mapping[str, str] | None = None,
) -> tuple[list[Order], list[Hold]]:
    """``full`` with the buyer data of removed (or already expired) orders taken out, and the
    holds to save for the batch: new buyer data remembered, milestones (shipment,
    cancellation) of every order ``seen`` noted. Save them with ``save`` in the staging
    transaction. ``keys``: Amazon Order ID → the order's key by ``keyer``, where the caller
    has it already."""
    keys = keys or {}
    now = now or timezone.now()
    orders = {o.amazon_order_id: o for o in [*seen, *full]}
    existing = {
        h.amazon_order_id: h
        for h in BuyerDataHold.objects.filter(tenant_id=tenant_id, amazon_order_id__in=orders)
    }
    holds: dict[str, Hold] = {}
    cleaned: list[Order] = []
    for order in full:
        hold = existing.get(order.amazon_order_id)
        gone = hold is not None and (
            hold.removed_at is not None or (hold.expires_at and hold.expires_at <= now)
        )
        values = pii_values(order)
        if gone or not values:
            cleaned.append(without_pii(order) if gone else order)
            continue
        cleaned.append(order)
        if hold is None:
            hold = _new_hold(tenant_id, order)
            existing[order.amazon_order_id] = hold
        key = keys.get(order.amazon_order_id) or keyer.key(order)
        hold.buyer_key = key
        hold.contact_has_pii = is_hashed(key) or key.startswith(_PER_ORDER)
        merged = sorted(set(_values(hold)) | set(values)) if hold.values else values
        hold.values = Secret.from_plaintext(json.dumps(merged), label="buyer data values")
        holds[order.amazon_order_id] = hold
    for order_id, order in orders.items():
        hold = existing.get(order_id)
        if hold is None or hold.removed_at is not None:
            continue
        before = _milestone_values(hold)
        _milestones(hold, order, retention_days)
        # Saved only when something moved (a live status flip usually moves nothing).
        if order_id in holds or _milestone_values(hold) != before:
            holds[order_id] = hold
    return cleaned, list(holds.values())


def _new_hold(tenant_id: int, order: Order) -> SimpleNamespace:
    """A hold not stored yet, as the plain values ``save`` stores (a model instance per new
    order cost more than the rest of preparing it, encryption aside)."""
    return SimpleNamespace(
        tenant_id=tenant_id,
        amazon_order_id=order.amazon_order_id,
        marketplace_id=order.marketplace_id or "",
        purchase_date=order.purchase_date,
        buyer_key="",
        contact_has_pii=False,
        values="",
        latest_delivery_date=None,
        shipped_at=None,
        cancelled_at=None,
        delivered_at=None,
        delivery_basis="",
        expires_at=None,
        removed_at=None,
    )


def save(holds: list[Hold]) -> None:
    """Insert or update the holds (inside the caller's transaction). A hold another run
    inserted meanwhile is updated, not duplicated (the unique order id decides)."""
    # One INSERT … ON CONFLICT DO UPDATE for known and new alike (bulk_update's CASE per
    # field and row cost ~0.5 s of Python per 100 holds; bulk_create's compiler ~5 % of a
    # sync's CPU). updated_at and a new hold's created_at are stamped by bulk_upsert.
    bulk_upsert(
        [vars(h) if isinstance(h, SimpleNamespace) else h for h in holds],
        model=BuyerDataHold,
        unique_fields=["tenant", "amazon_order_id"],
        update_fields=UPDATED_FIELDS,
    )
