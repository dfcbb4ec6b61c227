"""Each order of a batch is mapped once: the quarantine maps it to find out whether it can be
written at all (``Quarantine.mapped``), and staging stages what that mapping made. Staging
maps again only an order it changed (one whose buyer data was taken out), or one it was
handed without a mapping (the preview)."""

from __future__ import annotations

from dataclasses import dataclass

from amazon_ext.amazon.types import Order
from crm_sync import mapping
from crm_sync.buyer_keys import BuyerKeyer
from crm_sync.mapping import ZohoRecord


@dataclass(frozen=True, slots=True)
class MappedOrder:
    """An order and its Zoho records: its distinct products, its buyer as a contact, and
    the sales order (its lookups hold the buyer key and the ASINs, as staging wants)."""

    order: Order
    buyer_key: str
    products: list[ZohoRecord]
    contact: ZohoRecord
    sales_order: ZohoRecord


def map_order(order: Order, names: dict, keyer: BuyerKeyer) -> MappedOrder:
    """Everything staging writes for the order; raises what the mapping refuses (in this
    order: products, contact, sales order, so the reason given is the first one met)."""
    products = mapping.order_products(order, names)
    key = keyer.key(order)
    contact = mapping.contact_record(order, names, keyer, key=key)
    sales_order = mapping.sales_order_record(
        order,
        contact_id=key,
        product_ids={item.asin: item.asin for item in order.items},
        names=names,
    )
    return MappedOrder(order, key, products, contact, sales_order)
