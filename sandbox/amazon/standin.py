"""The Amazon stand-in: one WSGI app serving fake MWS, LWA and SP-API on one loopback port.

Paths decide the API: ``/Orders/2013-09-01`` and ``/Sellers/2011-07-01`` are MWS,
``/auth/o2/token`` is LWA, ``/apps/authorize/consent`` the website authorization workflow,
``/orders/v0/…``, ``/orders/2026-01-01/…`` and ``/tokens/2021-03-01/…`` SP-API (one order
book behind MWS, v0 and v2026-01-01), ``/_sandbox/…`` the control API
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

from datetime import UTC, datetime, timedelta

from werkzeug.wrappers import Request

from sandbox.amazon import regions
from sandbox.amazon.control import control
from sandbox.amazon.mws import SECTIONS as MWS_SECTIONS
from sandbox.amazon.mws import MwsApi
from sandbox.amazon.orderbook import STATUSES, OrderBook
from sandbox.amazon.spapi import SpApi
from sandbox.amazon.state import (
    MALFORMED,
    OPERATION,
    AmazonState,
    Application,
    SellerAccount,
)
from sandbox.common.clock import SandboxClock
from sandbox.common.http import DISCONNECT, ServerHandle, serve_in_thread


class AmazonStandIn(AmazonState):
    """Fake MWS + LWA + SP-API server over one :class:`OrderBook` (see :class:`AmazonState`)."""

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
        super().__init__(
            book=book,
            time_scale=time_scale,
            throttle=throttle,
            token_ttl_seconds=token_ttl_seconds,
            next_token_ttl_seconds=next_token_ttl_seconds,
            clock=clock,
        )
        self.url: str = ""
        self._server: ServerHandle | None = None
        self.mws = MwsApi(self)
        self.spapi = SpApi(self)

    # ------------------------------------------------------------------ registry
    def register_seller(self, seller: SellerAccount) -> None:
        self.add_seller(seller)
        self.spapi.register_seller(seller)

    def register_application(
        self, application_id: str, lwa_client_id: str, lwa_client_secret: str, redirect_uri: str
    ) -> Application:
        app = Application(application_id, lwa_client_id, lwa_client_secret, redirect_uri)
        self.add_application(app)
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

    # ------------------------------------------------------------------ WSGI
    def __call__(self, environ, start_response):
        request = Request(environ)
        path = request.path
        if path.startswith("/_sandbox"):
            return control(self, self.mws, self.spapi, request)(environ, start_response)
        if path in MWS_SECTIONS:
            response = self.mws.handle(request)
        elif self.spapi.owns(path):
            response = self.spapi.handle(request)
        elif regions.is_spapi_host(regions.normalise_host(request.headers.get("Host"))):
            response = self.spapi.not_found(request)
        else:
            response = self.mws.handle(request)  # 404 InvalidAddress
        if environ.get(MALFORMED):
            body = response.get_data()
            response.set_data(body[: max(1, len(body) // 2)])
        if not path.startswith("/apps/"):
            # a dropped connection answered nothing: counted under status 0
            status = 0 if environ.get(DISCONNECT) else response.status_code
            self.stats.record(environ.get(OPERATION), status)
        return response(environ, start_response)


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
