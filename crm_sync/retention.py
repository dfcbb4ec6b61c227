"""When an order's buyer data expires. Pure: no database, no clock.

Amazon's Data Protection Policy: buyer PII is kept "no longer than 30 days after order
delivery". Amazon's order APIs do not report a delivery *time*, so delivery is counted as:

1. **cancellation** — a cancelled order is never delivered: its buyer data is needed no
   longer than 30 days after the cancellation (Amazon's LastUpdateDate when we first saw it
   Canceled);
2. **the latest delivery date** Amazon reports (v0/MWS ``LatestDeliveryDate``, v2026
   ``fulfillment.deliverByWindow.latestDateTime``), once the order has shipped: Amazon's
   promise that the parcel is there by then;
3. **the shipment** (Amazon's LastUpdateDate when we first saw the order Shipped) when
   Amazon gave no delivery date. Delivery is never before shipment, so expiring 30 days
   after shipment is never later than the policy allows (the peers Webgility, Extensiv,
   eShopbox and Zenventory count from shipment too).

An order neither shipped nor cancelled still needs its buyer data to be fulfilled: it has no
expiry yet. The tenant's retention (1–30 days) is added to the delivery time; shorter is the
seller's choice, longer is not possible (``MAX_RETENTION_DAYS``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from crm_sync.models.data_protection import MAX_RETENTION_DAYS

SHIPPED = frozenset({"Shipped", "InvoiceUnconfirmed"})
CANCELLED = frozenset({"Canceled", "Unfulfillable"})

BASIS_CANCELLATION = "cancellation"
BASIS_DELIVERY_DATE = "latest delivery date"
BASIS_SHIPMENT = "shipment"


@dataclass(frozen=True)
class Delivery:
    """When an order counts as delivered, and why."""

    at: datetime
    basis: str


def delivery(
    *,
    latest_delivery_date: datetime | None,
    shipped_at: datetime | None,
    cancelled_at: datetime | None,
) -> Delivery | None:
    """The delivery time by the rules in the module docstring, or None (not yet shipped)."""
    if cancelled_at is not None:
        return Delivery(cancelled_at, BASIS_CANCELLATION)
    if shipped_at is None:
        return None
    if latest_delivery_date is not None:
        return Delivery(max(latest_delivery_date, shipped_at), BASIS_DELIVERY_DATE)
    return Delivery(shipped_at, BASIS_SHIPMENT)


def clamp_retention(days: int) -> int:
    """The seller may choose shorter than Amazon's limit, never longer (nor less than 1)."""
    return max(1, min(int(days), MAX_RETENTION_DAYS))


def expires_at(delivered: Delivery | None, *, retention_days: int) -> datetime | None:
    if delivered is None:
        return None
    return delivered.at + timedelta(days=clamp_retention(retention_days))


def reason(*, retention_days: int, basis: str) -> str:
    """The Order History line of a redaction, e.g. "buyer data removed: Amazon data
    protection, 30 days after delivery"."""
    days = clamp_retention(retention_days)
    after = {
        BASIS_CANCELLATION: "after cancellation",
        BASIS_SHIPMENT: "after delivery (counted from shipment)",
    }.get(basis, "after delivery")
    unit = "day" if days == 1 else "days"
    return f"buyer data removed: Amazon data protection, {days} {unit} {after}"
