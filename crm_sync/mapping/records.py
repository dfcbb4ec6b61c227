"""What every Zoho record the mapping builds shares: ``ZohoRecord`` and its fingerprint,
the refusal of an order that cannot be mapped, Amazon's statuses in Zoho's words, the
withheld buyer's old key and name, and the JSON edge.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from amazon_ext.amazon.types import Order

# Before buyer keys (crm_sync.buyer_keys), Contacts were keyed by the lower-cased email and
# withheld buyers shared one contact under this key; kept for the move to the new keys.
WITHHELD_BUYER_KEY = "amazon-customer@withheld.invalid"


WITHHELD_BUYER_NAME = "Amazon Customer"


# Amazon OrderStatus → Zoho Sales Order "Status" picklist (Zoho's default values).
ZOHO_STATUS = {
    "PendingAvailability": "Created",
    "Pending": "Created",
    "Unshipped": "Approved",
    "PartiallyShipped": "Approved",
    "InvoiceUnconfirmed": "Approved",
    "Shipped": "Delivered",
    "Canceled": "Cancelled",
    "Unfulfillable": "Cancelled",
}


INCOMPLETE_STATUSES = frozenset({"Pending", "PendingAvailability"})


@dataclass(frozen=True)
class ZohoRecord:
    """A record ready to write, with the Amazon key it belongs to and a fingerprint of its
    ``content`` (the part of ``data`` that says "this record changed"; equal fingerprint =
    nothing to write). ``create_only``: written only while Zoho has no such record (a
    product known only from orders in another currency)."""

    amazon_key: str
    data: dict
    content: dict
    create_only: bool = False

    @cached_property
    def fingerprint(self) -> str:
        # Computed when asked: the quarantine maps every order only to see it refused, and
        # a contact superseded in the batch is never compared.
        return fingerprint(self.content)


class UnmappableOrderError(Exception):
    """An order that cannot be written to Zoho as Amazon sent it; ``reason`` says why and what
    to do, in the user's words, with no buyer data in it. Raised by ``check_mappable`` (and so
    by every function that maps an order's money)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def fingerprint(data: dict) -> str:
    encoded = json.dumps(data, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(encoded.encode()).hexdigest()


def is_complete(order: Order) -> bool:
    """Amazon withholds money and buyer until payment clears (Pending)."""
    return order.order_status not in INCOMPLETE_STATUSES


def zoho_text(value: str | None, limit: int = 255) -> str:
    return (value or "").strip()[:limit]


# Values that are JSON-ready as they are: not walked into (most of a record's values).
_PLAIN = frozenset({str, int, float, bool, type(None)})


def to_json_ready(data):
    """Decimals become JSON numbers only at the edge (exact for 2-decimal amounts)."""
    if isinstance(data, dict):
        return {k: v if type(v) in _PLAIN else to_json_ready(v) for k, v in data.items()}
    if isinstance(data, list):
        return [v if type(v) in _PLAIN else to_json_ready(v) for v in data]
    if isinstance(data, Decimal):
        return float(data) if data != data.to_integral_value() else int(data)
    return data
