"""Fake Login with Amazon (LWA), website authorization workflow and SP-API Orders v0,
Orders v2026-01-01 (validation and paging in :mod:`sandbox.amazon.orders_v2026`) + Tokens.

Follows ../shared/specs/amazon-apis.md §5 and §8 (SP-API):

* ``POST /auth/o2/token``: refresh_token and authorization_code grants; ``invalid_grant``
  (400) and ``invalid_client`` (401) bodies as LWA sends them.
* ``GET|POST /apps/authorize/consent``: a small consent page; approving redirects to the
  application's redirect URI with ``state``, ``selling_partner_id`` and ``spapi_oauth_code``
  (single use, 5 minutes).
* ``GET /orders/v0/orders``, ``/orders/v0/orders/{id}``, ``/orders/v0/orders/{id}/orderItems``
  with ``x-amz-access-token`` (LWA token or RDT); SigV4 headers are ignored.
* ``POST /tokens/2021-03-01/restrictedDataToken``: RDTs scoped to paths and data elements.
  Without a covering RDT, ``BuyerInfo`` is empty and ``ShippingAddress`` keeps only City,
  StateOrRegion, PostalCode and CountryCode; item ``BuyerInfo`` (gift wrap, gift message) is
  left out.
* ``getOrders`` with a ``NextToken`` must repeat the filters of the request that issued it
  (MarketplaceIds, CreatedAfter / LastUpdatedAfter, the Before, status / channel / payment
  filters; MaxResultsPerPage stays the token's), else 400 InvalidInput.
* ``GET /orders/2026-01-01/orders`` (searchOrders) and ``/orders/2026-01-01/orders/{id}``
  (getOrder@2026-01-01) with the LWA access token; the application's roles gate buyer data.
* Token buckets per (seller, LWA client, operation), scaled by the stand-in's ``time_scale``;
  429 without ``x-amzn-RateLimit-Limit``; 200/400/404 carry it (the models list it for those
  answers only) and ``x-amzn-RequestId`` always.
"""

from __future__ import annotations

import html
import json
import re
import secrets
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode, urlsplit, urlunsplit

from werkzeug.wrappers import Request, Response

from sandbox.amazon import notifications as notifications_api
from sandbox.amazon import orders_v2026, regions, sellers_api
from sandbox.amazon import reports as reports_api
from sandbox.amazon.records import (
    ITEMS_PAGE_SIZE,
    STATUSES,
    BookItem,
    BookOrder,
    iso_z,
    money_str,
    order_filter,
)
from sandbox.amazon.sperror import SpError, csv_values, invalid, parse_zulu
from sandbox.amazon.state import AmazonState, SellerAccount
from sandbox.amazon.tokens import TokenError
from sandbox.common.buckets import BucketRegistry, TokenBucket

LWA_PATH = "/auth/o2/token"
CONSENT_PATH = "/apps/authorize/consent"
RDT_PATH = "/tokens/2021-03-01/restrictedDataToken"
ORDERS_PREFIX = "/orders/v0/orders"

# operation -> (rate per second, burst, header value)
RATE_LIMITS = {
    "getOrders": (0.0167, 20, "0.0167"),
    "getOrder": (0.5, 30, "0.5"),
    "getOrderItems": (0.5, 30, "0.5"),
    "createRestrictedDataToken": (1.0, 10, "1.0"),
    **orders_v2026.RATE_LIMITS,
    **reports_api.RATE_LIMITS,
    **sellers_api.RATE_LIMITS,
}
AUTH_CODE_TTL = 300
LATENCY = timedelta(minutes=2)
ORDER_ID_RE = re.compile(r"^\d{3}-\d{7}-\d{7}$")
ADDRESS_STATUSES = frozenset({"Unshipped", "PartiallyShipped", "Shipped", "InvoiceUnconfirmed"})
SP_STATUSES = frozenset({*STATUSES, "InvoiceUnconfirmed"})
DATA_ELEMENTS = frozenset({"buyerInfo", "shippingAddress", "buyerTaxInformation"})
_RESTRICTED_PATHS = (
    re.compile(r"^/orders/v0/orders$"),
    re.compile(r"^/orders/v0/orders/[^/]+$"),
    re.compile(r"^/orders/v0/orders/[^/]+/orderItems$"),
    re.compile(r"^/orders/v0/orders/[^/]+/address$"),
    re.compile(r"^/orders/v0/orders/[^/]+/buyerInfo$"),
    re.compile(r"^/orders/v0/orders/[^/]+/orderItems/buyerInfo$"),
)
UNAUTHORIZED = {
    "code": "Unauthorized",
    "message": "Access to requested resource is denied.",
    "details": "",
}
QUOTA = {"message": "You exceeded your quota for the requested resource.", "code": "QuotaExceeded"}
NEXT_TOKEN_MESSAGE = (
    "We could not decode your NextToken. Please make sure you pass the NextToken value "
    "exactly as it was returned, URL-encoded."
)


