"""Orders API v2026-01-01 on the Amazon stand-in, over real loopback HTTP: validation, paging,
tokens, roles, rate limits, money equal to v0's, and the product's parser on every page."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import requests

from amazon_ext.amazon.spapi import parsing_v2026
from amazon_ext.amazon.spapi.orders_v2026 import INCLUDED_DATA, Orders20260101
from crm_sync.mapping import expected_grand_total
from sandbox.amazon import OrderBook
from sandbox.amazon import roles as amazon_roles
from sandbox.amazon.render_v2026 import FULFILLMENT_STATUS
from tests.fixtures.amazon import make_amazon_book, make_amazon_seller, start_amazon_standin

NA = "sellingpartnerapi-na.amazon.com"
FE = "sellingpartnerapi-fe.amazon.com"
SEARCH = "/orders/2026-01-01/orders"
MPS = "ATVPDKIKX0DER,A2Q3Y263D00KWC"
JP = "A1VC38T7YXB528"
ALL_DATA = "BUYER,RECIPIENT,PROCEEDS,FULFILLMENT,PROMOTION"
QUOTA = {
    "errors": [
        {"message": "You exceeded your quota for the requested resource.", "code": "QuotaExceeded"}
    ]
}


def _z(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def access_token(standin, seller) -> str:
    form = {"grant_type": "refresh_token", "refresh_token": seller.refresh_token,
            "client_id": seller.lwa_client_id, "client_secret": seller.lwa_client_secret}  # fmt: skip
    resp = requests.post(standin.url + "/auth/o2/token", data=form, timeout=10,
                         headers={"Host": "api.amazon.com"})  # fmt: skip
    assert resp.status_code == 200, resp.text
    return resp.json()["access_token"]


def sp(standin, path, token, params=None, *, host=NA) -> requests.Response:
    headers = {"Host": host, "x-amz-access-token": token}
    return requests.get(standin.url + path, params=params, headers=headers, timeout=10)


def window(book, seller, **extra) -> dict:
    first = book.orders(seller.seller_id)[0].purchase_date
    params = {"marketplaceIds": MPS, "createdAfter": _z(first - timedelta(days=1))}
    params.update(extra)
    return params


def walk(standin, token, params, *, host=NA, sizes=None) -> list[dict]:
    """Every order of a searchOrders listing, following pagination.nextToken."""
    out, nxt = [], None
    for n in range(200):
        page_params = dict(params)
        if sizes:
            page_params["maxResultsPerPage"] = str(sizes[n % len(sizes)])
        if nxt:
            page_params["paginationToken"] = nxt
        resp = sp(standin, SEARCH, token, page_params, host=host)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        out += body["orders"]
        nxt = (body.get("pagination") or {}).get("nextToken")
        if not nxt:
            return out
    raise AssertionError("no last page")


@pytest.fixture
def seller(amazon_seller):
    return amazon_seller


@pytest.fixture
def standin(amazon_standin):
    return amazon_standin


@pytest.fixture
def token(standin, seller):
    return access_token(standin, seller)


# ---------------------------------------------------------------- shape
def test_search_orders_shape(standin, seller, token, amazon_book):
    resp = sp(standin, SEARCH, token, window(amazon_book, seller))
    assert resp.status_code == 200, resp.text
    assert resp.headers["x-amzn-RateLimit-Limit"] == "0.0056"
    assert resp.headers["x-amzn-RequestId"]
    body = resp.json()
    assert "pagination" not in body
    echoed = datetime.fromisoformat(body["createdBefore"])
    assert abs(echoed - (standin.clock.now() - timedelta(minutes=2))) < timedelta(seconds=5)
    book = amazon_book.orders(seller.seller_id)
    assert [o["orderId"] for o in body["orders"]] == [o.amazon_order_id for o in book]
    for o, src in zip(body["orders"], book, strict=True):
        # no includedData: the required fields and basic information only
        assert set(o) == {"orderId", "orderAliases", "createdTime", "lastUpdatedTime",
                          "programs", "salesChannel", "orderItems"}  # fmt: skip
        assert o["orderAliases"] == [{"aliasId": src.seller_order_id,
                                      "aliasType": "SELLER_ORDER_ID"}]  # fmt: skip
        assert o["salesChannel"]["marketplaceId"] == src.marketplace_id
        assert ("PRIME" in o["programs"]) == src.is_prime
        assert [i["orderItemId"] for i in o["orderItems"]] == [i.order_item_id for i in src.items]
        assert all(set(i) == {"orderItemId", "quantityOrdered", "product"} for i in o["orderItems"])
    by_updated = sp(standin, SEARCH, token, {"marketplaceIds": MPS,
                    "lastUpdatedAfter": _z(book[0].purchase_date)}).json()  # fmt: skip
    assert "lastUpdatedBefore" in by_updated and "createdBefore" not in by_updated


def test_get_order(standin, seller, token, amazon_book):
    src = next(o for o in amazon_book.orders(seller.seller_id) if o.status == "Shipped")
    path = f"{SEARCH}/{src.amazon_order_id}"
    resp = sp(standin, path, token, {"includedData": "FULFILLMENT,PROCEEDS"})
    assert resp.status_code == 200
    assert resp.headers["x-amzn-RateLimit-Limit"] == "0.5"
    order = resp.json()["order"]
    assert order["fulfillment"]["fulfillmentStatus"] == "SHIPPED"
    assert Decimal(order["proceeds"]["grandTotal"]["amount"]) == src.order_total
    missing = sp(standin, f"{SEARCH}/111-0000000-0000000", token)
    assert missing.status_code == 404
    assert missing.headers["x-amzn-RateLimit-Limit"] == "0.5"
    assert missing.json()["errors"][0]["code"] == "NotFound"
    for bad in ("not-an-id", "TEST_CASE_400"):
        resp = sp(standin, f"{SEARCH}/{bad}", token)
        assert resp.status_code == 400
        assert resp.json()["errors"][0]["code"] == "InvalidInput"
    assert sp(standin, path, token, {"includedData": "EVERYTHING"}).status_code == 400
    assert sp(standin, path, token, host=FE).status_code == 403  # no FE marketplaces
    assert sp(standin, f"{SEARCH}/{src.amazon_order_id}/items", token).status_code == 404
    assert sp(standin, path, "Atza|forged").status_code == 403


# ---------------------------------------------------------------- validation
def _invalid_cases(now: datetime) -> list[dict]:
    old = "2024-01-01T00:00:00Z"
    recent = _z(now - timedelta(seconds=30))
    fine = _z(now - timedelta(hours=1))
    return [
        {},
        {"marketplaceIds": MPS},
        {"marketplaceIds": MPS, "createdBefore": fine},
        {"createdAfter": old, "lastUpdatedAfter": old},
        {"createdAfter": old, "lastUpdatedBefore": fine},
        {"lastUpdatedAfter": old, "createdBefore": fine},
        {"createdAfter": old, "createdBefore": recent},
        {"createdAfter": fine, "createdBefore": old},
        {"createdAfter": recent},
        {"createdAfter": "2024-01-01"},
        {"createdAfter": "2024-01-01T09:00:00+09:00"},
        {"createdAfter": "TEST_CASE_400"},
        {"createdAfter": old, "marketplaceIds": "A1PA6795UKMFR9"},  # not the seller's
        {"createdAfter": old, "marketplaceIds": "A2EUQ1WTGCTBG2"},  # not the seller's
        {"createdAfter": old, "marketplaceIds": ",".join(["ATVPDKIKX0DER"] * 51)},
        {"createdAfter": old, "maxResultsPerPage": "0"},
        {"createdAfter": old, "maxResultsPerPage": "101"},
        {"createdAfter": old, "maxResultsPerPage": "ten"},
        {"createdAfter": old, "fulfillmentStatuses": "Shipped"},  # v0 spelling
        {"createdAfter": old, "fulfillmentStatuses": "CANCELED"},
        {"createdAfter": old, "fulfilledBy": "AFN"},
        {"createdAfter": old, "includedData": "BUYER,ITEMS"},
        {"createdAfter": old, "paginationToken": "definitely not a token"},
        {"CreatedAfter": old, "MarketplaceIds": MPS},  # v0 names are not v2026 parameters
    ]


def test_search_orders_invalid_input(standin, token):
    for params in _invalid_cases(standin.clock.now()):
        resp = sp(standin, SEARCH, token, params)
        assert resp.status_code == 400, params
        assert resp.headers["x-amzn-RateLimit-Limit"] == "0.0056"
        body = resp.json()
        assert list(body) == ["errors"] and len(body["errors"]) == 1
        assert set(body["errors"][0]) == {"code", "message", "details"}
        assert body["errors"][0]["code"] == "InvalidInput", params
        standin.reset_throttling()


def test_search_orders_accepted_variants(standin, seller, token, amazon_book):
    base = window(amazon_book, seller)
    equal_ends = {"createdAfter": base["createdAfter"], "createdBefore": base["createdAfter"]}
    cases = [
        {"createdAfter": base["createdAfter"]},  # marketplaceIds is optional in the model
        equal_ends,  # "equal to or after the createdAfter date"
        {**base, "marketplaceIds": "ATVPDKIKX0DER", "fulfilledBy": "MERCHANT,AMAZON"},
        {**base, "fulfillmentStatuses": "SHIPPED,CANCELLED",
         "includedData": "TAX,PAYMENT,PACKAGES,EXPENSE,CANCELLATION,FULFILLMENT_ORDERS"},
        [("createdAfter", base["createdAfter"]), ("marketplaceIds", "ATVPDKIKX0DER"),
         ("marketplaceIds", "A2Q3Y263D00KWC")],
    ]  # fmt: skip
    every = [o.amazon_order_id for o in amazon_book.orders(seller.seller_id)]
    for params in cases:
        resp = sp(standin, SEARCH, token, params)
        assert resp.status_code == 200, (params, resp.text)
    assert [o["orderId"] for o in sp(standin, SEARCH, token, cases[0]).json()["orders"]] == every
    # filters
    book = {o.amazon_order_id: o for o in amazon_book.orders(seller.seller_id)}
    got = sp(standin, SEARCH, token, {**base, "fulfillmentStatuses": "SHIPPED,CANCELLED",
             "fulfilledBy": "AMAZON", "includedData": "FULFILLMENT"}).json()["orders"]  # fmt: skip
    want = [i for i, o in book.items()
            if o.status in ("Shipped", "Canceled") and o.fulfillment_channel == "AFN"]  # fmt: skip
    assert [o["orderId"] for o in got] == want
    assert {o["fulfillment"]["fulfilledBy"] for o in got} == {"AMAZON"}


def test_window_ends_are_inclusive(standin, seller, token, amazon_book):
    o = amazon_book.orders(seller.seller_id)[5]
    at = _z(o.purchase_date)
    got = sp(standin, SEARCH, token, {"createdAfter": at, "createdBefore": at}).json()["orders"]
    assert o.amazon_order_id in [x["orderId"] for x in got]


# ---------------------------------------------------------------- paging and tokens
def test_paging_with_identical_parameters(standin, seller, token, amazon_book):
    before = _z(standin.clock.now() - timedelta(minutes=3))
    params = window(amazon_book, seller, createdBefore=before, includedData="FULFILLMENT")
    # maxResultsPerPage may change between pages ("with the exception of maxResultsPerPage")
    orders = walk(standin, token, params, sizes=[7, 3, 11])
    assert [o["orderId"] for o in orders] == [
        o.amazon_order_id for o in amazon_book.orders(seller.seller_id)
    ]
    first = sp(standin, SEARCH, token, {**params, "maxResultsPerPage": "10"}).json()
    nxt = first["pagination"]["nextToken"]
    assert first["createdBefore"] == before
    assert "+" in nxt or "/" in nxt or "=" in nxt  # must be URL-encoded by clients
    # includedData may change too
    second = sp(standin, SEARCH, token, {**params, "includedData": "PROCEEDS,FULFILLMENT",
                                         "paginationToken": nxt})  # fmt: skip
    assert second.status_code == 200
    assert all("proceeds" in o or o["fulfillment"]["fulfillmentStatus"].startswith("PENDING")
               for o in second.json()["orders"])  # fmt: skip
    # the same token twice gives the same page
    again = sp(standin, SEARCH, token, {**params, "paginationToken": nxt}).json()
    assert [o["orderId"] for o in again["orders"]] == [
        o["orderId"] for o in second.json()["orders"]
    ]
    standin.reset_throttling()
    changed = [
        {k: v for k, v in params.items() if k != "createdBefore"},
        {k: v for k, v in params.items() if k != "marketplaceIds"},
        {**params, "createdAfter": _z(amazon_book.orders(seller.seller_id)[0].purchase_date)},
        {**params, "createdBefore": _z(standin.clock.now() - timedelta(minutes=4))},
        {**params, "marketplaceIds": "ATVPDKIKX0DER"},
        {**params, "fulfillmentStatuses": "SHIPPED"},
        {**params, "fulfilledBy": "MERCHANT"},
        {"paginationToken": nxt},
    ]
    for other in changed:
        resp = sp(standin, SEARCH, token, {**other, "paginationToken": nxt})
        assert resp.status_code == 400, other
        assert resp.json()["errors"][0]["code"] == "InvalidInput"
    # a token of one seller is nobody else's
    other_seller = make_amazon_seller("A2OTHERSELLER", n=2)
    standin.register_seller(other_seller)
    other_token = access_token(standin, other_seller)
    resp = sp(standin, SEARCH, other_token, {**params, "paginationToken": nxt})
    assert resp.status_code == 400
    # an unencoded token is garbled on the way and refused
    raw = (f"{standin.url}{SEARCH}?createdAfter={params['createdAfter']}&createdBefore={before}"
           f"&marketplaceIds={MPS}&includedData=FULFILLMENT&paginationToken={nxt}")  # fmt: skip
    resp = requests.get(raw, headers={"Host": NA, "x-amz-access-token": token}, timeout=5)
    assert resp.status_code == 400


def test_pagination_token_expires_after_24_hours(standin, seller, amazon_book):
    token = access_token(standin, seller)
    params = window(amazon_book, seller, maxResultsPerPage="5",
                    createdBefore=_z(standin.clock.now() - timedelta(minutes=3)))  # fmt: skip
    nxt = sp(standin, SEARCH, token, params).json()["pagination"]["nextToken"]
    standin.clock.advance(23 * 3600)
    token = access_token(standin, seller)  # access tokens last an hour
    assert sp(standin, SEARCH, token, {**params, "paginationToken": nxt}).status_code == 200
    standin.clock.advance(3601)
    token = access_token(standin, seller)
    resp = sp(standin, SEARCH, token, {**params, "paginationToken": nxt})
    assert resp.status_code == 400
    err = resp.json()["errors"][0]
    assert err["code"] == "InvalidInput"
    assert "expired" in err["message"]


# ---------------------------------------------------------------- roles
def _orders(standin, token, book, seller) -> dict[str, dict]:
    orders = walk(standin, token, window(book, seller, includedData=ALL_DATA))
    return {o["orderId"]: o for o in orders}


def set_roles(standin, seller, roles) -> None:
    resp = requests.post(standin.url + "/_sandbox/roles", timeout=5,
                         json={"seller_id": seller.seller_id, "roles": roles})  # fmt: skip
    assert resp.status_code == 200, resp.text
    assert resp.json()["roles"] == sorted(r.removesuffix(" (Restricted)") for r in roles)


def test_roles_gate_buyer_data(standin, seller, token, amazon_book):
    book = {o.amazon_order_id: o for o in amazon_book.orders(seller.seller_id)}
    listed = requests.get(standin.url + "/_sandbox/roles", timeout=5).json()
    assert set(listed[seller.lwa_client_id]) >= amazon_roles.RESTRICTED_ROLES  # the default
    got = _orders(standin, token, amazon_book, seller)
    pii_statuses = ("Unshipped", "PartiallyShipped", "Shipped")
    for oid, o in got.items():
        src = book[oid]
        buyer = o["buyer"]
        if src.status in pii_statuses and src.fulfillment_channel == "MFN":
            assert buyer == {"buyerName": src.buyer_name, "buyerEmail": src.buyer_email}
        elif src.status in pii_statuses and src.marketplace_id != "ATVPDKIKX0DER":
            assert buyer == {"buyerName": src.buyer_name}  # FBA: never an email
        elif src.status in pii_statuses:  # FBA in the US: the tax roles give no name there
            assert buyer == {}
        else:  # pending, cancelled, unfulfillable: no buyer data
            assert buyer == {}
        if src.status in pii_statuses:
            addr = o["recipient"]["deliveryAddress"]
            assert addr["name"] == src.shipping_address.name
            assert addr["addressLine1"] == src.shipping_address.line1
            assert ("phone" in addr) == (src.fulfillment_channel == "MFN")
        else:
            assert "recipient" not in o
        if not src.details_visible:  # pending: no money anywhere
            assert "proceeds" not in o
            assert all("proceeds" not in i and "price" not in i["product"]
                       for i in o["orderItems"])  # fmt: skip
    assert any(book[i].status == "Pending" for i in got)

    set_roles(standin, seller, [])
    for oid, o in _orders(standin, token, amazon_book, seller).items():
        src = book[oid]
        assert o["buyer"] == {}
        if src.status in pii_statuses:
            addr = o["recipient"]["deliveryAddress"]
            assert set(addr) <= {"city", "stateOrRegion", "postalCode", "countryCode",
                                 "addressType"}  # fmt: skip
            assert addr["city"] == src.shipping_address.city
            assert addr["postalCode"] == src.shipping_address.postal_code
        for item in o["orderItems"]:
            gift = item.get("fulfillment", {}).get("packing", {}).get("giftOption", {})
            assert "giftMessage" not in gift

    # Tax Invoicing opens buyer names, except in the US (and JP, SG); never e-mails or lines
    set_roles(standin, seller, ["Tax Invoicing (Restricted)"])
    named = 0
    for oid, o in _orders(standin, token, amazon_book, seller).items():
        src = book[oid]
        assert "buyerEmail" not in o["buyer"]
        if src.status in pii_statuses and src.marketplace_id == "A2Q3Y263D00KWC":
            assert o["buyer"] == {"buyerName": src.buyer_name}
            named += 1
        else:
            assert o["buyer"] == {}
        assert "name" not in o.get("recipient", {}).get("deliveryAddress", {})
    assert named

    # Direct-to-Consumer Delivery alone: e-mails of merchant-fulfilled orders, nothing else
    set_roles(standin, seller, [amazon_roles.DTC_DELIVERY])
    for oid, o in _orders(standin, token, amazon_book, seller).items():
        src = book[oid]
        if src.status in pii_statuses and src.fulfillment_channel == "MFN":
            assert o["buyer"] == {"buyerEmail": src.buyer_email}
        else:
            assert o["buyer"] == {}
    resp = requests.post(standin.url + "/_sandbox/roles", timeout=5,
                         json={"seller_id": seller.seller_id, "roles": ["Root"]})  # fmt: skip
    assert resp.status_code == 400


def test_roles_of_a_seller_account(seller):
    bare = make_amazon_seller(roles=["Inventory and Order Tracking"])
    standin = start_amazon_standin(seller=bare)
    try:
        token = access_token(standin, bare)
        orders = _orders(standin, token, standin.book, bare)
        assert all(o["buyer"] == {} for o in orders.values())
    finally:
        standin.stop()


# ---------------------------------------------------------------- rate limits
def test_429_past_the_burst(seller):
    book = make_amazon_book(seller)
    standin = start_amazon_standin(seller=seller, book=book, time_scale=1.0)
    try:
        token = access_token(standin, seller)
        params = {"createdAfter": _z(standin.clock.now() - timedelta(hours=1))}
        with requests.Session() as s:
            s.headers.update({"Host": NA, "x-amz-access-token": token})
            codes = [s.get(standin.url + SEARCH, params=params, timeout=5) for _ in range(20)]
            assert [r.status_code for r in codes] == [200] * 20
            assert all(r.headers["x-amzn-RateLimit-Limit"] == "0.0056" for r in codes)
            resp = s.get(standin.url + SEARCH, params=params, timeout=5)
            assert resp.status_code == 429
            assert resp.json() == QUOTA
            # the model lists x-amzn-RateLimit-Limit for 200, 400 and 404 only
            assert "x-amzn-RateLimit-Limit" not in resp.headers
            assert resp.headers["x-amzn-RequestId"]
            assert standin.stats.calls["searchOrders"] == 21
            # getOrder (v2026) and v0 getOrders have buckets of their own
            oid = book.orders(seller.seller_id)[0].amazon_order_id
            assert s.get(f"{standin.url}{SEARCH}/{oid}", timeout=5).status_code == 200
            v0 = {"MarketplaceIds": MPS, "CreatedAfter": params["createdAfter"]}
            assert s.get(standin.url + "/orders/v0/orders", params=v0, timeout=5).status_code == 200
            standin.clock.advance(180)  # 0.0056/s: one request per ~179 s
            assert s.get(standin.url + SEARCH, params=params, timeout=5).status_code == 200
            assert s.get(standin.url + SEARCH, params=params, timeout=5).status_code == 429
            codes = [s.get(f"{standin.url}{SEARCH}/{oid}", timeout=5).status_code
                     for _ in range(31)]  # fmt: skip
            assert codes == [200] * 30 + [429]  # burst 30 (refilled by the 180 s)
        # another application of the same seller has its own buckets
        standin.register_application("amzn1.sp.solution.other", "amzn1.application-oa2-client.o2",
                                     "other-secret", "http://127.0.0.1/cb")  # fmt: skip
        code = standin.spapi.issue_auth_code(seller.seller_id, "amzn1.application-oa2-client.o2")
        form = {"grant_type": "authorization_code", "code": code, "client_secret": "other-secret",
                "client_id": "amzn1.application-oa2-client.o2"}  # fmt: skip
        other = requests.post(standin.url + "/auth/o2/token", data=form, timeout=5).json()
        resp = sp(standin, SEARCH, other["access_token"], params)
        assert resp.status_code == 200
    finally:
        standin.stop()


def test_429_refills_at_the_time_scale(seller):
    standin = start_amazon_standin(seller=seller, time_scale=100.0)  # 0.56 requests/s
    try:
        token = access_token(standin, seller)
        params = {"createdAfter": _z(standin.clock.now() - timedelta(hours=1))}
        codes = [sp(standin, SEARCH, token, params).status_code for _ in range(21)]
        assert codes[:20] == [200] * 20 and codes[20] == 429
        time.sleep(2.0)
        assert sp(standin, SEARCH, token, params).status_code == 200
    finally:
        standin.stop()


def test_faults_on_v2026(standin, seller, token, amazon_book):
    oid = amazon_book.orders(seller.seller_id)[0].amazon_order_id
    standin.faults.inject(503, operation="getOrder@2026-01-01")
    resp = sp(standin, f"{SEARCH}/{oid}", token)
    assert resp.status_code == 503
    assert resp.json()["errors"][0]["code"] == "ServiceUnavailable"
    assert sp(standin, f"{SEARCH}/{oid}", token).status_code == 200
    standin.faults.inject("throttle", operation="searchOrders")
    assert sp(standin, SEARCH, token, window(amazon_book, seller)).status_code == 429


# ---------------------------------------------------------------- one book, three APIs
def test_same_order_through_v0_and_v2026(standin, seller, token, amazon_book):
    v0_params = {"MarketplaceIds": MPS, "CreatedAfter": window(amazon_book, seller)["createdAfter"]}
    v0 = sp(standin, "/orders/v0/orders", token, v0_params).json()
    v0_orders = {o["AmazonOrderId"]: o for o in v0["payload"]["Orders"]}
    new = _orders(standin, token, amazon_book, seller)
    assert set(new) == set(v0_orders)
    for oid, o in new.items():
        old = v0_orders[oid]
        assert o["fulfillment"]["fulfillmentStatus"] == FULFILLMENT_STATUS[old["OrderStatus"]]
        if "OrderTotal" in old:
            assert o["proceeds"]["grandTotal"] == {
                "amount": old["OrderTotal"]["Amount"],
                "currencyCode": old["OrderTotal"]["CurrencyCode"],
            }
        else:
            assert "proceeds" not in o
    # an order changed in the book shows up changed through both
    target = next(o for o in amazon_book.orders(seller.seller_id) if o.status == "Unshipped")
    amazon_book.set_status(target.amazon_order_id, "Canceled")
    path = f"{SEARCH}/{target.amazon_order_id}"
    order = sp(standin, path, token, {"includedData": "FULFILLMENT"}).json()["order"]
    assert order["fulfillment"]["fulfillmentStatus"] == "CANCELLED"
    old = sp(standin, f"/orders/v0/orders/{target.amazon_order_id}", token).json()["payload"]
    assert old["OrderStatus"] == "Canceled"
    assert order["lastUpdatedTime"] == old["LastUpdateDate"]
    items = sp(standin, f"/orders/v0/orders/{target.amazon_order_id}/orderItems", token)
    for v0_item, item in zip(items.json()["payload"]["OrderItems"], order["orderItems"],
                             strict=True):  # fmt: skip
        assert v0_item["OrderItemId"] == item["orderItemId"]
        assert v0_item["QuantityOrdered"] == item["quantityOrdered"]


# ---------------------------------------------------------------- the product's parser
@pytest.fixture(scope="module")
def big_book_standin():
    seller = make_amazon_seller(marketplace_ids=["ATVPDKIKX0DER", "A2Q3Y263D00KWC", JP])
    end = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
    book = OrderBook.generate(seed=2027, seller_id=seller.seller_id,
                              marketplace_ids=seller.marketplace_ids, orders=400, buyers=120,
                              products=60, start=end - timedelta(days=20), end=end)  # fmt: skip
    standin = start_amazon_standin(seller=seller, book=book, time_scale=100_000)
    try:
        yield standin, seller, book
    finally:
        standin.stop()


def test_the_product_parser_reads_every_page(big_book_standin):
    standin, seller, book = big_book_standin
    orders = book.orders(seller.seller_id)
    # the book covers what the parser must handle
    assert {o.status for o in orders} == set(parsing_v2026.ORDER_STATUS.values())
    assert {o.fulfillment_channel for o in orders} == {"AFN", "MFN"}
    assert any(i.gift_wrap_price for o in orders for i in o.items)
    assert any(i.promotion_discount for o in orders for i in o.items)
    assert any(i.shipping_discount for o in orders for i in o.items)
    assert any(len(o.items) > 10 for o in orders)
    assert any(o.currency == "JPY" and o.details_visible for o in orders)

    token = access_token(standin, seller)
    api = Orders20260101(transport=None)  # only its query builder is used here
    after = orders[0].purchase_date - timedelta(minutes=1)
    before = (standin.clock.now() - timedelta(minutes=3)).replace(microsecond=0)
    seen: dict[str, object] = {}
    for host, mps in ((NA, ["ATVPDKIKX0DER", "A2Q3Y263D00KWC"]), (FE, [JP])):
        nxt, pages = None, 0
        while True:
            params = api.search_params(marketplace_ids=mps, by_created=True, after=after,
                                       before=before, next_token=nxt, max_results=37)  # fmt: skip
            resp = sp(standin, SEARCH, token, params, host=host)
            assert resp.status_code == 200, resp.text
            page = parsing_v2026.parse_search_orders(resp.content, by_created=True)
            assert page.window_end == before
            for o in page.orders:
                seen[o.amazon_order_id] = o
            pages += 1
            nxt = page.next_token
            if not nxt:
                break
        assert pages > 1
    na = [o.amazon_order_id for o in orders if o.marketplace_id != JP]
    assert list(seen) == na + [o.amazon_order_id for o in orders if o.marketplace_id == JP]
    complete = 0
    for src in orders:
        parsed = seen[src.amazon_order_id]
        assert parsed.order_status == src.status
        assert parsed.fulfillment_channel == src.fulfillment_channel
        assert parsed.seller_order_id == src.seller_order_id
        assert parsed.is_prime == src.is_prime
        assert [i.order_item_id for i in parsed.items] == [i.order_item_id for i in src.items]
        if not src.details_visible:
            assert parsed.order_total is None
            continue
        complete += 1
        assert parsed.order_total.amount == src.order_total
        assert parsed.order_total.currency_code == src.currency
        assert expected_grand_total(parsed) == src.order_total, src.amazon_order_id
        for item, book_item in zip(parsed.items, src.items, strict=True):
            assert item.item_price.amount == book_item.item_price
            assert item.proceeds_total.amount == book_item.total
            assert item.quantity_shipped == book_item.quantity_shipped
        if src.status in ("Unshipped", "PartiallyShipped", "Shipped"):
            fbm = src.fulfillment_channel == "MFN"
            named = fbm or src.marketplace_id not in ("ATVPDKIKX0DER", JP)
            assert parsed.buyer_name == (src.buyer_name if named else None)
            assert parsed.buyer_email == (src.buyer_email if fbm else None)
            assert parsed.shipping_address.city == src.shipping_address.city
            assert parsed.shipping_address.line1 == src.shipping_address.line1
    assert complete > 300
    # getOrder answers parse too, and equal the listing
    for src in orders[:15]:
        host = FE if src.marketplace_id == JP else NA
        resp = sp(standin, f"{SEARCH}/{src.amazon_order_id}", token,
                  {"includedData": ",".join(INCLUDED_DATA)}, host=host)  # fmt: skip
        assert resp.status_code == 200
        assert parsing_v2026.parse_get_order(resp.content) == seen[src.amazon_order_id]
