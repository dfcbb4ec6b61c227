"""MWS sections, operations and their throttling quotas (../shared/specs/amazon-apis.md §1).

MWS Sellers ListMarketplaceParticipations: 15 requests, one restored per minute (MWS Sellers
API reference, "Throttling").
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Section:
    path: str
    version: str


ORDERS = Section("/Orders/2013-09-01", "2013-09-01")
SELLERS = Section("/Sellers/2011-07-01", "2011-07-01")


@dataclass(frozen=True, slots=True)
class Quota:
    """A leaky bucket: ``capacity`` requests, one restored every ``restore_seconds``."""

    group: str
    capacity: int
    restore_seconds: float

    @property
    def restore_per_second(self) -> float:
        return 1.0 / self.restore_seconds


_LIST_ORDERS = Quota("ListOrders", 6, 60.0)
_GET_ORDER = Quota("GetOrder", 6, 60.0)
_LIST_ITEMS = Quota("ListOrderItems", 30, 2.0)
_STATUS = Quota("GetServiceStatus", 2, 300.0)
_PARTICIPATIONS = Quota("ListMarketplaceParticipations", 15, 60.0)

# Operation → (section, quota). Operations sharing a quota object share one bucket.
OPERATIONS: dict[str, tuple[Section, Quota]] = {
    "ListOrders": (ORDERS, _LIST_ORDERS),
    "ListOrdersByNextToken": (ORDERS, _LIST_ORDERS),
    "GetOrder": (ORDERS, _GET_ORDER),
    "ListOrderItems": (ORDERS, _LIST_ITEMS),
    "ListOrderItemsByNextToken": (ORDERS, _LIST_ITEMS),
    "GetServiceStatus": (ORDERS, _STATUS),
    "ListMarketplaceParticipations": (SELLERS, _PARTICIPATIONS),
    "ListMarketplaceParticipationsByNextToken": (SELLERS, _PARTICIPATIONS),
}

MAX_RESULTS_PER_PAGE = 100
GET_ORDER_MAX_IDS = 50
