"""Which buyer data (PII) an application's roles open in Orders API v2026-01-01.

v2026-01-01 needs no Restricted Data Token: the roles of the application decide each field
(developer docs "Access Orders PII"; ../shared/specs/amazon-2027.md §3):

* ``buyer.buyerEmail``: Direct-to-Consumer Delivery; "The order is fulfilled by the merchant.
  The order is in UNSHIPPED, PARTIALLY_SHIPPED, or SHIPPED status." (the model: "Only
  available for merchant-fulfilled (FBM) orders").
* ``buyer.buyerName``: FBA orders Tax Invoicing or Tax Remittance; FBM orders those or
  Direct-to-Consumer Shipping; UNSHIPPED / PARTIALLY_SHIPPED / SHIPPED only; "In the US,
  Japan, and Singapore marketplaces, developers with the Tax Invoicing (Restricted) role and
  the Tax Remittance (Restricted) role are not permitted to access buyer's name."
* ``recipient.deliveryAddress`` name, address lines and phone: Direct-to-Consumer Shipping
  (city, state or region, postal code and country need no role). Gift messages are PII too;
  the docs name no role for them, the stand-in asks for Direct-to-Consumer Shipping.

Roles belong to the application (its LWA client id); :class:`AmazonState` keeps them and
``/_sandbox/roles`` changes them.
"""

from __future__ import annotations

from collections.abc import Iterable

from sandbox.amazon.records import BookOrder

DTC_DELIVERY = "Direct-to-Consumer Delivery"
DTC_SHIPPING = "Direct-to-Consumer Shipping"
TAX_INVOICING = "Tax Invoicing"
TAX_REMITTANCE = "Tax Remittance"
RESTRICTED_ROLES = frozenset({DTC_DELIVERY, DTC_SHIPPING, TAX_INVOICING, TAX_REMITTANCE})
ROLES = RESTRICTED_ROLES | {
    "Inventory and Order Tracking",
    "Amazon Fulfillment",
    "Finance and Accounting",
    "Selling Partner Insights",
}
ORDER_ROLES = frozenset({"Inventory and Order Tracking"})

# What the roles grant, per order.
BUYER_EMAIL = "buyerEmail"
BUYER_NAME = "buyerName"
ADDRESS_LINES = "addressLines"
GIFT_MESSAGE = "giftMessage"

PII_STATUSES = frozenset({"Unshipped", "PartiallyShipped", "Shipped"})
# US, JP, SG: the tax roles do not open the buyer's name.
NO_TAX_ROLE_NAME = frozenset({"ATVPDKIKX0DER", "A1VC38T7YXB528", "A19VAU5U5O7RUS"})


def normalise(roles: Iterable[str]) -> frozenset[str]:
    """Role names as Amazon writes them (a trailing " (Restricted)" is dropped); unknown names
    raise ValueError."""
    out = set()
    for role in roles:
        if not isinstance(role, str):
            raise ValueError(f"a role must be a string, not {role!r}")
        name = role.strip().removesuffix("(Restricted)").strip()
        if name not in ROLES:
            raise ValueError(f"unknown role {role!r}; known: {', '.join(sorted(ROLES))}")
        out.add(name)
    return frozenset(out)


def grants(o: BookOrder, roles: frozenset[str]) -> frozenset[str]:
    """The PII fields of ``o`` that an application with ``roles`` receives."""
    if o.status not in PII_STATUSES:
        return frozenset()
    fbm = o.fulfillment_channel == "MFN"
    tax = bool(roles & {TAX_INVOICING, TAX_REMITTANCE}) and o.marketplace_id not in (
        NO_TAX_ROLE_NAME
    )
    out = set()
    if fbm and DTC_DELIVERY in roles:
        out.add(BUYER_EMAIL)
    if tax or (fbm and DTC_SHIPPING in roles):
        out.add(BUYER_NAME)
    if DTC_SHIPPING in roles:
        out.update((ADDRESS_LINES, GIFT_MESSAGE))
    return frozenset(out)
