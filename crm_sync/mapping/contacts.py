"""Amazon buyers → Zoho Contacts, keyed by buyer key (crm_sync.buyer_keys); a buyer's
latest order describes the contact.
"""

from __future__ import annotations

from collections.abc import Iterable

from amazon_ext.amazon.types import Order
from crm_sync.buyer_keys import PER_ORDER_PREFIX, BuyerKeyer, anonymous_name, is_hashed
from crm_sync.mapping.records import WITHHELD_BUYER_NAME, ZohoRecord, zoho_text


def buyer_key(order: Order, keyer: BuyerKeyer) -> str:
    """The order's Contact key (``crm_sync.buyer_keys``): a keyed hash of the relay alias,
    never the email itself."""
    return keyer.key(order)


def split_name(full_name: str | None) -> tuple[str, str]:
    """("Jane Q.", "Doe") from "Jane Q. Doe"; a single word is the last name; nothing at
    all is "Amazon Customer" (Zoho requires Last_Name)."""
    parts = (full_name or "").split()
    if not parts:
        return "", WITHHELD_BUYER_NAME
    if len(parts) == 1:
        return "", parts[0][:80]
    return " ".join(parts[:-1])[:40], parts[-1][:80]


def contact_record(
    order: Order, names: dict, keyer: BuyerKeyer, *, key: str | None = None
) -> ZohoRecord:
    """The order's buyer as a Contact, keyed by ``Amazon Buyer Key``. *Amazon Buyer Email*
    and *Buyer Name* are display fields, filled while the data may be kept. A buyer without
    an identity gets the anonymous contact of the marketplace, which carries no buyer data
    at all (it is shared), or, by the seller's choice, a contact of its own order. ``key``:
    the order's key by ``keyer``, when the caller has it already."""
    fields = names["Contacts"]
    key = key or buyer_key(order, keyer)
    address = order.shipping_address
    if not is_hashed(key) and not key.startswith(PER_ORDER_PREFIX):
        label = anonymous_name(key)
        data = {
            "First_Name": "",
            "Last_Name": label[:80],
            fields["Buyer Name"]: label,
            fields["Amazon Buyer Key"]: key,
        }
        return ZohoRecord(amazon_key=key, data=data, content=data)
    name = order.buyer_name or (address.name if address else None)
    first, last = split_name(name)
    if not name and not is_hashed(key):
        first, last = "", anonymous_name(key)[:80]
    email = (order.buyer_email or "").strip()
    data = {
        "First_Name": first,
        "Last_Name": last,
        "Email": email,
        fields["Buyer Name"]: zoho_text(name) or last,
        fields["Amazon Order ID"]: order.amazon_order_id,
        fields["Amazon Buyer Email"]: email.lower(),
        fields["Amazon Buyer Key"]: key,
    }
    if address is not None:
        street = ", ".join(p for p in (address.line1, address.line2, address.line3) if p)
        data.update(
            {
                "Mailing_Street": zoho_text(street),
                "Mailing_City": zoho_text(address.city),
                "Mailing_State": zoho_text(address.state_or_region),
                "Mailing_Zip": zoho_text(address.postal_code, 30),
                "Mailing_Country": zoho_text(address.country_code),
            }
        )
        if address.phone:
            data["Phone"] = zoho_text(address.phone, 30)
    # The latest order's id moves with every order; it is not part of "has this buyer
    # changed" (a repeat buyer with the same details is not rewritten).
    content = {k: v for k, v in data.items() if k != fields["Amazon Order ID"]}
    return ZohoRecord(amazon_key=key, data=data, content=content)


def contact_without_buyer_data(names: dict) -> dict:
    """What removing a buyer's data writes onto their Contact: name, email, street and
    phone emptied (the key, city, state, postal code and country stay), so a later order
    of the same buyer still finds the contact by its key."""
    fields = names["Contacts"]
    return {
        "First_Name": "",
        "Last_Name": WITHHELD_BUYER_NAME,
        "Email": "",
        "Phone": "",
        "Mailing_Street": "",
        fields["Buyer Name"]: WITHHELD_BUYER_NAME,
        fields["Amazon Buyer Email"]: "",
    }


def latest_order_per_buyer(orders: list[Order], keyer: BuyerKeyer) -> dict[str, Order]:
    """The buyer's latest order (by purchase date) describes the buyer."""
    return latest_per_key((buyer_key(order, keyer), order) for order in orders)


def latest_per_key(keyed: Iterable[tuple[str, Order]]) -> dict[str, Order]:
    """``latest_order_per_buyer`` of (buyer key, order) pairs whose keys are known."""
    latest: dict[str, Order] = {}
    for key, order in keyed:
        current = latest.get(key)
        if current is None or order.purchase_date >= current.purchase_date:
            latest[key] = order
    return latest


def contacts_for_orders(orders: list[Order], names: dict, keyer: BuyerKeyer) -> list[ZohoRecord]:
    """One contact per buyer, described by the buyer's latest order."""
    latest = latest_order_per_buyer(orders, keyer)
    return [contact_record(order, names, keyer) for order in latest.values()]
