"""The Amazon stand-in's ``/_sandbox/…`` control API (JSON) and its HTML order view.

``GET /_sandbox/roles`` lists each application's roles by LWA client id; ``POST
/_sandbox/roles`` ``{"seller_id" | "client_id": …, "roles": ["Tax Invoicing", …]}`` replaces
them (Orders API v2026-01-01 buyer data, see :mod:`sandbox.amazon.roles`).
"""

from __future__ import annotations

import html
import json
from dataclasses import asdict
from datetime import datetime

from werkzeug.wrappers import Request, Response

from sandbox.amazon.mws import MwsApi
from sandbox.amazon.records import iso_z
from sandbox.amazon.spapi import SpApi
from sandbox.amazon.state import AmazonState
from sandbox.common.faults import Fault


def _fault_json(fault: Fault) -> dict:
    return {k: getattr(fault, k) for k in ("status", "remaining", "operation", "delay")}


def _json(data, status: int = 200) -> Response:
    return Response(json.dumps(data, indent=1), status, content_type="application/json")


def control(state: AmazonState, mws: MwsApi, spapi: SpApi, request: Request) -> Response:
    try:
        return _dispatch(state, mws, spapi, request)
    except (ValueError, TypeError, KeyError) as exc:
        return _json({"error": str(exc)}, 400)


def _body(request: Request) -> dict:
    if not request.get_data():
        return {}
    data = json.loads(request.get_data(as_text=True))
    if not isinstance(data, dict):
        raise ValueError("JSON object expected")
    return data


def _dispatch(state: AmazonState, mws: MwsApi, spapi: SpApi, request: Request) -> Response:
    path = request.path.rstrip("/")
    method = request.method
    if path == "/_sandbox" and method == "GET":
        return _html(state, request)
    if path == "/_sandbox/stats" and method == "GET":
        return _json(state.stats.snapshot())
    if path == "/_sandbox/reset-stats" and method == "POST":
        state.stats.reset()
        return _json({"ok": True})
    if path == "/_sandbox/reset-throttling" and method == "POST":
        mws.buckets.reset()
        spapi.buckets.reset()
        return _json({"ok": True})
    if path == "/_sandbox/faults":
        if method == "POST":
            body = _body(request)
            fault = state.faults.inject(
                body["status"],
                int(body.get("count", 1)),
                body.get("operation"),
                float(body.get("delay", 2.0)),
            )
            return _json({"ok": True, "fault": _fault_json(fault)})
        if method == "DELETE":
            state.faults.clear()
            return _json({"ok": True})
        return _json([_fault_json(f) for f in state.faults.pending()])
    if path == "/_sandbox/advance" and method == "POST":
        body = _body(request)
        moved = state.book.advance(int(body.get("count", 1)))
        return _json({"moved": moved})
    if path == "/_sandbox/clock":
        if method == "POST":
            body = _body(request)
            if "advance" in body:
                state.clock.advance(float(body["advance"]))
            if "offset" in body:
                state.clock.set_offset(float(body["offset"]))
        return _json({"now": iso_z(state.clock.now()), "offset": state.clock.offset})
    if path == "/_sandbox/revoke" and method == "POST":
        spapi.revoke(_body(request)["refresh_token"])
        return _json({"ok": True})
    if path == "/_sandbox/expire-tokens" and method == "POST":
        spapi.expire_access_tokens()
        return _json({"ok": True})
    if path == "/_sandbox/roles":
        if method == "POST":
            return _set_roles(state, _body(request))
        if method == "GET":
            return _json({cid: sorted(r) for cid, r in state.app_roles.items()})
    if path == "/_sandbox/reports":  # Reports API: queued outcomes, compression, delay
        if method == "POST":
            return _json(spapi.reports.control(_body(request)))
        return _json(spapi.reports.describe())
    if path == "/_sandbox/notifications":
        # ORDER_CHANGE publisher knobs (sandbox.amazon.sqs_publisher) and what it sent.
        publisher = spapi.notifications.publisher
        if method == "POST":
            return _json(publisher.configure(**_body(request)))
        return _json(publisher.snapshot())
    if path == "/_sandbox/sellers" and method == "GET":
        return _json([asdict(s) for s in state.sellers.values()])
    if path == "/_sandbox/orders" and method == "GET":
        return _json(state.book.to_json(request.args.get("seller_id")))
    if path.startswith("/_sandbox/orders/"):
        rest = path.removeprefix("/_sandbox/orders/")
        if rest.endswith("/status") and method == "POST":
            oid = rest.removesuffix("/status")
            body = _body(request)
            at = datetime.fromisoformat(body["at"]) if body.get("at") else None
            if oid not in state.book:
                return _json({"error": f"unknown order {oid}"}, 404)
            order = state.book.set_status(oid, body["status"], at=at)
            return _json(order.to_dict())
        if method == "GET" and rest in state.book:
            return _json(state.book.get(rest).to_dict())
    return _json({"error": f"no control endpoint {method} {path}"}, 404)


def _set_roles(state: AmazonState, body: dict) -> Response:
    """``{"seller_id" | "client_id": …, "roles": [...]}``: the application's roles (Orders API
    v2026-01-01 buyer data, see sandbox.amazon.roles); a seller id means its LWA client."""
    client_id = body.get("client_id")
    if not client_id:
        seller = state.sellers.get(body.get("seller_id", ""))
        if seller is None:
            return _json({"error": "client_id or a known seller_id is required"}, 400)
        client_id = seller.lwa_client_id
    roles = body.get("roles")
    if not isinstance(roles, list):
        return _json({"error": "roles must be a list of role names"}, 400)
    granted = state.set_roles(client_id, roles)
    return _json({"client_id": client_id, "roles": sorted(granted)})


def _html(state: AmazonState, request: Request) -> Response:
    seller = request.args.get("seller_id")
    sellers = [seller] if seller else state.book.sellers()
    rows = []
    for sid in sellers:
        for o in reversed(state.book.orders(sid)[-500:]):
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
        f"<p>{len(state.book)} orders; sellers: "
        f"{html.escape(', '.join(state.sellers) or '-')}; clock {iso_z(state.clock.now())}. "
        "Newest 500 per seller shown. JSON: <a href=/_sandbox/orders>/_sandbox/orders</a>, "
        "<a href=/_sandbox/stats>/_sandbox/stats</a>.</p><table><tr><th>Seller<th>Order"
        "<th>Purchased<th>Updated<th>Status<th>Marketplace<th>Channel<th>Buyer email"
        "<th>Items<th>Total</tr>" + "".join(rows) + "</table>"
    )
    return Response(page, 200, content_type="text/html; charset=utf-8")
