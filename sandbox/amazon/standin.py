"""The Amazon stand-in: one WSGI app serving fake MWS, LWA and SP-API on one loopback port.

Paths decide the API: ``/Orders/2013-09-01`` and ``/Sellers/2011-07-01`` are MWS,
``/auth/o2/token`` is LWA, ``/apps/authorize/consent`` the website authorization workflow,
``/orders/v0/…`` and ``/tokens/2021-03-01/…`` SP-API, ``/_sandbox/…`` the control API
(JSON) for tests and people. The Host header keeps the real Amazon host and decides the
region (see :mod:`sandbox.amazon.regions`).

Typical use::

    book = OrderBook.generate(seed=1, seller_id="A1SELLER", marketplace_ids=["ATVPDKIKX0DER"],
                              orders=100, buyers=30, products=20, start=..., end=...)
    standin = AmazonStandIn(book=book, time_scale=1000).start()
    standin.register_seller(SellerAccount(...))
    ... requests to standin.url with Host: mws.amazonservices.com ...
    standin.stop()
"""

from __future__ import annotations

import html
import json
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta

from werkzeug.wrappers import Request, Response

from sandbox.amazon import regions
from sandbox.amazon.mws import SECTIONS as MWS_SECTIONS
from sandbox.amazon.mws import MwsApi
from sandbox.amazon.orderbook import STATUSES, OrderBook, iso_z
from sandbox.amazon.spapi import SpApi
from sandbox.amazon.tokens import TokenCodec
from sandbox.common.clock import SandboxClock
from sandbox.common.faults import FaultInjector
from sandbox.common.server import ServerHandle, serve_in_thread
from sandbox.common.stats import Stats


@dataclass
class SellerAccount:
    """One registered seller with its MWS and SP-API (LWA) credentials.

    Several sellers may share one ``access_key`` (a developer acting for many sellers); they
    must then share the ``secret_key`` too. ``mws_auth_token=""`` means the seller calls MWS
    for itself and must send no MWSAuthToken.
    """

    seller_id: str
    access_key: str
    secret_key: str
    mws_auth_token: str
    marketplace_ids: list[str]
    lwa_client_id: str = ""
    lwa_client_secret: str = ""
    refresh_token: str = ""
    rdt_roles: bool = True  # whether SP-API restricted data (buyer PII) is granted


@dataclass
class Application:
    """An SP-API application registered for the website authorization workflow."""

    application_id: str
    lwa_client_id: str
    lwa_client_secret: str
    redirect_uri: str


@dataclass
class _Registry:
    sellers: dict[str, SellerAccount] = field(default_factory=dict)
    access_keys: dict[str, str] = field(default_factory=dict)


