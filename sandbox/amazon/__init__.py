"""Local Amazon stand-in: fake MWS (Orders, Sellers), LWA and SP-API (Orders v0 and
v2026-01-01, Tokens).

Public API::

    from sandbox.amazon import AmazonStandIn, SellerAccount, OrderBook
"""

from sandbox.amazon.orderbook import ITEMS_PAGE_SIZE, STATUSES, BookItem, BookOrder, OrderBook
from sandbox.amazon.standin import AmazonStandIn, demo_book, demo_seller
from sandbox.amazon.state import SellerAccount

__all__ = [
    "ITEMS_PAGE_SIZE",
    "STATUSES",
    "AmazonStandIn",
    "BookItem",
    "BookOrder",
    "OrderBook",
    "SellerAccount",
    "demo_book",
    "demo_seller",
]
