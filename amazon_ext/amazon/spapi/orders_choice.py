"""Which Orders API an SP-API client speaks: v2026-01-01 by default, v0 only until Amazon
removes it (settings.AMAZON_ORDERS_V0_SHUTOFF, 27 March 2027).

* Default: v2026-01-01 (searchOrders / getOrder, items inside the order, no RDT).
* v0 for a tenant whose marketplace refused v2026 — a 403 on searchOrders while v0's
  getOrders works has been reported (amzn/selling-partner-api-sdk#764). The client falls
  back for that run and the refusal is remembered on the credentials, so later runs start
  on v0; after AMAZON_ORDERS_V2026_RETRY_DAYS they try v2026 again.
* v0 when an operator pins it (AMAZON_SPAPI_ORDERS_API=v0): an escape hatch, not a mode.
* From the shut-off day on, v0 is never called, whatever is pinned or remembered.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.conf import settings

from amazon_ext.amazon.errors import AmazonCredentialError

logger = logging.getLogger(__name__)

V2026 = "2026-01-01"
V0 = "v0"
DEFAULT_SHUTOFF = date(2027, 3, 27)
# LWA's own refusals; any other credential error with field lwa_refresh_token is the
# Orders API's 403 (the transport raises it after a fresh token was refused as well).
_LWA_CODES = frozenset({"", "invalid_grant", "invalid_client"})


def v0_shutoff() -> date:
    """The first day on which Orders v0 is not called (UTC)."""
    raw = str(getattr(settings, "AMAZON_ORDERS_V0_SHUTOFF", "") or "").strip()
    if not raw:
        return DEFAULT_SHUTOFF
    try:
        return date.fromisoformat(raw)
    except ValueError:
        logger.error("AMAZON_ORDERS_V0_SHUTOFF=%r is not a date; using %s", raw, DEFAULT_SHUTOFF)
        return DEFAULT_SHUTOFF


def long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def v0_allowed(now: datetime) -> bool:
    return now.astimezone(UTC).date() < v0_shutoff()


def is_orders_refusal(exc: BaseException) -> bool:
    """True for the Orders API's own 403 (not LWA refusing the credentials)."""
    return (
        isinstance(exc, AmazonCredentialError)
        and exc.field == "lwa_refresh_token"
        and exc.code not in _LWA_CODES
    )


@dataclass(frozen=True)
class OrdersApiChoice:
    """Where a client starts and whether it may fall back. ``refused_reason`` is what
    Amazon said when it last refused v2026 (empty: never, or long enough ago)."""

    start: str
    may_fall_back: bool
    pinned: bool = False
    refused_reason: str = ""

    @classmethod
    def decide(
        cls,
        *,
        now: datetime,
        requested: str | None = None,
        refused_at: datetime | None = None,
        refused_reason: str = "",
    ) -> OrdersApiChoice:
        if not v0_allowed(now):
            return cls(start=V2026, may_fall_back=False)
        requested = requested or getattr(settings, "AMAZON_SPAPI_ORDERS_API", V2026) or V2026
        if requested.strip().lower() in (V0, "0"):
            return cls(start=V0, may_fall_back=False, pinned=True)
        retry_after = timedelta(days=int(getattr(settings, "AMAZON_ORDERS_V2026_RETRY_DAYS", 7)))
        if refused_at is not None and now - refused_at < retry_after:
            return cls(start=V0, may_fall_back=False, refused_reason=refused_reason or "403")
        return cls(start=V2026, may_fall_back=True)


def api_note(version: str, *, choice: OrdersApiChoice, reason: str = "") -> str:
    """The run note that says which API served the run."""
    if version == V2026:
        return "Orders read through Amazon's Orders API v2026-01-01."
    shutoff = long_date(v0_shutoff())
    if choice.pinned:
        return (
            "Orders read through Amazon's Orders API v0 (pinned by AMAZON_SPAPI_ORDERS_API); "
            f"Amazon removes it on {shutoff}."
        )
    days = int(getattr(settings, "AMAZON_ORDERS_V2026_RETRY_DAYS", 7))
    return (
        f"Orders read through Amazon's Orders API v0 (v2026 refused in this marketplace: "
        f"{reason or choice.refused_reason}). v0 works until {shutoff}; v2026 is tried again "
        f"every {days} days. If it keeps being refused, ask Selling Partner Support why "
        "searchOrders is denied for this seller."
    )


def refused_after_shutoff(exc: AmazonCredentialError) -> AmazonCredentialError:
    """v2026 refused and v0 gone: a failure that says what to do."""
    return AmazonCredentialError(
        f"Amazon refused the Orders API v2026-01-01 ({exc.code}), and Orders v0 was switched "
        f"off on {long_date(v0_shutoff())}. Check in Seller Central → Apps and Services → "
        "Manage Your Apps that this app is authorized (with the Orders role) for every "
        "configured marketplace, press Authorize with Amazon again, and if Amazon still "
        "refuses, contact Selling Partner Support quoting the RequestId.",
        field="lwa_refresh_token",
        code=exc.code,
        request_id=exc.request_id,
    )
