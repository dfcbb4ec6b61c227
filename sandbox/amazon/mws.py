"""Fake MWS: Orders API 2013-09-01 and Sellers API 2011-07-01 (ListMarketplaceParticipations).

Strict like Amazon (../shared/specs/amazon-apis.md §1–§3, §8): Signature Version 2 checked over
the Host header as received, ±15 min Timestamp, MWSAuthToken, region by Host, ListOrders
validation, bound and expiring NextTokens, leaky-bucket throttling and Amazon's error bodies.

Order of checks: path → required parameters → SignatureVersion/Method → access key →
Timestamp → signature → Version → Action → seller/MWSAuthToken/region → faults → throttle →
operation. Throttling is charged before parameter validation, as a bad request still counts.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import os
import re
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Request, Response

from sandbox.amazon import regions
from sandbox.amazon.records import (
    ITEMS_PAGE_SIZE,
    STATUSES,
    BookItem,
    BookOrder,
    iso_z,
    iso_z_ms,
    money_str,
    order_filter,
)
from sandbox.amazon.state import AmazonState
from sandbox.amazon.tokens import TokenError
from sandbox.common.buckets import BucketRegistry, LeakyBucket

ORDERS_PATH = "/Orders/2013-09-01"
SELLERS_PATH = "/Sellers/2011-07-01"
NS_ORDERS = "https://mws.amazonservices.com/Orders/2013-09-01"
NS_SELLERS = "https://mws.amazonservices.com/Sellers/2011-07-01"

ORDERS_ACTIONS = frozenset(
    {
        "ListOrders",
        "ListOrdersByNextToken",
        "GetOrder",
        "ListOrderItems",
        "ListOrderItemsByNextToken",
        "GetServiceStatus",
    }
)
SELLERS_ACTIONS = frozenset(
    {
        "ListMarketplaceParticipations",
        "ListMarketplaceParticipationsByNextToken",
        "GetServiceStatus",
    }
)
SECTIONS = {
    ORDERS_PATH: ("2013-09-01", NS_ORDERS, ORDERS_ACTIONS),
    SELLERS_PATH: ("2011-07-01", NS_SELLERS, SELLERS_ACTIONS),
}

# (max quota, seconds to restore one request) per throttling group
THROTTLE = {
    "ListOrders": (6, 60.0),
    "GetOrder": (6, 60.0),
    "ListOrderItems": (30, 2.0),
    "GetServiceStatus": (2, 300.0),
    "ListMarketplaceParticipations": (15, 60.0),
}
_GROUP = {
    "ListOrders": "ListOrders",
    "ListOrdersByNextToken": "ListOrders",
    "GetOrder": "GetOrder",
    "ListOrderItems": "ListOrderItems",
    "ListOrderItemsByNextToken": "ListOrderItems",
    "GetServiceStatus": "GetServiceStatus",
    "ListMarketplaceParticipations": "ListMarketplaceParticipations",
    "ListMarketplaceParticipationsByNextToken": "ListMarketplaceParticipations",
}

REQUIRED = (
    "AWSAccessKeyId",
    "Action",
    "SellerId",
    "SignatureMethod",
    "SignatureVersion",
    "Timestamp",
    "Version",
    "Signature",
)
MAX_SKEW = timedelta(minutes=15)
LATENCY = timedelta(minutes=2)
ORDER_ID_RE = re.compile(r"^\d{3}-\d{7}-\d{7}$")
_ALL_STATUSES = frozenset(STATUSES)

SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation "
    "for details."
)


# ------------------------------------------------------------------ signing (server side)
def rfc3986(value: str) -> str:
    """Percent-encode per RFC 3986: keep A-Z a-z 0-9 - _ . ~, UTF-8, uppercase hex."""
    return quote(value, safe="-_.~", encoding="utf-8")


def canonical_query(params: Iterable[tuple[str, str]]) -> str:
    """Sort by name (byte order) and join ``name=value`` pairs, both RFC 3986 encoded."""
    pairs = sorted((k, v) for k, v in params if k != "Signature")
    return "&".join(f"{rfc3986(k)}={rfc3986(v)}" for k, v in pairs)


def string_to_sign(method: str, host: str, path: str, params: Iterable[tuple[str, str]]) -> str:
    """``VERB\\nhost\\npath\\ncanonical-query`` with a lowercased host and ``/`` for an empty path."""
    return f"{method.upper()}\n{host.lower()}\n{path or '/'}\n{canonical_query(params)}"


def compute_signature(secret: str, text: str, method: str = "HmacSHA256") -> str:
    digest = hashlib.sha256 if method == "HmacSHA256" else hashlib.sha1
    mac = hmac.new(secret.encode("utf-8"), text.encode("utf-8"), digest).digest()
    return base64.b64encode(mac).decode("ascii")


# ------------------------------------------------------------------ errors and XML
class MwsError(Exception):
    def __init__(self, status: int, code: str, message: str, type_: str = "Sender") -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.type = type_


def _bad(message: str) -> MwsError:
    return MwsError(400, "InvalidParameterValue", message)


def _denied(message: str = "Access denied") -> MwsError:
    return MwsError(401, "AccessDenied", message)


def esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _money(tag: str, amount, currency: str, places: int) -> str:
    return (
        f"<{tag}><CurrencyCode>{currency}</CurrencyCode>"
        f"<Amount>{money_str(amount, places)}</Amount></{tag}>"
    )


def render_order(o: BookOrder) -> str:
    """One ``<Order>`` element with what MWS shows for the order's status."""
    visible = o.details_visible
    p = [
        "<Order>",
        f"<AmazonOrderId>{o.amazon_order_id}</AmazonOrderId>",
        f"<SellerOrderId>{esc(o.seller_order_id)}</SellerOrderId>",
        f"<PurchaseDate>{iso_z(o.purchase_date)}</PurchaseDate>",
        f"<LastUpdateDate>{iso_z(o.last_update_date)}</LastUpdateDate>",
        f"<OrderStatus>{o.status}</OrderStatus>",
        f"<FulfillmentChannel>{o.fulfillment_channel}</FulfillmentChannel>",
        f"<SalesChannel>{esc(o.sales_channel)}</SalesChannel>",
        f"<ShipServiceLevel>{esc(o.ship_service_level)}</ShipServiceLevel>",
    ]
    if visible:
        a = o.shipping_address
        p.append("<ShippingAddress>")
        p.append(f"<Name>{esc(a.name)}</Name>")
        p.append(f"<AddressLine1>{esc(a.line1)}</AddressLine1>")
        if a.line2:
            p.append(f"<AddressLine2>{esc(a.line2)}</AddressLine2>")
        p.append(f"<City>{esc(a.city)}</City>")
        if a.state_or_region:
            p.append(f"<StateOrRegion>{esc(a.state_or_region)}</StateOrRegion>")
        p.append(f"<PostalCode>{esc(a.postal_code)}</PostalCode>")
        p.append(f"<CountryCode>{a.country_code}</CountryCode>")
        if a.phone and o.fulfillment_channel == "MFN":
            p.append(f"<Phone>{esc(a.phone)}</Phone>")
        if a.address_type:
            p.append(f"<AddressType>{a.address_type}</AddressType>")
        p.append("</ShippingAddress>")
        p.append(_money("OrderTotal", o.order_total, o.currency, o.decimals))
    p.append(f"<NumberOfItemsShipped>{o.number_of_items_shipped}</NumberOfItemsShipped>")
    p.append(f"<NumberOfItemsUnshipped>{o.number_of_items_unshipped}</NumberOfItemsUnshipped>")
    p.append(f"<PaymentMethod>{o.payment_method}</PaymentMethod>")
    p.append(
        "<PaymentMethodDetails><PaymentMethodDetail>"
        f"{o.payment_method_detail}</PaymentMethodDetail></PaymentMethodDetails>"
    )
    p.append(f"<MarketplaceId>{o.marketplace_id}</MarketplaceId>")
    if visible:
        if o.buyer_email:
            p.append(f"<BuyerEmail>{esc(o.buyer_email)}</BuyerEmail>")
        p.append(f"<BuyerName>{esc(o.buyer_name)}</BuyerName>")
    p.append(
        f"<ShipmentServiceLevelCategory>{o.shipment_service_level_category}"
        "</ShipmentServiceLevelCategory>"
    )
    p.append(f"<OrderType>{o.order_type}</OrderType>")
    p.append(f"<EarliestShipDate>{iso_z(o.earliest_ship_date)}</EarliestShipDate>")
    p.append(f"<LatestShipDate>{iso_z(o.latest_ship_date)}</LatestShipDate>")
    if o.delivery_window_visible:
        p.append(f"<EarliestDeliveryDate>{iso_z(o.earliest_delivery_date)}</EarliestDeliveryDate>")
        p.append(f"<LatestDeliveryDate>{iso_z(o.latest_delivery_date)}</LatestDeliveryDate>")
    p.append(f"<IsBusinessOrder>{_bool(o.is_business_order)}</IsBusinessOrder>")
    p.append(f"<IsPrime>{_bool(o.is_prime)}</IsPrime>")
    p.append("<IsPremiumOrder>false</IsPremiumOrder>")
    p.append("<IsReplacementOrder>false</IsReplacementOrder>")
    p.append("</Order>")
    return "".join(p)