NEXT_TOKEN_FILTERS_MESSAGE = (
    "The NextToken was issued for other filters. Send MarketplaceIds, CreatedAfter or "
    "LastUpdatedAfter, the matching Before and the other filters with the values of the "
    "request that returned the NextToken."
)
_FILTER_KEYS = ("by", "a", "m", "st", "fc", "pm", "be", "so")


def _same_filters(issued: dict, query: dict) -> bool:
    """Whether a NextToken request repeats the filters of the request that issued the token
    (MaxResultsPerPage aside). A window end the first request left out may be left out again
    or sent as the echoed CreatedBefore / LastUpdatedBefore."""
    if any(issued.get(k) != query.get(k) for k in _FILTER_KEYS):
        return False
    if issued.get("bx") or query["bx"]:
        return issued["b"] == query["b"]
    return True


_invalid = invalid


@dataclass
class _Grant:
    seller_id: str
    expires: float
    client_id: str = ""
    # RDT only: list of (method, path regex, data elements)
    resources: list[tuple[str, re.Pattern, frozenset[str]]] | None = None


@dataclass
class _AuthCode:
    seller_id: str
    client_id: str
    expires: float
    used: bool = False


@dataclass
class _LwaState:
    clients: dict[str, str] = field(default_factory=dict)  # client id -> secret
    refresh: dict[str, tuple[str, str]] = field(default_factory=dict)  # token -> (seller, client)
    revoked: set[str] = field(default_factory=set)
    codes: dict[str, _AuthCode] = field(default_factory=dict)
    grants: dict[str, _Grant] = field(default_factory=dict)  # access tokens and RDTs


def _resource_pattern(path: str) -> re.Pattern:
    """An RDT resource path; ``{orderId}`` (or any ``{…}``) stands for any order id."""
    parts = re.split(r"\{[^}/]*\}", path)
    return re.compile("^" + "[^/]+".join(re.escape(p) for p in parts) + "$")


