"""What the Amazon stand-in knows: sellers, applications, the order book, clock, faults, stats.

MWS and SP-API handlers receive an :class:`AmazonState`; the stand-in (server + control API)
is built on top of it, so handlers never import the stand-in.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from werkzeug.wrappers import Request, Response

from sandbox.amazon import regions
from sandbox.amazon import roles as roles_mod
from sandbox.amazon.orderbook import OrderBook
from sandbox.amazon.tokens import TokenCodec
from sandbox.common.clock import SandboxClock
from sandbox.common.faults import FaultInjector
from sandbox.common.http import DISCONNECT
from sandbox.common.stats import Stats

MALFORMED = "sandbox.malformed"
OPERATION = "sandbox.operation"


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
    # Roles of the seller's application (LWA client), which gate buyer data in Orders API
    # v2026-01-01 (sandbox.amazon.roles). None: every restricted role if rdt_roles, else none.
    roles: list[str] | None = None

    def app_roles(self) -> frozenset[str]:
        if self.roles is not None:
            return roles_mod.normalise(self.roles)
        return roles_mod.ORDER_ROLES | (roles_mod.RESTRICTED_ROLES if self.rdt_roles else set())


@dataclass
class Application:
    """An SP-API application registered for the website authorization workflow."""

    application_id: str
    lwa_client_id: str
    lwa_client_secret: str
    redirect_uri: str


class AmazonStats(Stats):
    """Calls by operation name, plus Amazon's events."""

    @property
    def throttled(self) -> int:
        return self.events["throttled"]

    @property
    def token_grants(self) -> int:
        return self.events["token_grants"]

    @property
    def faults_fired(self) -> int:
        return self.events["faults_fired"]

    def snapshot(self) -> dict:
        return {
            "calls": dict(self.calls),
            "by_status": self.status_json(),
            "throttled": self.throttled,
            "token_grants": self.token_grants,
            "faults_fired": self.faults_fired,
            "total": self.total,
        }


class AmazonState:
    """Sellers, applications and the book, with the clock, faults, stats and token codec.

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
        self.faults = FaultInjector(default_delay=2.0)
        self.stats = AmazonStats()
        self.tokens = TokenCodec()
        self._lock = threading.Lock()
        self.sellers: dict[str, SellerAccount] = {}
        self.access_keys: dict[str, str] = {}
        self.applications: dict[str, Application] = {}
        self.app_roles: dict[str, frozenset[str]] = {}  # LWA client id -> roles

    def add_seller(self, seller: SellerAccount) -> None:
        for mp in seller.marketplace_ids:
            if mp not in regions.MARKETPLACES:
                raise ValueError(f"unknown marketplace id {mp}")
        with self._lock:
            known = self.access_keys.get(seller.access_key)
            if known is not None and known != seller.secret_key:
                raise ValueError("access key already registered with another secret key")
            self.access_keys[seller.access_key] = seller.secret_key
            self.sellers[seller.seller_id] = seller
            if seller.lwa_client_id and (
                seller.roles is not None or seller.lwa_client_id not in self.app_roles
            ):
                self.app_roles[seller.lwa_client_id] = seller.app_roles()

    def add_application(self, app: Application) -> None:
        with self._lock:
            self.applications[app.application_id] = app
            self.app_roles.setdefault(
                app.lwa_client_id, roles_mod.ORDER_ROLES | roles_mod.RESTRICTED_ROLES
            )

    def roles_of(self, lwa_client_id: str) -> frozenset[str]:
        """The roles of the application behind ``lwa_client_id`` (none if unknown)."""
        return self.app_roles.get(lwa_client_id, frozenset())

    def set_roles(self, lwa_client_id: str, roles) -> frozenset[str]:
        """Replace an application's roles (names as in :mod:`sandbox.amazon.roles`)."""
        granted = roles_mod.normalise(roles)
        with self._lock:
            self.app_roles[lwa_client_id] = granted
        return granted

    def apply_fault(self, request: Request, operation: str | None, error_factory):
        """Consume a queued fault for ``operation``; return a Response to send instead of
        the real answer, or None to carry on (``slow`` sleeps first, ``malformed`` marks the
        answer for truncation)."""
        fault = self.faults.take(operation)
        if fault is None:
            return None
        self.stats.add("faults_fired")
        if fault.status == "slow":
            time.sleep(fault.delay)
            return None
        if fault.status == "malformed":
            request.environ[MALFORMED] = True
            return None
        if fault.status == "disconnect":
            request.environ[DISCONNECT] = True
            return Response(b"", 500)
        return error_factory(fault.status)