def render_item(o: BookOrder, i: BookItem) -> str:
    """One ``<OrderItem>``; no money elements while the order is Pending."""
    cur, places = o.currency, o.decimals
    p = [
        "<OrderItem>",
        f"<ASIN>{i.asin}</ASIN>",
        f"<SellerSKU>{esc(i.seller_sku)}</SellerSKU>",
        f"<OrderItemId>{i.order_item_id}</OrderItemId>",
        f"<Title>{esc(i.title)}</Title>",
        f"<QuantityOrdered>{i.quantity}</QuantityOrdered>",
        f"<QuantityShipped>{i.quantity_shipped}</QuantityShipped>",
        "<ProductInfo><NumberOfItems>1</NumberOfItems></ProductInfo>",
    ]
    if o.details_visible:
        p.append(_money("ItemPrice", i.item_price, cur, places))
        p.append(_money("ShippingPrice", i.shipping_price, cur, places))
        if i.gift_wrap_price:
            p.append(_money("GiftWrapPrice", i.gift_wrap_price, cur, places))
        p.append(_money("ItemTax", i.item_tax, cur, places))
        p.append(_money("ShippingTax", i.shipping_tax, cur, places))
        if i.gift_wrap_price:
            p.append(_money("GiftWrapTax", i.gift_wrap_tax, cur, places))
        p.append(_money("ShippingDiscount", i.shipping_discount, cur, places))
        p.append(_money("PromotionDiscount", i.promotion_discount, cur, places))
    if i.promotion_id:
        p.append(f"<PromotionIds><PromotionId>{esc(i.promotion_id)}</PromotionId></PromotionIds>")
    p.append(f"<IsGift>{_bool(i.is_gift)}</IsGift>")
    if i.gift_message:
        p.append(f"<GiftMessageText>{esc(i.gift_message)}</GiftMessageText>")
    if i.gift_wrap_level:
        p.append(f"<GiftWrapLevel>{i.gift_wrap_level}</GiftWrapLevel>")
    p.append("<ConditionId>New</ConditionId><ConditionSubtypeId>New</ConditionSubtypeId>")
    p.append("<IsTransparency>false</IsTransparency>")
    p.append("</OrderItem>")
    return "".join(p)


