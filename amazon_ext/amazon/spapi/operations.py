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

# Orders API v2026-01-01 (models/orders-api-model/orders_2026-01-01.json in
# amzn/selling-partner-api-models: the "Usage Plan" table of each operation). Its getOrder is
# another operation than v0's, with its own bucket, hence the version in the name.
SEARCH_ORDERS_2026 = "searchOrders"
GET_ORDER_2026 = "getOrder@2026-01-01"
USAGE_PLANS[SEARCH_ORDERS_2026] = UsagePlan(0.0056, 20)
USAGE_PLANS[GET_ORDER_2026] = UsagePlan(0.5, 30)
ORDERS_2026_PATH = "/orders/2026-01-01/orders"

# Sellers API v1 (sellers.json) and Product Fees v0 (productFeesV0.json): who a token belongs
# to (spapi/sellers.py).
GET_PARTICIPATIONS = "getMarketplaceParticipations"
GET_FEES_FOR_ASIN = "getMyFeesEstimateForASIN"
USAGE_PLANS[GET_PARTICIPATIONS] = UsagePlan(0.016, 15)
USAGE_PLANS[GET_FEES_FOR_ASIN] = UsagePlan(1.0, 2)
PARTICIPATIONS_PATH = "/sellers/v1/marketplaceParticipations"
