"""The fake MWS over real HTTP: signing, auth, validation, paging, payloads, throttling, faults."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import threading
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
import requests
from defusedxml import ElementTree

from sandbox.amazon.mws import compute_signature, string_to_sign
from sandbox.amazon.orderbook import ITEMS_PAGE_SIZE
from tests.fixtures.amazon import make_amazon_book, make_amazon_seller, start_amazon_standin

NS = "{https://mws.amazonservices.com/Orders/2013-09-01}"
NS_SELLERS = "{https://mws.amazonservices.com/Sellers/2011-07-01}"
ORDERS = "/Orders/2013-09-01"
NA_HOST = "mws.amazonservices.com"


# ---------------------------------------------------------------- a tiny test-only signer
def _enc(value: str) -> str:
    return quote(value, safe="-_.~")


def sign(params: dict, secret: str, *, method: str = "POST", host: str = NA_HOST,
         path: str = ORDERS, algo: str = "HmacSHA256") -> dict:  # fmt: skip
    params = {k: v for k, v in params.items() if k != "Signature"}
    query = "&".join(f"{_enc(k)}={_enc(v)}" for k, v in sorted(params.items()))
    text = f"{method}\n{host}\n{path}\n{query}"
    digest = hashlib.sha256 if algo == "HmacSHA256" else hashlib.sha1
    mac = hmac.new(secret.encode(), text.encode(), digest).digest()
    return {**params, "Signature": base64.b64encode(mac).decode()}


def _z(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def mws(standin, seller, action: str, extra: dict | None = None, *, host: str = NA_HOST,
        sign_host: str | None = None, path: str = ORDERS, method: str = "POST",
        secret: str | None = None, timestamp: datetime | None = None, omit: tuple = (),
        version: str | None = None, session=None, timeout: float = 10):  # fmt: skip
    params = {
        "AWSAccessKeyId": seller.access_key,
        "Action": action,
        "SellerId": seller.seller_id,
        "MWSAuthToken": seller.mws_auth_token,
        "SignatureMethod": "HmacSHA256",
        "SignatureVersion": "2",
        "Timestamp": _z(timestamp or standin.clock.now()),
        "Version": version or ("2011-07-01" if path.startswith("/Sellers") else "2013-09-01"),
    }
    params.update(extra or {})
    for name in omit:
        params.pop(name, None)
    signed = sign(params, secret or seller.secret_key, method=method,
                  host=sign_host or host, path=path)  # fmt: skip
    http_ = session or requests
    if method == "POST":
        return http_.post(standin.url + path, data=signed, headers={"Host": host}, timeout=timeout)
    return http_.get(standin.url + path, params=signed, headers={"Host": host}, timeout=timeout)


def mws_patient(standin, seller, action, extra=None, **kw):
    """Like :func:`mws` but waits out RequestThrottled (the fixture refills 1000x faster)."""
    for _ in range(50):
        resp = mws(standin, seller, action, extra, **kw)
        if resp.status_code != 503:
            return resp
        time.sleep(0.02)
    raise AssertionError("still throttled")


def xml(resp):
    return ElementTree.fromstring(resp.content)


def error_of(resp) -> tuple[str, str, str]:
    root = xml(resp)
    assert root.tag == f"{NS}ErrorResponse"
    err = root.find(f"{NS}Error")
    return err.findtext(f"{NS}Type"), err.findtext(f"{NS}Code"), err.findtext(f"{NS}Message")


def window_params(book, seller, **extra) -> dict:
    first = book.orders(seller.seller_id)[0].purchase_date
    params = {"CreatedAfter": _z(first - timedelta(days=1)), "MarketplaceId.Id.1": "ATVPDKIKX0DER",
              "MarketplaceId.Id.2": "A2Q3Y263D00KWC"}  # fmt: skip
    params.update(extra)
    return params


def order_ids(resp, result="ListOrdersResult") -> list[str]:
    root = xml(resp)
    res = root.find(f"{NS}{result}")
    return [o.findtext(f"{NS}AmazonOrderId") for o in res.find(f"{NS}Orders")]


@pytest.fixture
def seller(amazon_seller):
    return amazon_seller


@pytest.fixture
def standin(amazon_standin):
    return amazon_standin


# ---------------------------------------------------------------- §2 test vectors
def _pairs(query: str) -> list[tuple[str, str]]:
    return parse_qsl(query, keep_blank_values=True)


@pytest.mark.parametrize(
    ("method", "host", "path", "query", "secret", "expected"),
    [
        (
            "GET", "webservices.amazon.com", "/onca/xml",
            "AWSAccessKeyId=00000000000000000000&ItemId=0679722769&Operation=ItemLookup&"
            "ResponseGroup=ItemAttributes%2COffers%2CImages%2CReviews&Service=AWSECommerceService&"
            "Timestamp=2009-01-01T12%3A00%3A00Z&Version=2009-01-06",
            "1234567890", "Nace+U3Az4OhN7tISqgs1vdLBHBEijWcBeCqL5xN9xg=",
        ),
        (
            "POST", "mws.amazonservices.com", "/Orders/2013-09-01",
            "AWSAccessKeyId=AKIAEXAMPLEKEY&Action=ListOrders&CreatedAfter=2017-02-01T18%3A12%3A21Z&"
            "MWSAuthToken=amzn.mws.4ea38b7b-f563-7709-4bae-87aeaEXAMPLE&"
            "MarketplaceId.Id.1=ATVPDKIKX0DER&MarketplaceId.Id.2=A2EUQ1WTGCTBG2&"
            "SellerId=A1EXAMPLESELLER&SignatureMethod=HmacSHA256&SignatureVersion=2&"
            "Timestamp=2017-02-05T18%3A12%3A21Z&Version=2013-09-01",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "8dE7dVk2AOy7egqaeK5G9gEcg2Mvg0sk6xCu0yeO1B8=",
        ),
    ],
)  # fmt: skip
def test_signature_vectors(method, host, path, query, secret, expected):
    pairs = list(reversed(_pairs(query)))  # the server must sort them itself
    text = string_to_sign(method, host.upper(), path, pairs)
    assert text == f"{method}\n{host}\n{path}\n{query}"
    assert compute_signature(secret, text) == expected


def test_signature_vector_encoding():
    params = {
        "AWSAccessKeyId": "AKIAEXAMPLEKEY",
        "Action": "GetOrder",
        "AmazonOrderId.Id.1": "902-3159896-1390916",
        "SellerId": "A1EXAMPLESELLER",
        "SignatureMethod": "HmacSHA256",
        "SignatureVersion": "2",
        "Timestamp": "2017-02-05T18:12:21Z",
        "Version": "2013-09-01",
        "X-Test": "a b+c/ü~*",
    }
    text = string_to_sign("POST", "mws-eu.amazonservices.com", ORDERS, params.items())
    assert "X-Test=a%20b%2Bc%2F%C3%BC~%2A" in text
    assert text.split("\n")[3].startswith("AWSAccessKeyId=AKIAEXAMPLEKEY&Action=GetOrder&")
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    assert compute_signature(secret, text) == "RU8Dxj/gaqEZdRsuRXRvmkFfjI+CbqDddhs8u9b7obQ="


# ---------------------------------------------------------------- happy path
def test_signed_list_orders_returns_orders(standin, seller, amazon_book):
    before_call = standin.clock.now()
    resp = mws(standin, seller, "ListOrders", window_params(amazon_book, seller))
    assert resp.status_code == 200, resp.text
    assert resp.headers["Content-Type"] == "text/xml"
    assert resp.headers["x-mws-request-id"]
    assert resp.headers["x-mws-timestamp"].endswith("Z")
    root = xml(resp)
    assert root.tag == f"{NS}ListOrdersResponse"
    assert root.find(f"{NS}ResponseMetadata/{NS}RequestId").text
    result = root.find(f"{NS}ListOrdersResult")
    assert result.find(f"{NS}NextToken") is None  # 60 orders < 100
    echoed = datetime.fromisoformat(result.findtext(f"{NS}CreatedBefore"))
    assert abs((before_call - timedelta(minutes=2)) - echoed) < timedelta(seconds=5)
    ids = order_ids(resp)
    assert ids == [o.amazon_order_id for o in amazon_book.orders(seller.seller_id)]


def test_get_and_sha1_and_loopback_host_work(standin, seller, amazon_book):
    params = window_params(amazon_book, seller, MaxResultsPerPage="5")
    resp = mws(standin, seller, "ListOrders", params, method="GET")
    assert resp.status_code == 200, resp.text
    # a non-Amazon Host counts as mws.amazonservices.com; the signature covers what was sent
    loop_host = urlsplit(standin.url).netloc
    resp = mws(standin, seller, "ListOrders", params, host=loop_host)
    assert resp.status_code == 200, resp.text


def test_keep_alive_connection_is_reused(standin, seller):
    conn = http.client.HTTPConnection("127.0.0.1", standin.port, timeout=5)
    try:
        for _ in range(3):
            body = "&".join(
                f"{_enc(k)}={_enc(v)}"
                for k, v in sign({
                    "AWSAccessKeyId": seller.access_key, "Action": "GetServiceStatus",
                    "SellerId": seller.seller_id, "MWSAuthToken": seller.mws_auth_token,
                    "SignatureMethod": "HmacSHA256", "SignatureVersion": "2",
                    "Timestamp": _z(standin.clock.now()), "Version": "2013-09-01",
                }, seller.secret_key).items()
            )  # fmt: skip
            conn.request("POST", ORDERS, body, {
                "Host": NA_HOST, "Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
            resp = conn.getresponse()
            assert resp.status == 200
            assert resp.getheader("Connection") != "close"
            resp.read()
            standin.reset_throttling()
        assert conn.sock is not None
    finally:
        conn.close()


# ---------------------------------------------------------------- auth
def test_wrong_secret_is_signature_does_not_match(standin, seller):
    resp = mws(standin, seller, "GetServiceStatus", secret="not-the-secret")
    assert resp.status_code == 403
    assert error_of(resp)[:2] == ("Sender", "SignatureDoesNotMatch")


def test_signature_covers_the_host_header(standin, seller):
    resp = mws(standin, seller, "GetServiceStatus", sign_host="mws-eu.amazonservices.com")
    assert resp.status_code == 403
    assert error_of(resp)[1] == "SignatureDoesNotMatch"


def test_plus_for_space_breaks_the_signature(standin, seller):
    params = {
        "AWSAccessKeyId": seller.access_key, "Action": "GetServiceStatus",
        "SellerId": seller.seller_id, "MWSAuthToken": seller.mws_auth_token,
        "SignatureMethod": "HmacSHA256", "SignatureVersion": "2",
        "Timestamp": _z(standin.clock.now()), "Version": "2013-09-01", "Note": "a b",
    }  # fmt: skip
    query = "&".join(f"{_enc(k)}={_enc(v)}" for k, v in sorted(params.items()))
    bad_query = query.replace("%20", "+")  # a client that signs '+' for space
    text = f"POST\n{NA_HOST}\n{ORDERS}\n{bad_query}"
    sig = base64.b64encode(hmac.new(seller.secret_key.encode(), text.encode(),
                                    hashlib.sha256).digest()).decode()  # fmt: skip
    resp = requests.post(standin.url + ORDERS, data={**params, "Signature": sig},
                         headers={"Host": NA_HOST}, timeout=10)  # fmt: skip
    assert resp.status_code == 403


def test_missing_and_wrong_mws_auth_token(standin, seller):
    resp = mws(standin, seller, "GetServiceStatus", omit=("MWSAuthToken",))
    assert resp.status_code == 401
    assert error_of(resp) == ("Sender", "AccessDenied", "Missing required MWSAuthToken for Seller.")
    resp = mws(standin, seller, "GetServiceStatus", {"MWSAuthToken": "amzn.mws.wrong"})
    assert resp.status_code == 401
    assert error_of(resp)[1] == "AccessDenied"


def test_unknown_access_key(standin, seller):
    other = make_amazon_seller(n=99)
    resp = mws(standin, other, "GetServiceStatus")
    assert resp.status_code == 403
    assert error_of(resp)[1] == "InvalidAccessKeyId"


def test_stale_and_future_timestamp(standin, seller):
    for skew in (timedelta(minutes=-16), timedelta(minutes=16)):
        resp = mws(standin, seller, "GetServiceStatus", timestamp=standin.clock.now() + skew)
        assert resp.status_code == 400
        kind, code, message = error_of(resp)
        assert (kind, code) == ("Sender", "InvalidParameterValue")
        assert message.startswith("Request has expired")
    ok = mws(
        standin, seller, "GetServiceStatus", timestamp=standin.clock.now() - timedelta(minutes=14)
    )
    assert ok.status_code == 200


def test_missing_required_parameter_and_bad_signature_method(standin, seller):
    resp = mws(standin, seller, "GetServiceStatus", omit=("Timestamp",))
    assert resp.status_code == 400
    resp = mws(standin, seller, "GetServiceStatus", {"SignatureMethod": "HmacMD5"})
    assert resp.status_code == 400


def test_host_region_check(standin, seller):
    # correctly signed for the EU host, but the seller only sells in US/BR
    resp = mws(standin, seller, "GetServiceStatus", host="mws-eu.amazonservices.com")
    assert resp.status_code == 401
    assert error_of(resp)[1] == "AccessDenied"
    # default https port is stripped before signing
    resp = mws(standin, seller, "GetServiceStatus", host=NA_HOST + ":443", sign_host=NA_HOST)
    assert resp.status_code == 200, resp.text


def test_unknown_action_and_path_are_invalid_address(standin, seller):
    resp = mws(standin, seller, "DeleteAllOrders")
    assert resp.status_code == 404
    assert error_of(resp)[1] == "InvalidAddress"
    resp = requests.post(standin.url + "/Orders/2011-01-01", data={}, headers={"Host": NA_HOST},
                         timeout=10)  # fmt: skip
    assert resp.status_code == 404
    assert error_of(resp)[1] == "InvalidAddress"


def test_request_id_spelling_alternates(standin, seller):
    tags = set()
    for _ in range(2):
        root = xml(mws(standin, seller, "GetServiceStatus", secret="nope"))
        tags.update(child.tag.removeprefix(NS) for child in root if child.tag != f"{NS}Error")
    assert tags == {"RequestId", "RequestID"}


# ---------------------------------------------------------------- ListOrders validation
def _case(**kw):
    return kw


@pytest.mark.parametrize(
    ("change", "drop", "status", "fragment"),
    [
        ({}, ("CreatedAfter",), 400, "must be specified"),
        ({"LastUpdatedAfter": "2020-01-01T00:00:00Z"}, (), 400, "Only one"),
        ({"CreatedBefore": "2000-01-01T00:00:00Z"}, (), 400, "later than"),
        ({}, ("MarketplaceId.Id.1", "MarketplaceId.Id.2"), 400, "MarketplaceId"),
        ({"MarketplaceId.Id.3": "A2EUQ1WTGCTBG2"}, (), 400, "not valid for the endpoint"),
        ({"MarketplaceId.Id.3": "NOTAMARKETPLACE"}, (), 400, "Invalid MarketplaceId"),
        ({"OrderStatus.Status.1": "Unshipped"}, (), 400, "together"),
        ({"OrderStatus.Status.1": "Lost"}, (), 400, "Invalid OrderStatus"),
        ({"MaxResultsPerPage": "0"}, (), 400, "MaxResultsPerPage"),
        ({"MaxResultsPerPage": "101"}, (), 400, "MaxResultsPerPage"),
        ({"BuyerEmail": "a@example.com", "OrderStatus.Status.1": "Shipped"}, (), 400, "BuyerEmail"),
        ({"BuyerEmail": "a@example.com", "SellerOrderId": "1"}, (), 400, "together"),
        ({"CreatedAfter": "2017-02-30T00:00:00Z"}, (), 400, "ISO 8601"),
        ({"CreatedAfter": "Tue, 1 Aug 2017 10:00 PDT"}, (), 400, "ISO 8601"),
        ({"FulfillmentChannel.Channel.1": "XYZ"}, (), 400, "FulfillmentChannel"),
    ],
)  # fmt: skip
def test_list_orders_validation(standin, seller, amazon_book, change, drop, status, fragment):
    params = window_params(amazon_book, seller, **change)
    for name in drop:
        params.pop(name)
    resp = mws(standin, seller, "ListOrders", params)
    assert resp.status_code == status, resp.text
    kind, code, message = error_of(resp)
    assert (kind, code) == ("Sender", "InvalidParameterValue")
    assert fragment in message


def test_list_orders_after_in_the_last_two_minutes_is_rejected(standin, seller):
    params = {"CreatedAfter": _z(standin.clock.now()), "MarketplaceId.Id.1": "ATVPDKIKX0DER"}
    resp = mws(standin, seller, "ListOrders", params)
    assert resp.status_code == 400


def test_marketplace_the_seller_does_not_sell_in_is_access_denied():
    seller = make_amazon_seller(marketplace_ids=["ATVPDKIKX0DER"])
    standin = start_amazon_standin(seller=seller)
    try:
        resp = mws(standin, seller, "ListOrders", {
            "CreatedAfter": "2020-01-01T00:00:00Z", "MarketplaceId.Id.1": "A2Q3Y263D00KWC"})  # fmt: skip
        assert resp.status_code == 401
        assert error_of(resp)[1] == "AccessDenied"
    finally:
        standin.stop()


def test_requested_before_is_echoed_and_window_is_half_open(standin, seller, amazon_book):
    orders = amazon_book.orders(seller.seller_id)
    a, b = orders[5].purchase_date, orders[20].purchase_date
    resp = mws(standin, seller, "ListOrders", window_params(
        amazon_book, seller, CreatedAfter=_z(a), CreatedBefore=_z(b)))  # fmt: skip
    assert resp.status_code == 200
    expected = [o.amazon_order_id for o in orders if a <= o.purchase_date < b]
    assert order_ids(resp) == expected
    echoed = xml(resp).findtext(f"{NS}ListOrdersResult/{NS}CreatedBefore")
    assert echoed == b.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def test_filters_status_channel_and_buyer_email(standin, seller, amazon_book):
    orders = amazon_book.orders(seller.seller_id)
    params = window_params(amazon_book, seller, **{
        "OrderStatus.Status.1": "Unshipped", "OrderStatus.Status.2": "PartiallyShipped",
        "FulfillmentChannel.Channel.1": "MFN"})  # fmt: skip
    resp = mws(standin, seller, "ListOrders", params)
    assert resp.status_code == 200
    expected = [
        o.amazon_order_id
        for o in orders
        if o.status in ("Unshipped", "PartiallyShipped") and o.fulfillment_channel == "MFN"
    ]
    assert order_ids(resp) == expected
    buyer = next(o.buyer_email for o in orders if o.buyer_email and o.details_visible)
    standin.reset_throttling()
    resp = mws(standin, seller, "ListOrders", window_params(amazon_book, seller, BuyerEmail=buyer))
    assert resp.status_code == 200
    assert order_ids(resp) == [o.amazon_order_id for o in orders
                               if o.buyer_email == buyer and o.details_visible]  # fmt: skip


def test_last_updated_filter_sees_status_changes(standin, seller, amazon_book):
    now = standin.clock.now()
    pending = next(o for o in amazon_book.orders(seller.seller_id) if o.status == "Pending")
    amazon_book.set_status(pending.amazon_order_id, "Unshipped", at=now - timedelta(minutes=5))
    params = {
        "LastUpdatedAfter": _z(now - timedelta(minutes=6)),
        "MarketplaceId.Id.1": "ATVPDKIKX0DER",
        "MarketplaceId.Id.2": "A2Q3Y263D00KWC",
    }
    resp = mws(standin, seller, "ListOrders", params)
    assert resp.status_code == 200
    assert order_ids(resp) == [pending.amazon_order_id]
    order = xml(resp).find(f"{NS}ListOrdersResult/{NS}Orders/{NS}Order")
    assert order.findtext(f"{NS}OrderStatus") == "Unshipped"
    assert order.find(f"{NS}OrderTotal") is not None
    assert xml(resp).find(f"{NS}ListOrdersResult/{NS}LastUpdatedBefore") is not None


# ---------------------------------------------------------------- paging
def test_paging_to_the_end_without_duplicates_or_gaps(standin, seller, amazon_book):
    params = window_params(amazon_book, seller, MaxResultsPerPage="7")
    resp = mws(standin, seller, "ListOrders", params)
    seen, tokens = [], []
    result = "ListOrdersResult"
    for _ in range(20):
        assert resp.status_code == 200, resp.text
        seen += order_ids(resp, result)
        token = xml(resp).findtext(f"{NS}{result}/{NS}NextToken")
        if token is None:
            break
        tokens.append(token)
        resp = mws_patient(standin, seller, "ListOrdersByNextToken", {"NextToken": token})
        result = "ListOrdersByNextTokenResult"
    assert seen == [o.amazon_order_id for o in amazon_book.orders(seller.seller_id)]
    assert len(tokens) == 8  # 60 orders / 7 per page
    assert all(t.endswith("==") for t in tokens)
    assert any("+" in t for t in tokens)
    assert any("/" in t for t in tokens)


def test_bad_next_tokens_are_corrupted(standin, seller, amazon_book):
    resp = mws(
        standin, seller, "ListOrders", window_params(amazon_book, seller, MaxResultsPerPage="5")
    )
    token = xml(resp).findtext(f"{NS}ListOrdersResult/{NS}NextToken")
    flipped = token[:10] + ("A" if token[10] != "A" else "B") + token[11:]
    for bad in (flipped, "bm90IGEgdG9rZW4=", "%%%", token[:-4]):
        resp = mws(standin, seller, "ListOrdersByNextToken", {"NextToken": bad})
        assert resp.status_code == 400
        assert error_of(resp)[1] == "NextTokenCorrupted"
    # an orders token is no items token
    resp = mws(standin, seller, "ListOrderItemsByNextToken", {"NextToken": token})
    assert error_of(resp)[1] == "NextTokenCorrupted"
    # expired after the TTL
    standin.clock.advance(3601)
    resp = mws(standin, seller, "ListOrdersByNextToken", {"NextToken": token})
    assert error_of(resp)[1] == "NextTokenCorrupted"


def test_next_token_is_bound_to_the_seller():
    one = make_amazon_seller()
    two = make_amazon_seller("A2OTHERSELLER", n=2)
    book = make_amazon_book(one)
    book.add_generated(seed=7, seller_id=two.seller_id, marketplace_ids=two.marketplace_ids,
                       orders=30, buyers=10, products=5,
                       start=book.orders(one.seller_id)[0].purchase_date,
                       end=book.orders(one.seller_id)[-1].purchase_date)  # fmt: skip
    standin = start_amazon_standin(book=book, seller=one, sellers=[two])
    try:
        resp = mws(standin, one, "ListOrders", window_params(book, one, MaxResultsPerPage="5"))
        token = xml(resp).findtext(f"{NS}ListOrdersResult/{NS}NextToken")
        resp = mws(standin, two, "ListOrdersByNextToken", {"NextToken": token})
        assert error_of(resp)[1] == "NextTokenCorrupted"
        resp = mws(standin, two, "ListOrders", window_params(book, one))
        assert set(order_ids(resp)) == {o.amazon_order_id for o in book.orders(two.seller_id)}
    finally:
        standin.stop()


# ---------------------------------------------------------------- payloads
def _orders_by_id(resp, result="ListOrdersResult"):
    res = xml(resp).find(f"{NS}{result}/{NS}Orders")
    return {o.findtext(f"{NS}AmazonOrderId"): o for o in res}


def test_pending_orders_carry_no_money_or_buyer(standin, seller, amazon_book):
    resp = mws(standin, seller, "ListOrders", window_params(amazon_book, seller))
    by_id = _orders_by_id(resp)
    pending = [o for o in amazon_book.orders(seller.seller_id) if o.status == "Pending"]
    assert pending
    for o in pending:
        el = by_id[o.amazon_order_id]
        for tag in ("BuyerEmail", "BuyerName", "ShippingAddress", "OrderTotal"):
            assert el.find(f"{NS}{tag}") is None, tag
    resp = mws(standin, seller, "ListOrderItems", {"AmazonOrderId": pending[0].amazon_order_id})
    items = xml(resp).find(f"{NS}ListOrderItemsResult/{NS}OrderItems")
    assert len(items) == len(pending[0].items)
    for item in items:
        assert item.findtext(f"{NS}ASIN").startswith("B0")
        for tag in ("ItemPrice", "ItemTax", "ShippingPrice", "ShippingTax", "PromotionDiscount",
                    "ShippingDiscount", "GiftWrapPrice", "GiftWrapTax"):  # fmt: skip
            assert item.find(f"{NS}{tag}") is None, tag


def test_shipped_orders_and_gift_orders(standin, seller, amazon_book):
    resp = mws(standin, seller, "ListOrders", window_params(amazon_book, seller))
    by_id = _orders_by_id(resp)
    orders = amazon_book.orders(seller.seller_id)
    shipped = next(o for o in orders if o.status == "Shipped" and o.buyer_email)
    el = by_id[shipped.amazon_order_id]
    assert el.findtext(f"{NS}BuyerEmail") == shipped.buyer_email
    assert el.findtext(f"{NS}OrderTotal/{NS}Amount") == f"{shipped.order_total:.2f}"
    assert el.find(f"{NS}ShippingAddress/{NS}Name") is not None
    gift = next(o for o in orders if o.is_gift and o.fulfillment_channel == "AFN")
    el = by_id[gift.amazon_order_id]
    assert el.find(f"{NS}BuyerEmail") is None
    assert el.find(f"{NS}BuyerName") is not None
    assert el.find(f"{NS}ShippingAddress/{NS}Phone") is None


def _money(el, tag):
    from decimal import Decimal

    text = el.findtext(f"{NS}{tag}/{NS}Amount")
    return Decimal(text) if text else Decimal(0)


def test_item_paging_and_order_total_formula(standin, seller, amazon_book):
    big = next(o for o in amazon_book.orders(seller.seller_id)
               if len(o.items) > 2 * ITEMS_PAGE_SIZE and o.details_visible)  # fmt: skip
    resp = mws(standin, seller, "ListOrderItems", {"AmazonOrderId": big.amazon_order_id})
    items, pages, result = [], 0, "ListOrderItemsResult"
    for _ in range(10):
        assert resp.status_code == 200, resp.text
        pages += 1
        res = xml(resp).find(f"{NS}{result}")
        assert res.findtext(f"{NS}AmazonOrderId") == big.amazon_order_id
        items += list(res.find(f"{NS}OrderItems"))
        token = res.findtext(f"{NS}NextToken")
        if token is None:
            break
        resp = mws(standin, seller, "ListOrderItemsByNextToken", {"NextToken": token})
        result = "ListOrderItemsByNextTokenResult"
    assert pages == 3
    assert [i.findtext(f"{NS}OrderItemId") for i in items] == [i.order_item_id for i in big.items]
    total = sum(
        _money(i, "ItemPrice") + _money(i, "ItemTax") + _money(i, "ShippingPrice")
        + _money(i, "ShippingTax") + _money(i, "GiftWrapPrice") + _money(i, "GiftWrapTax")
        - _money(i, "PromotionDiscount") - _money(i, "ShippingDiscount")
        for i in items
    )  # fmt: skip
    resp = mws(standin, seller, "GetOrder", {"AmazonOrderId.Id.1": big.amazon_order_id})
    order = xml(resp).find(f"{NS}GetOrderResult/{NS}Orders/{NS}Order")
    assert _money(order, "OrderTotal") == total == big.order_total


def test_get_order_and_unknown_ids(standin, seller, amazon_book):
    orders = amazon_book.orders(seller.seller_id)
    params = {"AmazonOrderId.Id.1": orders[3].amazon_order_id,
              "AmazonOrderId.Id.2": "111-0000000-0000000",
              "AmazonOrderId.Id.3": orders[0].amazon_order_id}  # fmt: skip
    resp = mws(standin, seller, "GetOrder", params)
    assert resp.status_code == 200
    assert order_ids(resp, "GetOrderResult") == [
        orders[3].amazon_order_id,
        orders[0].amazon_order_id,
    ]
    resp = mws(standin, seller, "GetOrder", {"AmazonOrderId.Id.1": "nope"})
    assert resp.status_code == 400
    resp = mws(standin, seller, "ListOrderItems", {"AmazonOrderId": "111-0000000-0000000"})
    assert error_of(resp)[1] == "InvalidParameterValue"


def test_service_status_and_marketplace_participations(standin, seller):
    resp = mws(standin, seller, "GetServiceStatus")
    assert xml(resp).findtext(f"{NS}GetServiceStatusResult/{NS}Status") == "GREEN"
    resp = mws(standin, seller, "ListMarketplaceParticipations", path="/Sellers/2011-07-01")
    assert resp.status_code == 200, resp.text
    root = xml(resp)
    assert root.tag == f"{NS_SELLERS}ListMarketplaceParticipationsResponse"
    res = root.find(f"{NS_SELLERS}ListMarketplaceParticipationsResult")
    parts = res.findall(f"{NS_SELLERS}ListParticipations/{NS_SELLERS}Participation")
    assert {p.findtext(f"{NS_SELLERS}MarketplaceId") for p in parts} == set(seller.marketplace_ids)
    assert parts[0].findtext(f"{NS_SELLERS}HasSellerSuspendedListings") == "No"
    markets = res.findall(f"{NS_SELLERS}ListMarketplaces/{NS_SELLERS}Marketplace")
    us = next(m for m in markets if m.findtext(f"{NS_SELLERS}MarketplaceId") == "ATVPDKIKX0DER")
    assert us.findtext(f"{NS_SELLERS}DefaultCurrencyCode") == "USD"
    assert us.findtext(f"{NS_SELLERS}DomainName") == "www.amazon.com"
    # the Orders version is wrong for the Sellers section
    resp = mws(standin, seller, "ListMarketplaceParticipations", path="/Sellers/2011-07-01",
               version="2013-09-01")  # fmt: skip
    assert resp.status_code == 400


# ---------------------------------------------------------------- throttling
def test_seventh_quick_list_orders_is_throttled(seller):
    standin = start_amazon_standin(seller=seller, time_scale=1.0)
    try:
        params = {"CreatedAfter": "2020-01-01T00:00:00Z", "MarketplaceId.Id.1": "ATVPDKIKX0DER"}
        codes = [mws(standin, seller, "ListOrders", params).status_code for _ in range(6)]
        assert codes == [200] * 6
        resp = mws(standin, seller, "ListOrdersByNextToken", {"NextToken": "x"})  # shared bucket
        assert resp.status_code == 503
        assert error_of(resp) == ("Sender", "RequestThrottled", "Request is throttled")
        assert standin.stats.throttled == 1
        assert standin.stats.by_status[503] == 1
        # other groups have their own buckets
        assert mws(standin, seller, "GetServiceStatus").status_code == 200
        standin.clock.advance(60)  # restore one request
        assert mws(standin, seller, "ListOrders", params).status_code == 200
        assert mws(standin, seller, "ListOrders", params).status_code == 503
    finally:
        standin.stop()


def test_bucket_is_exact_under_concurrency(seller, amazon_book):
    standin = start_amazon_standin(seller=seller, book=amazon_book, time_scale=0.0001)
    oid = amazon_book.orders(seller.seller_id)[0].amazon_order_id
    codes: list[int] = []
    lock = threading.Lock()

    def worker():
        with requests.Session() as s:
            for _ in range(5):
                code = mws(standin, seller, "ListOrderItems", {"AmazonOrderId": oid},
                           session=s).status_code  # fmt: skip
                with lock:
                    codes.append(code)

    try:
        threads = [threading.Thread(target=worker) for _ in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert len(codes) == 50
        assert codes.count(200) == 30
        assert codes.count(503) == 20
        assert standin.stats.calls["ListOrderItems"] == 50
    finally:
        standin.stop()


def test_throttle_off(seller):
    standin = start_amazon_standin(seller=seller, time_scale=1.0, throttle=False)
    try:
        assert all(mws(standin, seller, "GetServiceStatus").status_code == 200 for _ in range(5))
    finally:
        standin.stop()


# ---------------------------------------------------------------- faults
def test_status_faults_hit_only_their_operation(standin, seller, amazon_book):
    oid = amazon_book.orders(seller.seller_id)[0].amazon_order_id
    standin.faults.inject(500, count=2, operation="ListOrderItems")
    assert mws(standin, seller, "GetServiceStatus").status_code == 200
    for _ in range(2):
        resp = mws(standin, seller, "ListOrderItems", {"AmazonOrderId": oid})
        assert resp.status_code == 500
        assert error_of(resp)[:2] == ("Receiver", "InternalError")
    assert mws(standin, seller, "ListOrderItems", {"AmazonOrderId": oid}).status_code == 200
    standin.faults.inject(503)
    resp = mws(standin, seller, "GetServiceStatus")
    assert resp.status_code == 503
    assert error_of(resp)[:2] == ("Receiver", "ServiceUnavailable")
    standin.faults.inject("throttle")
    resp = mws(standin, seller, "GetServiceStatus")
    assert error_of(resp)[1] == "RequestThrottled"


def test_malformed_slow_and_disconnect_faults(standin, seller):
    standin.faults.inject("malformed")
    resp = mws(standin, seller, "GetServiceStatus")
    assert resp.status_code == 200
    with pytest.raises(ElementTree.ParseError):
        xml(resp)
    standin.faults.inject("slow", delay=0.3)
    started = time.monotonic()
    assert mws(standin, seller, "GetServiceStatus").status_code == 200
    assert time.monotonic() - started >= 0.3
    standin.faults.inject("disconnect")
    with pytest.raises(requests.ConnectionError):
        mws(standin, seller, "GetServiceStatus")
    assert mws_patient(standin, seller, "GetServiceStatus").status_code == 200
    assert standin.stats.by_status[0] == 1
    assert standin.stats.faults_fired == 3


# ---------------------------------------------------------------- control API
def test_control_endpoints(standin, seller, amazon_book):
    url = standin.url + "/_sandbox"
    mws(standin, seller, "GetServiceStatus")
    stats = requests.get(url + "/stats", timeout=5).json()
    assert stats["calls"]["GetServiceStatus"] == 1
    assert requests.post(url + "/reset-stats", timeout=5).json() == {"ok": True}
    assert standin.stats.total == 0
    r = requests.post(url + "/faults", json={"status": 500, "count": 2,
                                             "operation": "ListOrderItems"}, timeout=5)  # fmt: skip
    assert r.status_code == 200
    assert standin.faults.pending()[0].remaining == 2
    pending = next(o for o in amazon_book.orders(seller.seller_id) if o.status == "Pending")
    r = requests.post(f"{url}/orders/{pending.amazon_order_id}/status",
                      json={"status": "Shipped"}, timeout=5)  # fmt: skip
    assert r.json()["status"] == "Shipped"
    assert amazon_book.get(pending.amazon_order_id).status == "Shipped"
    r = requests.post(url + "/advance", json={"count": 2}, timeout=5)
    assert len(r.json()["moved"]) == 2
    book = requests.get(url + "/orders", params={"seller_id": seller.seller_id}, timeout=5).json()
    assert len(book) == 60
    assert "Amazon stand-in" in requests.get(url + "/", timeout=5).text
    assert requests.post(url + "/nothing", timeout=5).status_code == 404
    assert requests.post(url + "/faults", json={"status": "weird"}, timeout=5).status_code == 400
