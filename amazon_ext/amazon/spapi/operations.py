"""SP-API operations we call and their documented usage plans.

Rates and bursts from ../shared/specs/amazon-apis.md §5 ([SPM] ordersV0.json, tokens
2021-03-01): a token bucket per (selling partner, application, operation). Amazon may grant a
seller a different rate; it says so in ``x-amzn-RateLimit-Limit`` and the transport then paces
by that rate instead (the burst stays the documented one).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class UsagePlan:
    """``rate`` requests per second refill a bucket of ``burst`` requests."""

    rate: float
    burst: int


GET_ORDERS = "getOrders"
GET_ORDER = "getOrder"
GET_ORDER_ITEMS = "getOrderItems"
CREATE_RDT = "createRestrictedDataToken"

USAGE_PLANS: dict[str, UsagePlan] = {
    GET_ORDERS: UsagePlan(0.0167, 20),
    GET_ORDER: UsagePlan(0.5, 30),
    GET_ORDER_ITEMS: UsagePlan(0.5, 30),
    CREATE_RDT: UsagePlan(1.0, 10),
}

ORDERS_PATH = "/orders/v0/orders"
RDT_PATH = "/tokens/2021-03-01/restrictedDataToken"
MAX_RESULTS_PER_PAGE = 100