def parse_iso8601(name: str, value: str) -> datetime:
    """Parse an ISO 8601 date (``Z``, offsets and fractions accepted); naive means UTC."""
    text = value.strip()
    if not re.match(r"^\d{4}-\d{2}-\d{2}", text):
        raise _bad(f"Invalid {name}: {value} is not a valid ISO 8601 date")
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        raise _bad(f"Invalid {name}: {value} is not a valid ISO 8601 date") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def _indexed(params: MultiDict, prefix: str, limit: int) -> list[str]:
    """Values of ``prefix.1 .. prefix.N`` (order of N); more than ``limit`` → 400."""
    found: list[tuple[int, str]] = []
    plen = len(prefix) + 1
    for key, value in params.items():
        if key.startswith(prefix + "."):
            suffix = key[plen:]
            if not suffix.isdigit() or int(suffix) < 1:
                raise _bad(f"Invalid parameter {key}")
            found.append((int(suffix), value))
    if len(found) > limit:
        raise _bad(f"{prefix} may contain at most {limit} values")
    return [v for _, v in sorted(found)]


class MwsApi:
    """Handles MWS requests for one :class:`AmazonState`."""

    def __init__(self, standin: AmazonState) -> None:
        self.s = standin
        self._ids = itertools.count()
        scale = standin.time_scale
        now = standin.clock.monotonic
        self.buckets = BucketRegistry(
            lambda key: LeakyBucket(*THROTTLE[key[-1]], now=now, time_scale=scale)
        )

    # -------------------------------------------------------------- plumbing
    def _request_id(self) -> str:
        raw = os.urandom(16).hex()
        return f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}"

    def _headers(self, request_id: str) -> dict[str, str]:
        return {
            "x-mws-request-id": request_id,
            "x-mws-timestamp": iso_z_ms(self.s.clock.now()),
            "x-mws-response-context": base64.b64encode(os.urandom(24)).decode(),
        }

    def _ok(self, action: str, ns: str, result: str) -> Response:
        rid = self._request_id()
        body = (
            f'<?xml version="1.0"?>\n<{action}Response xmlns="{ns}">'
            f"<{action}Result>{result}</{action}Result>"
            f"<ResponseMetadata><RequestId>{rid}</RequestId></ResponseMetadata>"
            f"</{action}Response>"
        )
        return Response(body, 200, self._headers(rid), content_type="text/xml")

    def error_response(self, err: MwsError, ns: str = NS_ORDERS) -> Response:
        rid = self._request_id()
        tag = "RequestId" if next(self._ids) % 2 == 0 else "RequestID"
        body = (
            f'<?xml version="1.0"?>\n<ErrorResponse xmlns="{ns}"><Error>'
            f"<Type>{err.type}</Type><Code>{err.code}</Code>"
            f"<Message>{esc(err.message)}</Message><Detail/></Error>"
            f"<{tag}>{rid}</{tag}></ErrorResponse>"
        )
        return Response(body, err.status, self._headers(rid), content_type="text/xml")

    # -------------------------------------------------------------- entry point
    def handle(self, request: Request) -> Response:
        section = SECTIONS.get(request.path)
        ns = section[1] if section else NS_ORDERS
        try:
            if section is None or request.method not in ("GET", "POST"):
                raise MwsError(404, "InvalidAddress", f"Invalid address: {request.path}")
            return self._handle(request, section)
        except MwsError as err:
            if err.code == "RequestThrottled":
                self.s.stats.add("throttled")
            return self.error_response(err, ns)

    def _params(self, request: Request) -> MultiDict:
        if request.method == "GET":
            return MultiDict(request.args.items(multi=True))
        params = MultiDict(request.args.items(multi=True))
        for k, v in request.form.items(multi=True):
            params.add(k, v)
        return params

    def _handle(self, request: Request, section: tuple) -> Response:
        version, ns, actions = section
        params = self._params(request)
        action = params.get("Action")
        if action:
            request.environ["sandbox.operation"] = action
        for name in REQUIRED:
            if not params.get(name):
                raise _bad(f"The request must contain the parameter {name}.")
        if params["SignatureVersion"] != "2":
            raise _bad(f"Invalid SignatureVersion: {params['SignatureVersion']}")
        method = params["SignatureMethod"]
        if method not in ("HmacSHA256", "HmacSHA1"):
            raise _bad(f"Invalid SignatureMethod: {method}")
        key = params["AWSAccessKeyId"]
        secret = self.s.access_keys.get(key)
        if secret is None:
            raise MwsError(
                403,
                "InvalidAccessKeyId",
                "The AWS Access Key Id you provided does not exist in our records.",
            )
        stamp = parse_iso8601("Timestamp", params["Timestamp"])
        now = self.s.clock.now()
        if abs(now - stamp) > MAX_SKEW:
            raise _bad(
                f"Request has expired. Timestamp date is {params['Timestamp']}. "
                f"Current time is {iso_z_ms(now)}."
            )
        host = regions.normalise_host(request.headers.get("Host"))
        sts = string_to_sign(request.method, host, request.path, params.items(multi=True))
        expected = compute_signature(secret, sts, method)
        if not hmac.compare_digest(expected.encode(), params["Signature"].encode()):
            raise MwsError(403, "SignatureDoesNotMatch", SIGNATURE_MISMATCH)
        if params["Version"] != version:
            raise _bad(f"Invalid Version: {params['Version']}; this section is {version}")
        if action not in actions:
            raise MwsError(404, "InvalidAddress", f"Invalid action {action} for {request.path}")

        seller = self.s.sellers.get(params["SellerId"])
        if seller is None or seller.access_key != key:
            raise _denied(f"Access to seller {params['SellerId']} is denied.")
        token = params.get("MWSAuthToken")
        if seller.mws_auth_token:
            if not token:
                raise _denied("Missing required MWSAuthToken for Seller.")
            if not hmac.compare_digest(token.encode(), seller.mws_auth_token.encode()):
                raise _denied("Invalid MWSAuthToken for Seller.")
        elif token:
            raise _denied("Invalid MWSAuthToken for Seller.")
        host_mps = regions.mws_marketplaces_for(host)
        if not host_mps.intersection(seller.marketplace_ids):
            raise _denied(
                f"Seller {seller.seller_id} is not registered in the region of "
                f"{regions.mws_host_for(host)}."
            )

        fault_response = self.s.apply_fault(request, action, self._fault_error)
        if fault_response is not None:
            return fault_response

        group = _GROUP[action]
        if self.s.throttle:
            bucket_key = (seller.seller_id, key, request.path, group)
            if not self.buckets.try_acquire(bucket_key):
                raise MwsError(503, "RequestThrottled", "Request is throttled")

        ctx = _Ctx(seller.seller_id, host, host_mps, now, ns)
        handler = getattr(self, "_op_" + action)
        return handler(params, ctx, seller)

    def _fault_error(self, status: int | str) -> Response:
        if status == "throttle":
            self.s.stats.add("throttled")
            return self.error_response(MwsError(503, "RequestThrottled", "Request is throttled"))
        if status == 503:
            err = MwsError(503, "ServiceUnavailable", "Service is unavailable", "Receiver")
        elif status == 500:
            err = MwsError(
                500, "InternalError", "We encountered an internal error. Please try again.",
                "Receiver",
            )  # fmt: skip
        elif status == 429:
            self.s.stats.add("throttled")
            err = MwsError(429, "RequestThrottled", "Request is throttled")
        else:
            err = MwsError(int(status), "InternalError", "Injected fault", "Receiver")
        return self.error_response(err)

    # -------------------------------------------------------------- operations
    def _marketplaces(self, params: MultiDict, ctx: _Ctx, seller) -> list[str]:
        mps = _indexed(params, "MarketplaceId.Id", 50)
        if not mps:
            raise _bad("MarketplaceId.Id.1 must be specified")
        for mp in mps:
            if regions.MARKETPLACES.get(mp) is None:
                raise _bad(f"Invalid MarketplaceId: {mp}")
            if mp not in ctx.host_mps:
                raise _bad(f"MarketplaceId {mp} is not valid for the endpoint {ctx.mws_host}")
            if mp not in seller.marketplace_ids:
                raise _denied(f"Seller {seller.seller_id} is not registered in marketplace {mp}.")
        return mps

    def _op_ListOrders(self, params: MultiDict, ctx: _Ctx, seller) -> Response:  # noqa: N802
        created_after = params.get("CreatedAfter")
        updated_after = params.get("LastUpdatedAfter")
        created_before = params.get("CreatedBefore")
        updated_before = params.get("LastUpdatedBefore")
        if created_after and updated_after:
            raise _bad("Only one of CreatedAfter or LastUpdatedAfter can be specified")
        if not created_after and not updated_after:
            raise _bad("CreatedAfter or LastUpdatedAfter must be specified")
        if created_after and updated_before:
            raise _bad("LastUpdatedBefore cannot be specified with CreatedAfter")
        if updated_after and created_before:
            raise _bad("CreatedBefore cannot be specified with LastUpdatedAfter")
        by = "created" if created_after else "updated"
        after_name = "CreatedAfter" if created_after else "LastUpdatedAfter"
        before_name = "CreatedBefore" if created_after else "LastUpdatedBefore"
        after = parse_iso8601(after_name, created_after or updated_after)
        before_raw = created_before or updated_before
        cap = ctx.now - LATENCY
        if before_raw:
            requested = parse_iso8601(before_name, before_raw)
            if requested <= after:
                raise _bad(f"{before_name} must be later than {after_name}")
            before = min(requested, cap)
        else:
            before = cap
        if after > cap:
            raise _bad(
                f"{after_name} must be no later than two minutes before the time the request "
                "was submitted"
            )
        mps = self._marketplaces(params, ctx, seller)

        statuses = _indexed(params, "OrderStatus.Status", 10)
        for st in statuses:
            if st not in _ALL_STATUSES:
                raise _bad(f"Invalid OrderStatus: {st}")
        if ("Unshipped" in statuses) != ("PartiallyShipped" in statuses):
            raise _bad("OrderStatus Unshipped and PartiallyShipped must be used together")
        channels = _indexed(params, "FulfillmentChannel.Channel", 2)
        for ch in channels:
            if ch not in ("AFN", "MFN"):
                raise _bad(f"Invalid FulfillmentChannel: {ch}")
        methods = _indexed(params, "PaymentMethod.Method", 3)
        for pm in methods:
            if pm not in ("COD", "CVS", "Other"):
                raise _bad(f"Invalid PaymentMethod: {pm}")
        buyer_email = params.get("BuyerEmail")
        seller_order_id = params.get("SellerOrderId")
        for name, value in (("BuyerEmail", buyer_email), ("SellerOrderId", seller_order_id)):
            if value is None:
                continue
            if statuses or channels or methods or updated_after or updated_before:
                raise _bad(
                    f"{name} cannot be specified with FulfillmentChannel, OrderStatus, "
                    "PaymentMethod, LastUpdatedAfter or LastUpdatedBefore"
                )
        if buyer_email is not None and seller_order_id is not None:
            raise _bad("BuyerEmail and SellerOrderId cannot be specified together")
        raw_max = params.get("MaxResultsPerPage", "100")
        if not raw_max.isdigit() or not 1 <= int(raw_max) <= 100:
            raise _bad(f"Invalid MaxResultsPerPage: {raw_max}; must be between 1 and 100")
        query = {
            "t": "o",
            "s": seller.seller_id,
            "h": regions.mws_host_for(ctx.host),
            "by": by,
            "a": after.timestamp(),
            "b": before.timestamp(),
            "m": sorted(mps),
            "st": sorted(statuses),
            "fc": sorted(channels),
            "pm": sorted(methods),
            "be": buyer_email,
            "so": seller_order_id,
            "n": int(raw_max),
        }
        return self._orders_page("ListOrders", query, None, ctx)

    def _op_ListOrdersByNextToken(self, params: MultiDict, ctx: _Ctx, seller) -> Response:  # noqa: N802
        payload = self._token(params, ctx, "o")
        query = payload["q"]
        cursor = payload["c"]
        return self._orders_page("ListOrdersByNextToken", query, (cursor[0], cursor[1]), ctx)

    def _token(self, params: MultiDict, ctx: _Ctx, kind: str) -> dict:
        raw = params.get("NextToken")
        if not raw:
            raise _bad("The request must contain the parameter NextToken.")
        try:
            payload = self.s.tokens.decode(raw)
        except TokenError:
            payload = None
        corrupted = MwsError(400, "NextTokenCorrupted", "The NextToken is corrupted or expired.")
        if payload is None or payload.get("api") != "mws":
            raise corrupted
        q = payload.get("q") or {}
        if (
            q.get("t") != kind
            or q.get("s") != ctx.seller_id
            or q.get("h") != regions.mws_host_for(ctx.host)
            or float(payload.get("x", 0)) < ctx.now.timestamp()
        ):
            raise corrupted
        return payload

    def _issue(self, query: dict, cursor: list, ctx: _Ctx) -> str:
        expiry = ctx.now.timestamp() + self.s.next_token_ttl_seconds
        return self.s.tokens.encode({"api": "mws", "q": query, "c": cursor, "x": expiry})

    def _orders_page(self, action: str, q: dict, cursor, ctx: _Ctx) -> Response:
        keep = order_filter(q)
        after = datetime.fromtimestamp(q["a"], UTC)
        before = datetime.fromtimestamp(q["b"], UTC)
        page, nxt = self.s.book.scan(
            q["s"], by=q["by"], after=after, before=before, limit=q["n"],
            cursor=cursor, predicate=keep,
        )  # fmt: skip
        parts = []
        if nxt is not None:
            parts.append(f"<NextToken>{self._issue(q, list(nxt), ctx)}</NextToken>")
        tag = "CreatedBefore" if q["by"] == "created" else "LastUpdatedBefore"
        parts.append(f"<{tag}>{iso_z_ms(before)}</{tag}>")
        parts.append("<Orders>")
        parts.extend(render_order(o) for o in page)
        parts.append("</Orders>")
        return self._ok(action, ctx.ns, "".join(parts))

    def _op_GetOrder(self, params: MultiDict, ctx: _Ctx, seller) -> Response:  # noqa: N802
        ids = _indexed(params, "AmazonOrderId.Id", 50)
        if not ids:
            raise _bad("AmazonOrderId.Id.1 must be specified")
        parts = ["<Orders>"]
        for oid in ids:
            if not ORDER_ID_RE.match(oid):
                raise _bad(f"Invalid AmazonOrderId: {oid}")
            o = self.s.book.find(oid)
            if o is not None and o.seller_id == ctx.seller_id and o.marketplace_id in ctx.host_mps:
                parts.append(render_order(o))
        parts.append("</Orders>")
        return self._ok("GetOrder", ctx.ns, "".join(parts))

    def _items_page(self, action: str, order: BookOrder, offset: int, ctx: _Ctx) -> Response:
        items = order.items[offset : offset + ITEMS_PAGE_SIZE]
        parts = []
        if offset + ITEMS_PAGE_SIZE < len(order.items):
            q = {
                "t": "i",
                "s": ctx.seller_id,
                "h": regions.mws_host_for(ctx.host),
                "o": order.amazon_order_id,
            }
            parts.append(
                f"<NextToken>{self._issue(q, [offset + ITEMS_PAGE_SIZE], ctx)}</NextToken>"
            )
        parts.append(f"<AmazonOrderId>{order.amazon_order_id}</AmazonOrderId><OrderItems>")
        parts.extend(render_item(order, i) for i in items)
        parts.append("</OrderItems>")
        return self._ok(action, ctx.ns, "".join(parts))

    def _op_ListOrderItems(self, params: MultiDict, ctx: _Ctx, seller) -> Response:  # noqa: N802
        oid = params.get("AmazonOrderId")
        if not oid:
            raise _bad("The request must contain the parameter AmazonOrderId.")
        o = self.s.book.find(oid) if ORDER_ID_RE.match(oid) else None
        if o is None or o.seller_id != ctx.seller_id or o.marketplace_id not in ctx.host_mps:
            raise _bad(f"Invalid AmazonOrderId: {oid}")
        return self._items_page("ListOrderItems", o, 0, ctx)

    def _op_ListOrderItemsByNextToken(self, params: MultiDict, ctx: _Ctx, seller) -> Response:  # noqa: N802
        payload = self._token(params, ctx, "i")
        o = self.s.book.find(payload["q"]["o"])
        if o is None:
            raise MwsError(400, "NextTokenCorrupted", "The NextToken is corrupted or expired.")
        return self._items_page("ListOrderItemsByNextToken", o, int(payload["c"][0]), ctx)

    def _op_GetServiceStatus(self, params: MultiDict, ctx: _Ctx, seller) -> Response:  # noqa: N802
        result = f"<Status>GREEN</Status><Timestamp>{iso_z_ms(ctx.now)}</Timestamp>"
        return self._ok("GetServiceStatus", ctx.ns, result)

    def _op_ListMarketplaceParticipations(self, params: MultiDict, ctx: _Ctx, seller) -> Response:  # noqa: N802
        mps = [m for m in seller.marketplace_ids if m in ctx.host_mps]
        parts = ["<ListParticipations>"]
        for mp in mps:
            parts.append(
                f"<Participation><MarketplaceId>{mp}</MarketplaceId>"
                f"<SellerId>{seller.seller_id}</SellerId>"
                "<HasSellerSuspendedListings>No</HasSellerSuspendedListings></Participation>"
            )
        parts.append("</ListParticipations><ListMarketplaces>")
        for mp in mps:
            m = regions.marketplace(mp)
            parts.append(
                f"<Marketplace><MarketplaceId>{mp}</MarketplaceId><Name>{m.name}</Name>"
                f"<DefaultCountryCode>{m.country_code}</DefaultCountryCode>"
                f"<DefaultCurrencyCode>{regions.currency(mp)}</DefaultCurrencyCode>"
                f"<DefaultLanguageCode>{regions.language(mp)}</DefaultLanguageCode>"
                f"<DomainName>{regions.domain_name(mp)}</DomainName></Marketplace>"
            )
        parts.append("</ListMarketplaces>")
        return self._ok("ListMarketplaceParticipations", ctx.ns, "".join(parts))

    def _op_ListMarketplaceParticipationsByNextToken(self, params, ctx, seller) -> Response:  # noqa: N802
        # ListMarketplaceParticipations never returns a NextToken here, so no token is valid.
        self._token(params, ctx, "p")
        raise MwsError(400, "NextTokenCorrupted", "The NextToken is corrupted or expired.")


class _Ctx:
    __slots__ = ("host", "host_mps", "mws_host", "now", "ns", "seller_id")

    def __init__(self, seller_id: str, host: str, host_mps: frozenset[str], now: datetime, ns: str):
        self.seller_id = seller_id
        self.host = host
        self.host_mps = host_mps
        self.mws_host = regions.mws_host_for(host)
        self.now = now
        self.ns = ns


def sleep(seconds: float) -> None:
    time.sleep(max(0.0, seconds))
