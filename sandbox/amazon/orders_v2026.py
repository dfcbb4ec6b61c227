"""Orders API v2026-01-01 on the SP-API stand-in: ``searchOrders`` and ``getOrder``.

Authority: ``models/orders-api-model/orders_2026-01-01.json`` in amzn/selling-partner-api-models
(@34dc93fe45f3, 2026-08-05); what it says is quoted where it decides a rule. The SP-API app
(:mod:`sandbox.amazon.spapi`) authenticates (LWA access token; no RDT is needed), picks the
region from the Host, throttles and renders errors; this module validates and pages.

``GET /orders/2026-01-01/orders`` (searchOrders), 400 InvalidInput for:

* not exactly one of ``createdAfter`` / ``lastUpdatedAfter`` ("You must provide exactly one
  of `createdAfter` and `lastUpdatedAfter`"); ``createdBefore`` / ``lastUpdatedBefore`` with
  the other kind ("If `createdAfter` is provided, neither `lastUpdatedAfter` nor
  `lastUpdatedBefore` may be provided", and the converse);
* a Before earlier than its After or later than two minutes before now ("must be equal to or
  after the `createdAfter` date and at least two minutes before the time of the request"),
  and an After later than that (nothing could match); dates not ISO 8601 UTC (``Z``);
* more than 50 ``marketplaceIds`` (``maxItems: 50``), or one that is not the seller's or not
  in the Host's region. ``marketplaceIds`` is optional in the model (``required: false``);
  without it every marketplace of the seller in the region is searched;
* ``fulfillmentStatuses`` / ``fulfilledBy`` / ``includedData`` values outside the model's
  enums; ``maxResultsPerPage`` not an integer 1–100 ("The value must be between 1 and 100.
  **Default:** 100.");
* a ``paginationToken`` that is not this stand-in's, is older than 24 hours ("The token will
  expire after 24 hours"), or comes with other parameters than the request that produced it:
  "All other parameters must be provided with the same values that were provided with the
  request that generated this token, with the exception of `maxResultsPerPage` and
  `includedData`, which can be modified between calls." (``definitions/Pagination``).

Windows include both ends ("created at or after" … "at or before"); the answer echoes the
window end as ``createdBefore`` / ``lastUpdatedBefore`` (the given one, else now − 2 min) and
``pagination.nextToken`` while more orders match. Orders older than two years are not
returned ("except in the JP, AU, and SG marketplaces, for which data from 2016 and after is
available").

``GET /orders/2026-01-01/orders/{orderId}`` (getOrder): ``includedData`` as above; an id not
in 3-7-7 form → 400 InvalidInput; an unknown order, another seller's or another region's →
404 NotFound.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sandbox.amazon.records import BookOrder, iso_z
from sandbox.amazon.render_v2026 import FULFILLED_BY, FULFILLMENT_STATUS, render_order
from sandbox.amazon.sperror import SpError, csv_values, invalid, parse_zulu
from sandbox.amazon.tokens import TokenError

PATH = "/orders/2026-01-01/orders"
SEARCH_ORDERS = "searchOrders"
GET_ORDER = "getOrder@2026-01-01"  # v0's getOrder is another operation with its own bucket
# operation -> (rate per second, burst, x-amzn-RateLimit-Limit): the model's "Usage Plan" tables
RATE_LIMITS = {SEARCH_ORDERS: (0.0056, 20, "0.0056"), GET_ORDER: (0.5, 30, "0.5")}

INCLUDED_DATA = frozenset({
    "BUYER", "RECIPIENT", "PROCEEDS", "EXPENSE", "PROMOTION", "CANCELLATION", "FULFILLMENT",
    "PACKAGES", "TAX", "PAYMENT", "FULFILLMENT_ORDERS",
})  # fmt: skip
STATUS_OF = {v: k for k, v in FULFILLMENT_STATUS.items()}  # FulfillmentStatus -> book status
CHANNEL_OF = {v: k for k, v in FULFILLED_BY.items()}  # MERCHANT/AMAZON -> MFN/AFN
MAX_MARKETPLACES = 50
MAX_RESULTS = 100
TOKEN_TTL = timedelta(hours=24)
LATENCY = timedelta(minutes=2)
HISTORY = timedelta(days=730)
LONG_HISTORY_MARKETPLACES = frozenset({"A1VC38T7YXB528", "A39IBJ37TRP1C6", "A19VAU5U5O7RUS"})
LONG_HISTORY_START = datetime(2016, 1, 1, tzinfo=UTC)
ORDER_ID_RE = re.compile(r"^\d{3}-\d{7}-\d{7}$")
TOKEN_MESSAGE = "Invalid paginationToken: pass the nextToken value exactly as it was returned."
EXPIRED_MESSAGE = "The paginationToken has expired. Tokens expire 24 hours after they are issued."
MISMATCH_MESSAGE = (
    "The paginationToken was issued for other parameters. All parameters other than "
    "maxResultsPerPage and includedData must have the values of the request that returned it."
)
_WINDOW_PAIRS = (("createdAfter", "createdBefore"), ("lastUpdatedAfter", "lastUpdatedBefore"))


def operation(path: str) -> tuple[str, str | None] | None:
    """(operation, order id) for a v2026 path, or None."""
    if path == PATH:
        return SEARCH_ORDERS, None
    rest = path.removeprefix(PATH + "/") if path.startswith(PATH + "/") else ""
    if rest and "/" not in rest:
        return GET_ORDER, rest
    return None


def owns(path: str) -> bool:
    return path == PATH or path.startswith(PATH + "/")


def _included(request) -> frozenset[str]:
    values = csv_values(request, "includedData")
    for v in values:
        if v not in INCLUDED_DATA:
            raise invalid(f"Invalid includedData value: {v}", "includedData")
    return frozenset(values)


def _enum(request, name: str, allowed) -> list[str]:
    values = csv_values(request, name)
    for v in values:
        if v not in allowed:
            raise invalid(f"Invalid {name} value: {v}", name)
    return sorted(set(values))


def _visible(o: BookOrder, now: datetime) -> bool:
    if o.marketplace_id in LONG_HISTORY_MARKETPLACES:
        return o.purchase_date >= LONG_HISTORY_START
    return o.purchase_date >= now - HISTORY


class OrdersV2026:
    """searchOrders / getOrder over the state's order book."""

    def __init__(self, state) -> None:
        self.s = state

    # ------------------------------------------------------------------ searchOrders
    def _query(self, ctx) -> dict:
        """The request's parameters, validated and normalised (without page size, datasets
        and token)."""
        args = ctx.request.args
        given = [(a, b) for a, b in _WINDOW_PAIRS if args.get(a)]
        if len(given) != 1:
            raise invalid(
                "Exactly one of createdAfter and lastUpdatedAfter must be provided.",
                "createdAfter, lastUpdatedAfter",
            )
        after_name, before_name = given[0]
        _, other_before = next(p for p in _WINDOW_PAIRS if p != given[0])
        if args.get(other_before):
            raise invalid(f"{other_before} cannot be provided with {after_name}.", other_before)
        after = parse_zulu(after_name, args[after_name])
        cap = ctx.now - LATENCY
        if after > cap:
            raise invalid(
                f"{after_name} must be at least two minutes before the time of the request.",
                after_name,
            )
        before_raw = args.get(before_name)
        if before_raw:
            before = parse_zulu(before_name, before_raw)
            if before < after:
                raise invalid(f"{before_name} must be equal to or after {after_name}.", before_name)
            if before > cap:
                raise invalid(
                    f"{before_name} must be at least two minutes before the time of the request.",
                    before_name,
                )
        else:
            before = cap.replace(microsecond=0)
        sent = csv_values(ctx.request, "marketplaceIds")
        mps = sorted(set(sent))
        if len(sent) > MAX_MARKETPLACES:  # maxItems counts what was sent
            raise invalid(
                f"marketplaceIds may hold at most {MAX_MARKETPLACES} values.", "marketplaceIds"
            )
        for mp in mps:
            if mp not in ctx.region_mps or mp not in ctx.seller.marketplace_ids:
                raise invalid(
                    f"Invalid marketplaceIds value: {mp} is not a marketplace of this seller "
                    "in this region.",
                    "marketplaceIds",
                )
        return {
            "t": "o26",
            "s": ctx.seller.seller_id,
            "r": ctx.region,
            "by": "created" if after_name == "createdAfter" else "updated",
            "a": after.timestamp(),
            "b": before.timestamp(),
            "bx": bool(before_raw),
            "m": mps,
            "fs": _enum(ctx.request, "fulfillmentStatuses", STATUS_OF),
            "fb": _enum(ctx.request, "fulfilledBy", CHANNEL_OF),
        }

    @staticmethod
    def _page_size(ctx) -> int:
        raw = ctx.request.args.get("maxResultsPerPage", str(MAX_RESULTS))
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_RESULTS:
            raise invalid(
                f"Invalid maxResultsPerPage: {raw}. The value must be between 1 and 100.",
                "maxResultsPerPage",
            )
        return int(raw)

    def _resume(self, token: str, query: dict, ctx) -> tuple[dict, tuple]:
        """The query and cursor a paginationToken carries, if it fits this request."""
        try:
            payload = self.s.tokens.decode(token)
        except TokenError:
            raise invalid(TOKEN_MESSAGE, "paginationToken") from None
        issued = payload.get("q") or {}
        if payload.get("api") != "sp2026" or any(
            issued.get(k) != query[k] for k in ("t", "s", "r")
        ):
            raise invalid(TOKEN_MESSAGE, "paginationToken")
        if float(payload.get("x", 0)) < ctx.now.timestamp():
            raise invalid(EXPIRED_MESSAGE, "paginationToken")
        same = all(issued.get(k) == query[k] for k in ("by", "a", "m", "fs", "fb", "bx"))
        if not same or (query["bx"] and issued.get("b") != query["b"]):
            raise invalid(MISMATCH_MESSAGE, "paginationToken")
        return issued, tuple(payload["c"])

    def search(self, ctx) -> dict:
        query = self._query(ctx)
        size = self._page_size(ctx)
        datasets = _included(ctx.request)
        token = ctx.request.args.get("paginationToken")
        cursor = None
        if token:
            query, cursor = self._resume(token, query, ctx)
        mps = frozenset(query["m"]) or ctx.region_mps.intersection(ctx.seller.marketplace_ids)
        statuses = frozenset(STATUS_OF[s] for s in query["fs"])
        channels = frozenset(CHANNEL_OF[c] for c in query["fb"])
        now = ctx.now

        def keep(o: BookOrder) -> bool:
            return (
                o.marketplace_id in mps
                and (not statuses or o.status in statuses)
                and (not channels or o.fulfillment_channel in channels)
                and _visible(o, now)
            )

        before = datetime.fromtimestamp(query["b"], UTC)
        # "at or before": book dates are whole seconds, so < the next whole second
        end = before.replace(microsecond=0) + timedelta(seconds=1)
        page, nxt = self.s.book.scan(
            query["s"], by=query["by"], after=datetime.fromtimestamp(query["a"], UTC),
            before=end, limit=size, cursor=cursor, predicate=keep,
        )  # fmt: skip
        roles = self.s.roles_of(ctx.grant.client_id)
        out: dict = {"orders": [render_order(o, datasets, roles) for o in page]}
        if nxt is not None:
            expiry = (now + TOKEN_TTL).timestamp()
            out["pagination"] = {
                "nextToken": self.s.tokens.encode(
                    {"api": "sp2026", "q": query, "c": list(nxt), "x": expiry}
                )
            }
        out["createdBefore" if query["by"] == "created" else "lastUpdatedBefore"] = iso_z(before)
        return out

    # ------------------------------------------------------------------ getOrder
    def get(self, ctx, order_id: str) -> dict:
        datasets = _included(ctx.request)
        if not ORDER_ID_RE.match(order_id):
            raise invalid(f"Invalid orderId: {order_id}", "orderId")
        o = self.s.book.find(order_id)
        if (
            o is None
            or o.seller_id != ctx.seller.seller_id
            or o.marketplace_id not in ctx.region_mps
            or not _visible(o, ctx.now)
        ):
            raise SpError(404, "NotFound", f"Order {order_id} was not found.")
        return {"order": render_order(o, datasets, self.s.roles_of(ctx.grant.client_id))}