class AmazonStandIn:
    """Fake MWS + LWA + SP-API server over one :class:`OrderBook`.

    ``time_scale`` multiplies every rate-limit refill speed; ``throttle=False`` disables the
    buckets. ``token_ttl_seconds`` is the LWA access-token and RDT lifetime,
    ``next_token_ttl_seconds`` the NextToken lifetime (MWS and SP-API).
    """

    def __init__(
        self,
        *,
        book: OrderBook,
        time_scale: float = 1.0,
        throttle: bool = True,
        token_ttl_seconds: int = 3600,
        next_token_ttl_seconds: int = 3600,
        clock: SandboxClock | None = None,
    ) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        self.book = book
        self.clock = clock or book.clock
        book.clock = self.clock
        self.time_scale = float(time_scale)
        self.throttle = throttle
        self.token_ttl_seconds = int(token_ttl_seconds)
        self.next_token_ttl_seconds = int(next_token_ttl_seconds)
        self.faults = FaultInjector()
        self.stats = Stats()
        self.tokens = TokenCodec()
        self._lock = threading.Lock()
        self._reg = _Registry()
        self.applications: dict[str, Application] = {}
        self.url: str = ""
        self._server: ServerHandle | None = None
        self.mws = MwsApi(self)
        self.spapi = SpApi(self)

    # ------------------------------------------------------------------ registry
    @property
    def sellers(self) -> dict[str, SellerAccount]:
        return self._reg.sellers

    @property
    def access_keys(self) -> dict[str, str]:
        return self._reg.access_keys

    def register_seller(self, seller: SellerAccount) -> None:
        for mp in seller.marketplace_ids:
            if mp not in regions.MARKETPLACES:
                raise ValueError(f"unknown marketplace id {mp}")
        with self._lock:
            known = self._reg.access_keys.get(seller.access_key)
            if known is not None and known != seller.secret_key:
                raise ValueError("access key already registered with another secret key")
            self._reg.access_keys[seller.access_key] = seller.secret_key
            self._reg.sellers[seller.seller_id] = seller
        self.spapi.register_seller(seller)

    def register_application(
        self, application_id: str, lwa_client_id: str, lwa_client_secret: str, redirect_uri: str
    ) -> Application:
        app = Application(application_id, lwa_client_id, lwa_client_secret, redirect_uri)
        with self._lock:
            self.applications[application_id] = app
        self.spapi.register_client(lwa_client_id, lwa_client_secret)
        return app

    # ------------------------------------------------------------------ lifecycle
    def start(
        self, host: str = "127.0.0.1", port: int = 0, *, allow_any_host: bool = False
    ) -> AmazonStandIn:
        if self._server is not None:
            raise RuntimeError("already started")
        self._server = serve_in_thread(
            self, host, port, name="amazon-standin", allow_any_host=allow_any_host
        )
        self.url = self._server.url
        return self

    @property
    def port(self) -> int:
        return self._server.port if self._server else 0

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> AmazonStandIn:
        return self if self._server else self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reset_throttling(self) -> None:
        """Refill every bucket (MWS and SP-API)."""
        self.mws.buckets.reset()
        self.spapi.buckets.reset()

    # ------------------------------------------------------------------ faults
    def apply_fault(self, request: Request, operation: str | None, error_factory):
        """Consume a queued fault for ``operation``; return a Response to send instead of
        the real answer, or None to carry on (``slow`` sleeps first, ``malformed`` marks the
        answer for truncation)."""
        fault = self.faults.take(operation)
        if fault is None:
            return None
        self.stats.add_fault()
        if fault.status == "slow":
            time.sleep(fault.delay)
            return None
        if fault.status == "malformed":
            request.environ["sandbox.malformed"] = True
            return None
        if fault.status == "disconnect":
            request.environ["sandbox.disconnect"] = True
            return Response(b"", 500)
        return error_factory(fault.status)

    # ------------------------------------------------------------------ WSGI
    def __call__(self, environ, start_response):
        request = Request(environ)
        path = request.path
        if path.startswith("/_sandbox"):
            response = self._control(request)
            return response(environ, start_response)
        if path in MWS_SECTIONS:
            response = self.mws.handle(request)
        elif self.spapi.owns(path):
            response = self.spapi.handle(request)
        elif regions.is_spapi_host(regions.normalise_host(request.headers.get("Host"))):
            response = self.spapi.not_found(request)
        else:
            response = self.mws.handle(request)  # 404 InvalidAddress
        if environ.get("sandbox.malformed"):
            body = response.get_data()
            response.set_data(body[: max(1, len(body) // 2)])
        if not path.startswith("/apps/"):
            # a dropped connection answered nothing: counted under status 0
            status = 0 if environ.get("sandbox.disconnect") else response.status_code
            self.stats.record(environ.get("sandbox.operation"), status)
        return response(environ, start_response)

    # ------------------------------------------------------------------ control API
    def _json(self, data, status: int = 200) -> Response:
        return Response(json.dumps(data, indent=1), status, content_type="application/json")

    def _control(self, request: Request) -> Response:
        try:
            return self._control_inner(request)
        except (ValueError, TypeError, KeyError) as exc:
            return self._json({"error": str(exc)}, 400)

    def _body(self, request: Request) -> dict:
        if not request.get_data():
            return {}
        data = json.loads(request.get_data(as_text=True))
        if not isinstance(data, dict):
            raise ValueError("JSON object expected")
        return data

    def _control_inner(self, request: Request) -> Response:
        path = request.path.rstrip("/")
        method = request.method
        if path == "/_sandbox" and method == "GET":
            return self._html(request)
        if path == "/_sandbox/stats" and method == "GET":
            return self._json(self.stats.snapshot())
        if path == "/_sandbox/reset-stats" and method == "POST":
            self.stats.reset()
            return self._json({"ok": True})
        if path == "/_sandbox/reset-throttling" and method == "POST":
            self.reset_throttling()
            return self._json({"ok": True})
        if path == "/_sandbox/faults":
            if method == "POST":
                body = self._body(request)
                fault = self.faults.inject(
                    body["status"],
                    int(body.get("count", 1)),
                    body.get("operation"),
                    float(body.get("delay", 2.0)),
                )
                return self._json({"ok": True, "fault": asdict(fault)})
            if method == "DELETE":
                self.faults.clear()
                return self._json({"ok": True})
            return self._json([asdict(f) for f in self.faults.pending()])
        if path == "/_sandbox/advance" and method == "POST":
            body = self._body(request)
            moved = self.book.advance(int(body.get("count", 1)))
            return self._json({"moved": moved})
        if path == "/_sandbox/clock":
            if method == "POST":
                body = self._body(request)
                if "advance" in body:
                    self.clock.advance(float(body["advance"]))
                if "offset" in body:
                    self.clock.set_offset(float(body["offset"]))
            return self._json({"now": iso_z(self.clock.now()), "offset": self.clock.offset})
        if path == "/_sandbox/revoke" and method == "POST":
            self.spapi.revoke(self._body(request)["refresh_token"])
            return self._json({"ok": True})
        if path == "/_sandbox/expire-tokens" and method == "POST":
            self.spapi.expire_access_tokens()
            return self._json({"ok": True})
        if path == "/_sandbox/sellers" and method == "GET":
            return self._json([asdict(s) for s in self.sellers.values()])
        if path == "/_sandbox/orders" and method == "GET":
            return self._json(self.book.to_json(request.args.get("seller_id")))
        if path.startswith("/_sandbox/orders/"):
            rest = path.removeprefix("/_sandbox/orders/")
            if rest.endswith("/status") and method == "POST":
                oid = rest.removesuffix("/status")
                body = self._body(request)
                at = datetime.fromisoformat(body["at"]) if body.get("at") else None
                if oid not in self.book:
                    return self._json({"error": f"unknown order {oid}"}, 404)
                order = self.book.set_status(oid, body["status"], at=at)
                return self._json(order.to_dict())
            if method == "GET" and rest in self.book:
                return self._json(self.book.get(rest).to_dict())
        return self._json({"error": f"no control endpoint {method} {path}"}, 404)

    def _html(self, request: Request) -> Response:
        seller = request.args.get("seller_id")
        sellers = [seller] if seller else self.book.sellers()
        rows = []
        for sid in sellers:
            for o in reversed(self.book.orders(sid)[-500:]):
                rows.append(
                    "<tr>"
                    + "".join(
                        f"<td>{html.escape(str(v))}</td>"
                        for v in (
                            sid,
                            o.amazon_order_id,
                            iso_z(o.purchase_date),
                            iso_z(o.last_update_date),
                            o.status,
                            o.marketplace_id,
                            o.fulfillment_channel,
                            o.buyer_email or "",
                            len(o.items),
                            f"{o.order_total} {o.currency}",
                        )
                    )
                    + "</tr>"
                )
        page = (
            "<!doctype html><meta charset=utf-8><title>Amazon stand-in</title>"
            "<style>body{font:14px sans-serif}td,th{padding:2px 8px;border-bottom:1px solid #ddd}"
            "</style><h1>Amazon stand-in</h1>"
            f"<p>{len(self.book)} orders; sellers: "
            f"{html.escape(', '.join(self.sellers) or '-')}; clock {iso_z(self.clock.now())}. "
            "Newest 500 per seller shown. JSON: <a href=/_sandbox/orders>/_sandbox/orders</a>, "
            "<a href=/_sandbox/stats>/_sandbox/stats</a>.</p><table><tr><th>Seller<th>Order"
            "<th>Purchased<th>Updated<th>Status<th>Marketplace<th>Channel<th>Buyer email"
            "<th>Items<th>Total</tr>" + "".join(rows) + "</table>"
        )
        return Response(page, 200, content_type="text/html; charset=utf-8")


# ---------------------------------------------------------------------- demo data
DEMO_MARKETPLACES = ["ATVPDKIKX0DER", "A2Q3Y263D00KWC"]


def demo_seller(
    seller_id: str = "A1SANDBOXSELLER", marketplace_ids: list[str] | None = None, n: int = 1
) -> SellerAccount:
    """A seller with obviously fake credentials (never shaped like real AWS keys)."""
    return SellerAccount(
        seller_id=seller_id,
        access_key=f"SANDBOXACCESSKEY{n:04d}",
        secret_key=f"sandbox/secret+key={n:04d}",
        mws_auth_token=f"amzn.mws.00000000-0000-0000-0000-sandbox{n:05d}",
        marketplace_ids=list(marketplace_ids or DEMO_MARKETPLACES),
        lwa_client_id=f"amzn1.application-oa2-client.sandbox{n:04d}",
        lwa_client_secret=f"sandbox-lwa-client-secret-{n:04d}",
        refresh_token=f"Atzr|sandbox-refresh-token-{n:04d}",
    )


def demo_book(
    seller: SellerAccount, *, seed: int = 1, orders: int = 500, days: float = 30,
    end: datetime | None = None,
) -> OrderBook:  # fmt: skip
    end = end or datetime.now(UTC) - timedelta(minutes=10)
    return OrderBook.generate(
        seed=seed,
        seller_id=seller.seller_id,
        marketplace_ids=seller.marketplace_ids,
        orders=orders,
        buyers=max(1, orders // 3),
        products=max(1, min(200, orders // 5)),
        start=end - timedelta(days=days),
        end=end,
    )


__all__ = [
    "STATUSES",
    "AmazonStandIn",
    "Application",
    "SellerAccount",
    "demo_book",
    "demo_seller",
]