class SpApi:
    """LWA + consent + SP-API handlers for one :class:`AmazonState`."""

    def __init__(self, standin: AmazonState) -> None:
        self.s = standin
        self._lock = threading.Lock()
        self.lwa = _LwaState()
        self.v2026 = orders_v2026.OrdersV2026(standin)
        self.notifications = notifications_api.NotificationsApi(standin, self)
        self.reports = reports_api.ReportsApi(standin)
        scale = standin.time_scale
        now = standin.clock.monotonic
        self.buckets = BucketRegistry(
            lambda key: TokenBucket(
                RATE_LIMITS[key[-1]][1], RATE_LIMITS[key[-1]][0], now, time_scale=scale
            )
        )

    # -------------------------------------------------------------- registry
    def register_seller(self, seller: SellerAccount) -> None:
        with self._lock:
            if seller.lwa_client_id:
                self.lwa.clients[seller.lwa_client_id] = seller.lwa_client_secret
            if seller.refresh_token:
                self.lwa.refresh[seller.refresh_token] = (seller.seller_id, seller.lwa_client_id)

    def register_client(self, client_id: str, client_secret: str) -> None:
        with self._lock:
            self.lwa.clients[client_id] = client_secret

    def revoke(self, refresh_token: str) -> None:
        """Revoke a refresh token (LWA then answers invalid_grant) and its access tokens."""
        with self._lock:
            self.lwa.revoked.add(refresh_token)
            owner = self.lwa.refresh.get(refresh_token)
            if owner:
                for token, grant in list(self.lwa.grants.items()):
                    if grant.seller_id == owner[0] and grant.client_id == owner[1]:
                        del self.lwa.grants[token]

    def expire_access_tokens(self) -> None:
        """Forget every access token and RDT (clients must refresh)."""
        with self._lock:
            self.lwa.grants.clear()

    def _now(self) -> float:
        return self.s.clock.now().timestamp()

    def _store_grant(self, token: str, grant: _Grant) -> None:
        with self._lock:
            grants = self.lwa.grants
            if len(grants) > 20000:  # bounded clean-up of expired tokens
                now = self._now()
                for key in [k for k, g in grants.items() if g.expires < now]:
                    del grants[key]
            grants[token] = grant

    # -------------------------------------------------------------- routing
    @staticmethod
    def owns(path: str) -> bool:
        return (
            path in (LWA_PATH, ORDERS_PREFIX)
            or path.startswith(("/apps/authorize", ORDERS_PREFIX + "/", "/tokens/2021-03-01/"))
            or orders_v2026.owns(path)
            or notifications_api.owns(path)
            or reports_api.owns(path)
            or sellers_api.owns(path)
        )

    def handle(self, request: Request) -> Response:
        path = request.path
        if path == LWA_PATH:
            return self._lwa(request)
        if path.startswith("/apps/authorize"):
            return self._consent(request)
        if notifications_api.owns(path):
            return self.notifications.handle(request)
        if reports_api.is_download(path):  # the pre-signed URL: no SP-API token
            return self.reports.download(request)
        return self._api(request)

    def not_found(self, request: Request) -> Response:
        return self._json(
            {"errors": [{"code": "NotFound", "message": "Resource not found", "details": ""}]},
            404,
            None,
        )

    # -------------------------------------------------------------- responses
    def _json(self, data, status: int, rate: str | None, extra: dict | None = None) -> Response:
        headers = {"x-amzn-RequestId": str(uuid.uuid4())}
        if rate is not None and status in (200, 201, 202, 204, 400, 404):
            headers["x-amzn-RateLimit-Limit"] = rate
        if extra:
            headers.update(extra)
        return Response(
            json.dumps(data, separators=(",", ":")), status, headers,
            content_type="application/json",
        )  # fmt: skip

    def _error(self, err: SpError, rate: str | None) -> Response:
        if err.code == "QuotaExceeded":
            body = {"errors": [dict(QUOTA)]}
        elif err.code == "Unauthorized":
            body = {"errors": [dict(UNAUTHORIZED)]}
        else:
            body = {"errors": [{"code": err.code, "message": err.message, "details": err.details}]}
        return self._json(body, err.status, rate if err.rate_header else None)

    def _fault_error(self, status: int | str) -> Response:
        if status in ("throttle", 429):
            self.s.stats.add("throttled")
            return self._error(SpError(429, "QuotaExceeded", QUOTA["message"]), None)
        if status == 503:
            err = SpError(503, "ServiceUnavailable", "Service is temporarily unavailable.")
        else:
            err = SpError(
                int(status),
                "InternalFailure",
                "We encountered an internal error. Please try again.",
            )
        return self._error(err, None)

    # -------------------------------------------------------------- LWA
    def _lwa_error(self, status: int, error: str, description: str) -> Response:
        body = {"error": error, "error_description": description}
        return Response(
            json.dumps(body), status, {"x-amzn-RequestId": str(uuid.uuid4())},
            content_type="application/json;charset=UTF-8",
        )  # fmt: skip

    def _lwa(self, request: Request) -> Response:
        request.environ["sandbox.operation"] = "token"
        if request.method != "POST":
            return self._lwa_error(400, "invalid_request", "The request must be a POST")
        fault = self.s.apply_fault(request, "token", self._lwa_fault)
        if fault is not None:
            return fault
        form = request.form
        grant_type = form.get("grant_type", "")
        client_id = form.get("client_id", "")
        client_secret = form.get("client_secret", "")
        if not grant_type:
            return self._lwa_error(400, "invalid_request", "Missing parameter: grant_type")
        with self._lock:
            known_secret = self.lwa.clients.get(client_id)
        if (
            not client_id
            or known_secret is None
            or not secrets.compare_digest(known_secret.encode(), client_secret.encode())
        ):
            return self._lwa_error(401, "invalid_client", "Client authentication failed")
        now = self._now()
        if grant_type == "refresh_token":
            refresh = form.get("refresh_token", "")
            with self._lock:
                owner = self.lwa.refresh.get(refresh)
                revoked = refresh in self.lwa.revoked
            if not refresh or owner is None or revoked or owner[1] != client_id:
                return self._lwa_error(
                    400,
                    "invalid_grant",
                    "The request has an invalid grant parameter : refresh_token",
                )
            seller_id = owner[0]
        elif grant_type == "authorization_code":
            code = form.get("code", "")
            with self._lock:
                auth = self.lwa.codes.get(code)
                ok = (
                    auth is not None
                    and not auth.used
                    and auth.expires >= now
                    and auth.client_id == client_id
                )
                if auth is not None:
                    auth.used = True  # single use, even when it fails
            if not ok:
                return self._lwa_error(
                    400, "invalid_grant", "The request has an invalid grant parameter : code"
                )
            seller_id = auth.seller_id
            refresh = "Atzr|" + secrets.token_urlsafe(48)
            with self._lock:
                self.lwa.refresh[refresh] = (seller_id, client_id)
        elif grant_type == "client_credentials":
            # Grantless operations (Notifications destinations): the application itself.
            if form.get("scope", "") not in notifications_api.GRANTLESS_SCOPES:
                return self._lwa_error(400, "invalid_scope", "The scope is not valid")
            seller_id, refresh = "", ""
        else:
            return self._lwa_error(
                400, "unsupported_grant_type", f"Unsupported grant type: {grant_type}"
            )
        access = "Atza|" + secrets.token_urlsafe(64)
        ttl = self.s.token_ttl_seconds
        self._store_grant(access, _Grant(seller_id, now + ttl, client_id))
        self.s.stats.add("token_grants")
        body = {
            "access_token": access,
            "refresh_token": refresh,
            "token_type": "bearer",
            "expires_in": ttl,
        }
        if not refresh:  # client_credentials: no refresh token in LWA's answer
            body = {"access_token": access, "scope": form["scope"], "token_type": "bearer",
                    "expires_in": ttl}  # fmt: skip
        return Response(
            json.dumps(body), 200, {"x-amzn-RequestId": str(uuid.uuid4())},
            content_type="application/json;charset=UTF-8",
        )  # fmt: skip

    def _lwa_fault(self, status: int | str) -> Response:
        if status in ("throttle", 429):
            self.s.stats.add("throttled")
            return self._lwa_error(429, "slow_down", "Too many requests")
        return self._lwa_error(int(status), "server_error", "Internal server error")

    # -------------------------------------------------------------- consent workflow
    def _consent(self, request: Request) -> Response:
        if request.path != CONSENT_PATH:
            return Response("Not found", 404, content_type="text/plain")
        values = request.values
        app = self.s.applications.get(values.get("application_id", ""))
        if app is None:
            return Response(
                "<!doctype html><title>Error</title><p>Unknown application_id.</p>",
                400,
                content_type="text/html; charset=utf-8",
            )
        state = values.get("state", "")
        if request.method == "GET":
            sellers = "".join(
                f'<p><label><input type=radio name=selling_partner_id value="{html.escape(s)}"'
                f"{' checked' if i == 0 else ''}> {html.escape(s)} "
                f"({html.escape(', '.join(acc.marketplace_ids))})</label></p>"
                for i, (s, acc) in enumerate(self.s.sellers.items())
            )
            page = (
                "<!doctype html><meta charset=utf-8><title>Authorize application</title>"
                f"<h1>Authorize {html.escape(app.application_id)}</h1>"
                "<p>Amazon stand-in: choose the selling account that grants access.</p>"
                f'<form method=post action="{CONSENT_PATH}">'
                f'<input type=hidden name=application_id value="{html.escape(app.application_id)}">'
                f'<input type=hidden name=state value="{html.escape(state)}">'
                f"{sellers or '<p>No sellers registered.</p>'}"
                '<button name=decision value=approve type=submit id="approve">Confirm</button> '
                '<button name=decision value=deny type=submit id="deny">Cancel</button></form>'
            )
            return Response(page, 200, content_type="text/html; charset=utf-8")
        if request.method != "POST":
            return Response("Method not allowed", 405, content_type="text/plain")
        if request.form.get("decision", "approve") == "deny":
            return self._redirect(app.redirect_uri, {"state": state, "error": "access_denied"})
        seller_id = request.form.get("selling_partner_id", "")
        if seller_id not in self.s.sellers:
            return Response("Unknown selling partner", 400, content_type="text/plain")
        code = "ANsbx" + secrets.token_urlsafe(24)
        with self._lock:
            self.lwa.codes[code] = _AuthCode(
                seller_id, app.lwa_client_id, self._now() + AUTH_CODE_TTL
            )
        return self._redirect(
            app.redirect_uri,
            {"state": state, "selling_partner_id": seller_id, "spapi_oauth_code": code},
        )

    @staticmethod
    def _redirect(uri: str, params: dict) -> Response:
        parts = urlsplit(uri)
        query = "&".join(filter(None, [parts.query, urlencode(params)]))
        location = urlunsplit(parts._replace(query=query))
        return Response("", 302, {"Location": location})

    def issue_auth_code(self, seller_id: str, client_id: str) -> str:
        """Issue a website-workflow code directly (tests that skip the consent page)."""
        code = "ANsbx" + secrets.token_urlsafe(24)
        with self._lock:
            self.lwa.codes[code] = _AuthCode(seller_id, client_id, self._now() + AUTH_CODE_TTL)
        return code

    # -------------------------------------------------------------- SP-API
    def _operation(self, request: Request) -> tuple[str, str | None]:
        path = request.path
        if path == RDT_PATH and request.method == "POST":
            return "createRestrictedDataToken", None
        if reports_api.owns(path):
            return reports_api.operation(request.method, path) or ("", None)
        if sellers_api.owns(path):
            return sellers_api.operation(request.method, path) or ("", None)
        if request.method != "GET":
            return "", None
        if orders_v2026.owns(path):
            return orders_v2026.operation(path) or ("", None)
        if path == ORDERS_PREFIX:
            return "getOrders", None
        rest = path[len(ORDERS_PREFIX) + 1 :] if path.startswith(ORDERS_PREFIX + "/") else ""
        if rest and "/" not in rest:
            return "getOrder", rest
        if rest.endswith("/orderItems") and rest.count("/") == 1:
            return "getOrderItems", rest.split("/")[0]
        return "", None

    def _authenticate(self, request: Request, operation: str) -> _Grant:
        token = request.headers.get("x-amz-access-token", "")
        if not token:
            raise SpError(403, "Unauthorized", "", rate_header=False)
        grant = self.lwa.grants.get(token)
        if grant is None or grant.expires < self._now():
            raise SpError(403, "Unauthorized", "", rate_header=False)
        if grant.resources is not None and (
            operation == "createRestrictedDataToken" or not self._covers(grant, request)
        ):
            raise SpError(403, "Unauthorized", "", rate_header=False)
        return grant

    @staticmethod
    def _covers(grant: _Grant, request: Request, element: str | None = None) -> bool:
        if grant.resources is None:
            return False
        for method, pattern, elements in grant.resources:
            if (
                method == request.method
                and pattern.match(request.path)
                and (element is None or element in elements)
            ):
                return True
        return False

    def _api(self, request: Request) -> Response:
        operation, order_id = self._operation(request)
        rate = RATE_LIMITS[operation][2] if operation else None
        if operation:
            request.environ["sandbox.operation"] = operation
        try:
            if not operation:
                raise SpError(404, "NotFound", "Resource not found")
            grant = self._authenticate(request, operation)
            seller = self.s.sellers.get(grant.seller_id)
            if seller is None:
                raise SpError(403, "Unauthorized", "", rate_header=False)
            host = regions.normalise_host(request.headers.get("Host"))
            region = regions.spapi_region_for(host)
            region_mps = regions.SPAPI_REGION_MARKETPLACES[region]
            if not region_mps.intersection(seller.marketplace_ids):
                raise SpError(403, "Unauthorized", "", rate_header=False)
            fault = self.s.apply_fault(request, operation, self._fault_error)
            if fault is not None:
                return fault
            bucket = (seller.seller_id, grant.client_id, operation)  # per partner + app
            if self.s.throttle and not self.buckets.try_acquire(bucket):
                self.s.stats.add("throttled")
                raise SpError(429, "QuotaExceeded", QUOTA["message"], rate_header=False)
            ctx = _SpCtx(seller, grant, region, region_mps, self.s.clock.now(), request)
            if operation == "getOrders":
                return self._json({"payload": self._get_orders(ctx)}, 200, rate)
            if operation == "getOrder":
                return self._json({"payload": self._get_order(ctx, order_id)}, 200, rate)
            if operation == orders_v2026.SEARCH_ORDERS:
                return self._json(self.v2026.search(ctx), 200, rate)
            if operation == orders_v2026.GET_ORDER:
                return self._json(self.v2026.get(ctx, order_id), 200, rate)
            if operation in reports_api.OPERATIONS:
                data, status = self.reports.handle(ctx, operation, order_id)
                return self._json(data, status, rate)
            if operation == "getOrderItems":
                return self._json({"payload": self._get_items(ctx, order_id)}, 200, rate)
            if operation == sellers_api.GET_PARTICIPATIONS:
                return self._json(sellers_api.participations(ctx), 200, rate)
            if operation == sellers_api.GET_FEES_FOR_ASIN:
                return self._json(sellers_api.fees_estimate(ctx, order_id), 200, rate)
            return self._json(self._create_rdt(ctx), 200, rate)
        except SpError as err:
            return self._error(err, rate)

    # getOrders ---------------------------------------------------------------
    @staticmethod
    def _csv(request: Request, name: str) -> list[str]:
        return csv_values(request, name)

    @staticmethod
    def _date(name: str, value: str) -> datetime:
        return parse_zulu(name, value)

    def _get_orders(self, ctx: _SpCtx) -> dict:
        args = ctx.request.args
        mps = self._csv(ctx.request, "MarketplaceIds")
        if not mps:
            raise _invalid("Missing required parameter: MarketplaceIds")
        if len(mps) > 50:
            raise _invalid("MarketplaceIds may contain at most 50 values")
        for mp in mps:
            if mp not in ctx.region_mps:
                raise _invalid(f"Invalid MarketplaceId: {mp} is not in this region's marketplaces")
            if mp not in ctx.seller.marketplace_ids:
                raise _invalid(f"Invalid MarketplaceId: {mp} is not a marketplace of this seller")
        token = args.get("NextToken")
        ids = self._csv(ctx.request, "AmazonOrderIds")
        if ids and not token:
            if len(ids) > 50:
                raise _invalid("AmazonOrderIds may contain at most 50 values")
            orders = []
            for oid in ids:
                o = self.s.book.find(oid)
                if (
                    o is not None
                    and o.seller_id == ctx.seller.seller_id
                    and o.marketplace_id in mps
                ):
                    orders.append(self._order_json(o, ctx))
            return {"Orders": orders}
        created_after = args.get("CreatedAfter")
        updated_after = args.get("LastUpdatedAfter")
        if bool(created_after) == bool(updated_after):
            raise _invalid(
                "Exactly one of CreatedAfter and LastUpdatedAfter must be specified"
                if created_after
                else "Either CreatedAfter or LastUpdatedAfter must be specified"
            )
        created_before, updated_before = args.get("CreatedBefore"), args.get("LastUpdatedBefore")
        if created_after and updated_before:
            raise _invalid("LastUpdatedBefore cannot be specified with CreatedAfter")
        if updated_after and created_before:
            raise _invalid("CreatedBefore cannot be specified with LastUpdatedAfter")
        by = "created" if created_after else "updated"
        after_name = "CreatedAfter" if created_after else "LastUpdatedAfter"
        before_name = "CreatedBefore" if created_after else "LastUpdatedBefore"
        after = self._date(after_name, created_after or updated_after)
        cap = (ctx.now - LATENCY).replace(microsecond=0)
        if after > cap:
            raise _invalid(
                f"Date {after_name} should be earlier than 2 minutes before the time the request "
                "was submitted. The most updated data is 2 minutes after an order is created or "
                "last updated."
            )
        before_raw = created_before or updated_before
        if before_raw:
            before = self._date(before_name, before_raw)
            if before > cap:
                raise _invalid(
                    f"Date {before_name} should be earlier than 2 minutes before the time the "
                    "request was submitted. The most updated data is 2 minutes after an order is "
                    "created or last updated."
                )
            if before <= after:
                raise _invalid(f"{before_name} must be later than {after_name}")
        else:
            before = cap
        statuses = self._csv(ctx.request, "OrderStatuses")
        for st in statuses:
            if st not in SP_STATUSES:
                raise _invalid(f"Invalid OrderStatuses value: {st}")
        channels = self._csv(ctx.request, "FulfillmentChannels")
        for ch in channels:
            if ch not in ("AFN", "MFN"):
                raise _invalid(f"Invalid FulfillmentChannels value: {ch}")
        methods = self._csv(ctx.request, "PaymentMethods")
        for pm in methods:
            if pm not in ("COD", "CVS", "Other"):
                raise _invalid(f"Invalid PaymentMethods value: {pm}")
        buyer_email, seller_order_id = args.get("BuyerEmail"), args.get("SellerOrderId")
        if (buyer_email or seller_order_id) and (
            statuses or channels or methods or updated_after or (buyer_email and seller_order_id)
        ):
            raise _invalid(
                "BuyerEmail and SellerOrderId exclude each other and FulfillmentChannels, "
                "OrderStatuses, PaymentMethods and LastUpdated filters"
            )
        raw_max = args.get("MaxResultsPerPage", "100")
        if not raw_max.isdigit() or not 1 <= int(raw_max) <= 100:
            raise _invalid(f"Invalid MaxResultsPerPage: {raw_max}; must be between 1 and 100")
        query = {
            "t": "o",
            "s": ctx.seller.seller_id,
            "r": ctx.region,
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
            "bx": bool(before_raw),
        }
        if token:
            payload = self._decode_token(token, ctx, "o")
            issued = payload["q"]
            if not _same_filters(issued, query):
                raise _invalid(NEXT_TOKEN_FILTERS_MESSAGE)
            return self._orders_page(issued, tuple(payload["c"]), ctx)
        return self._orders_page(query, None, ctx)

    def _decode_token(self, token: str, ctx: _SpCtx, kind: str) -> dict:
        try:
            payload = self.s.tokens.decode(token)
        except TokenError:
            raise _invalid(NEXT_TOKEN_MESSAGE) from None
        q = payload.get("q") or {}
        if (
            payload.get("api") != "sp"
            or q.get("t") != kind
            or q.get("s") != ctx.seller.seller_id
            or q.get("r") != ctx.region
        ):
            raise _invalid(NEXT_TOKEN_MESSAGE)
        if float(payload.get("x", 0)) < ctx.now.timestamp():
            raise _invalid("The NextToken has expired. Please restart the request without it.")
        return payload

    def _issue(self, query: dict, cursor: list, ctx: _SpCtx) -> str:
        expiry = ctx.now.timestamp() + self.s.next_token_ttl_seconds
        return self.s.tokens.encode({"api": "sp", "q": query, "c": cursor, "x": expiry})

    def _orders_page(self, q: dict, cursor, ctx: _SpCtx) -> dict:
        keep = order_filter(q)
        before = datetime.fromtimestamp(q["b"], UTC)
        page, nxt = self.s.book.scan(
            q["s"], by=q["by"], after=datetime.fromtimestamp(q["a"], UTC), before=before,
            limit=q["n"], cursor=cursor, predicate=keep,
        )  # fmt: skip
        out: dict = {"Orders": [self._order_json(o, ctx) for o in page]}
        if nxt is not None:
            out["NextToken"] = self._issue(q, list(nxt), ctx)
        out["CreatedBefore" if q["by"] == "created" else "LastUpdatedBefore"] = iso_z(before)
        return out

    # getOrder / getOrderItems ------------------------------------------------------
    def _find(self, ctx: _SpCtx, order_id: str) -> BookOrder:
        if not ORDER_ID_RE.match(order_id):
            raise _invalid(f"Invalid orderId: {order_id}")
        o = self.s.book.find(order_id)
        if (
            o is None
            or o.seller_id != ctx.seller.seller_id
            or o.marketplace_id not in ctx.region_mps
        ):
            raise SpError(404, "NotFound", f"Order {order_id} was not found")
        return o

    def _get_order(self, ctx: _SpCtx, order_id: str) -> dict:
        return self._order_json(self._find(ctx, order_id), ctx)

    def _get_items(self, ctx: _SpCtx, order_id: str) -> dict:
        o = self._find(ctx, order_id)
        token = ctx.request.args.get("NextToken")
        offset = 0
        if token:
            payload = self._decode_token(token, ctx, "i")
            if payload["q"].get("o") != o.amazon_order_id:
                raise _invalid(NEXT_TOKEN_MESSAGE)
            offset = int(payload["c"][0])
        restricted = self._covers(ctx.grant, ctx.request, "buyerInfo")
        items = o.items[offset : offset + ITEMS_PAGE_SIZE]
        out: dict = {
            "AmazonOrderId": o.amazon_order_id,
            "OrderItems": [self._item_json(o, i, restricted) for i in items],
        }
        if offset + ITEMS_PAGE_SIZE < len(o.items):
            q = {"t": "i", "s": ctx.seller.seller_id, "r": ctx.region, "o": o.amazon_order_id}
            out["NextToken"] = self._issue(q, [offset + ITEMS_PAGE_SIZE], ctx)
        return out

    # JSON rendering -----------------------------------------------------------------
    @staticmethod
    def _money(amount, o: BookOrder) -> dict:
        return {"CurrencyCode": o.currency, "Amount": money_str(amount, o.decimals)}

    def _order_json(self, o: BookOrder, ctx: _SpCtx) -> dict:
        d: dict = {
            "AmazonOrderId": o.amazon_order_id,
            "SellerOrderId": o.seller_order_id,
            "PurchaseDate": iso_z(o.purchase_date),
            "LastUpdateDate": iso_z(o.last_update_date),
            "OrderStatus": o.status,
            "FulfillmentChannel": o.fulfillment_channel,
            "SalesChannel": o.sales_channel,
            "ShipServiceLevel": o.ship_service_level,
        }
        if o.details_visible:
            d["OrderTotal"] = self._money(o.order_total, o)
        d.update(
            {
                "NumberOfItemsShipped": o.number_of_items_shipped,
                "NumberOfItemsUnshipped": o.number_of_items_unshipped,
                "PaymentMethod": o.payment_method,
                "PaymentMethodDetails": [o.payment_method_detail],
                "MarketplaceId": o.marketplace_id,
                "ShipmentServiceLevelCategory": o.shipment_service_level_category,
                "OrderType": o.order_type,
                "EarliestShipDate": iso_z(o.earliest_ship_date),
                "LatestShipDate": iso_z(o.latest_ship_date),
                "IsBusinessOrder": o.is_business_order,
                "IsPrime": o.is_prime,
                "IsPremiumOrder": False,
                "IsGlobalExpressEnabled": False,
                "IsReplacementOrder": False,
                "IsSoldByAB": False,
                "IsISPU": False,
                "IsAccessPointOrder": False,
                "HasRegulatedItems": False,
            }
        )
        if o.delivery_window_visible:
            d["EarliestDeliveryDate"] = iso_z(o.earliest_delivery_date)
            d["LatestDeliveryDate"] = iso_z(o.latest_delivery_date)
        if o.status in ADDRESS_STATUSES:
            a = o.shipping_address
            addr: dict = {}
            full = self._covers(ctx.grant, ctx.request, "shippingAddress")
            if full:
                addr["Name"] = a.name
                addr["AddressLine1"] = a.line1
                if a.line2:
                    addr["AddressLine2"] = a.line2
            addr["City"] = a.city
            if a.state_or_region:
                addr["StateOrRegion"] = a.state_or_region
            addr["PostalCode"] = a.postal_code
            addr["CountryCode"] = a.country_code
            if full:
                if a.phone and o.fulfillment_channel == "MFN":
                    addr["Phone"] = a.phone
                if a.address_type:
                    addr["AddressType"] = a.address_type
            d["ShippingAddress"] = addr
        if o.details_visible:
            buyer: dict = {}
            if self._covers(ctx.grant, ctx.request, "buyerInfo"):
                if o.buyer_email:
                    buyer["BuyerEmail"] = o.buyer_email
                buyer["BuyerName"] = o.buyer_name
            d["BuyerInfo"] = buyer
        return d

    def _item_json(self, o: BookOrder, i: BookItem, restricted: bool) -> dict:
        d: dict = {
            "ASIN": i.asin,
            "SellerSKU": i.seller_sku,
            "OrderItemId": i.order_item_id,
            "Title": i.title,
            "QuantityOrdered": i.quantity,
            "QuantityShipped": i.quantity_shipped,
            "ProductInfo": {"NumberOfItems": "1"},
        }
        if o.details_visible:
            m = self._money
            d["ItemPrice"] = m(i.item_price, o)
            d["ShippingPrice"] = m(i.shipping_price, o)
            d["ItemTax"] = m(i.item_tax, o)
            d["ShippingTax"] = m(i.shipping_tax, o)
            d["ShippingDiscount"] = m(i.shipping_discount, o)
            d["ShippingDiscountTax"] = m(0, o)
            d["PromotionDiscount"] = m(i.promotion_discount, o)
            d["PromotionDiscountTax"] = m(0, o)
        if i.promotion_id:
            d["PromotionIds"] = [i.promotion_id]
        d["IsGift"] = "true" if i.is_gift else "false"
        d["ConditionId"] = "New"
        d["ConditionSubtypeId"] = "New"
        d["IsTransparency"] = False
        if restricted and (i.gift_wrap_price or i.gift_message):
            info: dict = {}
            if o.details_visible and i.gift_wrap_price:
                info["GiftWrapPrice"] = self._money(i.gift_wrap_price, o)
                info["GiftWrapTax"] = self._money(i.gift_wrap_tax, o)
            if i.gift_message:
                info["GiftMessageText"] = i.gift_message
            if i.gift_wrap_level:
                info["GiftWrapLevel"] = i.gift_wrap_level
            d["BuyerInfo"] = info
        return d

    # RDT -----------------------------------------------------------------------------
    def _create_rdt(self, ctx: _SpCtx) -> dict:
        if not ctx.seller.rdt_roles:
            raise SpError(403, "Unauthorized", "", rate_header=False)
        try:
            body = json.loads(ctx.request.get_data(as_text=True) or "null")
        except ValueError:
            raise _invalid("The request body is not valid JSON") from None
        resources = body.get("restrictedResources") if isinstance(body, dict) else None
        if not isinstance(resources, list) or not resources:
            raise _invalid("restrictedResources must be a non-empty list")
        parsed = []
        for res in resources:
            if not isinstance(res, dict):
                raise _invalid("Each restricted resource must be an object")
            method, path = res.get("method"), res.get("path")
            elements = res.get("dataElements") or []
            if method != "GET":
                raise _invalid(f"Invalid method: {method}")
            if not isinstance(path, str) or not any(p.match(path) for p in _RESTRICTED_PATHS):
                raise _invalid(f"Invalid path: {path} is not a restricted resource")
            if not isinstance(elements, list) or not set(elements) <= DATA_ELEMENTS:
                raise _invalid(f"Invalid dataElements: {elements}")
            if not elements and any(p.match(path) for p in _RESTRICTED_PATHS[:3]):
                raise _invalid(f"dataElements are required for {path}")
            parsed.append((method, _resource_pattern(path), frozenset(elements)))
        token = "Atz.sprdt|" + secrets.token_urlsafe(64)
        ttl = self.s.token_ttl_seconds
        self._store_grant(
            token, _Grant(ctx.seller.seller_id, self._now() + ttl, ctx.grant.client_id, parsed)
        )
        return {"restrictedDataToken": token, "expiresIn": ttl}


class _SpCtx:
    __slots__ = ("grant", "now", "region", "region_mps", "request", "seller")

    def __init__(self, seller, grant, region, region_mps, now, request):
        self.seller = seller
        self.grant = grant
        self.region = region
        self.region_mps = region_mps
        self.now = now
        self.request = request
