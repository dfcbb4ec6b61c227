"""What buyer data Amazon withheld in an Orders API v2026-01-01 listing, and why, in plain
words for the run's history.

v2026-01-01 has no Restricted Data Token: the app's roles and the order decide each field
(../shared/specs/amazon-2027.md §3, developer docs "Access Orders PII"):

* ``buyer.buyerEmail``: merchant-fulfilled (FBM) orders only, with the Direct-to-Consumer
  Delivery role; FBA orders never carry one.
* ``buyer.buyerName``: FBM with Direct-to-Consumer Shipping (or a tax role); FBA with the
  Tax Invoicing or Tax Remittance role, except in the US, Japan and Singapore.
* ``recipient.deliveryAddress`` name, lines, phone: Direct-to-Consumer Shipping.
* all of it only while the order is Unshipped, Partially Shipped or Shipped.

We cannot ask Amazon which roles the app has, so the causes are read off what came back.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from amazon_ext.amazon.types import Order

# The statuses in which Amazon gives buyer data to an app with the roles.
PII_STATUSES = frozenset({"Unshipped", "PartiallyShipped", "Shipped"})


def _orders(n: int) -> str:
    return f"{n} order{'s' if n != 1 else ''}"


class BuyerDataTally:
    """Counts, over one run, the orders whose buyer data Amazon left out, by cause."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.fba_no_email = 0
        self.fbm_no_email = 0
        self.no_address = 0
        self.fba_no_name = 0
        self.not_yet = 0

    def count(self, orders: Iterable[Order]) -> None:
        with self._lock:
            for order in orders:
                self._count(order)

    def _count(self, order: Order) -> None:
        fba = order.fulfillment_channel == "AFN"
        if order.order_status not in PII_STATUSES:
            self.not_yet += 1
            return
        if not order.buyer_email:
            if fba:
                self.fba_no_email += 1
            else:
                self.fbm_no_email += 1
        address = order.shipping_address
        if address is None or not address.line1 or (not fba and not order.buyer_name):
            self.no_address += 1
        elif fba and not order.buyer_name:
            self.fba_no_name += 1

    def notes(self) -> list[str]:
        """One sentence per cause seen, saying what is missing, for how many orders, and why."""
        with self._lock:
            notes = []
            if self.fbm_no_email:
                notes.append(
                    f"Buyer email withheld for {_orders(self.fbm_no_email)} fulfilled by you: the "
                    "app lacks the Direct-to-Consumer Delivery role (add it to the app in "
                    "Developer Central, then press Authorize with Amazon again)."
                )
            if self.fba_no_email:
                notes.append(
                    f"Buyer email not provided by Amazon for {self.fba_no_email} FBA "
                    f"order{'s' if self.fba_no_email != 1 else ''} (Amazon gives no email for "
                    "orders it fulfils); they use the anonymous Amazon Customer contact."
                )
            if self.no_address:
                notes.append(
                    f"Buyer names and addresses withheld for {_orders(self.no_address)}: the app "
                    "lacks the Direct-to-Consumer Shipping role (Amazon still sent city, state, "
                    "postal code and country)."
                )
            if self.fba_no_name:
                notes.append(
                    f"Buyer names withheld for {self.fba_no_name} FBA "
                    f"order{'s' if self.fba_no_name != 1 else ''}: Amazon gives them only to "
                    "apps with the Tax Invoicing or Tax Remittance role, and not in the US, "
                    "Japan or Singapore."
                )
            if self.not_yet:
                notes.append(
                    f"No buyer details for {_orders(self.not_yet)} that were Pending or "
                    "Canceled: Amazon sends them only for Unshipped, Partially Shipped and "
                    "Shipped orders."
                )
            return notes
