"""``/_sandbox/`` control and inspection endpoints on every API host (no auth, loopback only)."""

from __future__ import annotations

import html
import json
import re

from werkzeug.wrappers import Request, Response

from .state import ZohoState
from .util import is_loopback, json_response

VIEW_MODULES = ("Products", "Contacts", "Sales_Orders")


def _err(status: int, message: str) -> Response:
    return json_response({"error": message}, status)


# Zoho CRM's web UI address of a record: /crm/org649525316/tab/SalesOrders/4150868000000376008
WEB_RECORD = re.compile(r"^/crm/(?P<domain>org\w+)/tab/(?P<tab>\w+)/(?P<rid>\d+)/?$")
WEB_TABS = {"SalesOrders": "Sales_Orders", "Products": "Products", "Contacts": "Contacts"}


def web_record(standin: ZohoState, request: Request) -> Response:
    """The record page a link from the product opens (the web UI's address, on the API host)."""
    m = WEB_RECORD.match(request.path)
    org = next((o for o in standin.all_orgs() if f"org{o.zgid}" == m["domain"]), None)
    module = org.module(WEB_TABS.get(m["tab"], m["tab"])) if org else None
    rec = module.records.get(m["rid"]) if module else None
    if rec is None:
        return Response("<h1>Record not found</h1>", 404, content_type="text/html; charset=utf-8")
    rows = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{_cell(v)}</td></tr>"
        for k, v in rec.items()
        if k != "Ordered_Items"
    )
    doc = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(m['tab'])} "
        f"{m['rid']}</title><style>{_STYLE}</style></head><body><h1>{html.escape(m['tab'])} "
        f"{m['rid']}</h1><p>{html.escape(org.company_name)}</p><table>{rows}</table></body></html>"
    )
    return Response(doc, content_type="text/html; charset=utf-8")


def control(standin: ZohoState, dc: str, request: Request) -> Response:
    if not is_loopback(request):
        return _err(403, "the sandbox control API is loopback only")
    if WEB_RECORD.match(request.path):
        return web_record(standin, request)
    path = request.path.rstrip("/") or "/"
    method = request.method
    if path == "/_sandbox" and method == "GET":
        return record_view(standin, dc, request)
    if path == "/_sandbox/orgs" and method == "GET":
        return json_response({"orgs": [standin.org_summary(o) for o in standin.all_orgs()]})
    m = re.match(r"^/_sandbox/orgs/(?P<org>\w+)/(?P<what>records|fields)/(?P<module>\w+)$", path)
    if m and method == "GET":
        try:
            if m["what"] == "records":
                return json_response({"data": standin.records(m["org"], m["module"])})
            return json_response({"fields": standin.fields(m["org"], m["module"])})
        except KeyError as exc:
            return _err(404, str(exc))
    m = re.match(r"^/_sandbox/orgs/(?P<org>\w+)/revoke$", path)
    if m and method == "POST":
        try:
            standin.revoke_all_tokens(m["org"])
        except KeyError as exc:
            return _err(404, str(exc))
        return json_response({"status": "revoked"})
    if path == "/_sandbox/stats" and method == "GET":
        return json_response(standin.stats_json())
    if path == "/_sandbox/stats/reset" and method == "POST":
        standin.stats.reset()
        return json_response({"status": "reset"})
    if path == "/_sandbox/faults":
        if method == "GET":
            return json_response({"faults": [f.as_json() for f in standin.faults.pending()]})
        if method == "DELETE":
            standin.faults.clear()
            return json_response({"faults": []})
        if method == "POST":
            try:
                body = json.loads(request.get_data() or b"{}")
                items = body if isinstance(body, list) else [body]
                for item in items:
                    standin.faults.inject(
                        status=item.get("status", 500),
                        count=int(item.get("count", 1)),
                        path_contains=item.get("path_contains"),
                        delay=float(item.get("delay", 1.0)),
                        method=item.get("method"),
                        dc=item.get("dc"),
                    )
            except (ValueError, TypeError, AttributeError) as exc:
                return _err(400, f"bad fault: {exc}")
            return json_response({"faults": [f.as_json() for f in standin.faults.pending()]}, 201)
    if path == "/_sandbox/clock" and method == "POST":
        try:
            body = json.loads(request.get_data() or b"{}")
            standin.clock.advance(float(body.get("advance", 0)))
        except (ValueError, TypeError, AttributeError) as exc:
            return _err(400, f"bad clock request: {exc}")
        return json_response({"now": standin.clock.timestamp()})
    return _err(404, "unknown sandbox endpoint")


_STYLE = """body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse;margin:.5em 0 1.5em}
td,th{border:1px solid #ccc;padding:.2em .5em;font-size:.9em;vertical-align:top}th{background:#eee}
.items td,.items th{font-size:.85em}nav a{margin-right:1em}"""


def _cell(value) -> str:
    if isinstance(value, dict):
        value = value.get("name") or value.get("id")
    if value is None:
        return ""
    return html.escape(str(value))


def record_view(standin: ZohoState, dc: str, request: Request) -> Response:
    orgs = standin.all_orgs()
    chosen = request.args.get("org")
    org = next((o for o in orgs if o.org_id == chosen), None)
    if org is None:
        org = next((o for o in orgs if o.dc == dc), orgs[0] if orgs else None)
    nav = "".join(
        f'<a href="?org={o.org_id}">{html.escape(o.company_name)} ({o.dc}, {o.edition})</a>'
        for o in orgs
    )
    parts = [f"<h1>Zoho CRM stand-in ({html.escape(dc)})</h1><nav>{nav}</nav>"]
    if org is None:
        parts.append("<p>No orgs yet.</p>")
    else:
        parts.append(
            f"<h2>{html.escape(org.company_name)} — org {org.org_id}, {org.edition}, "
            f"DC {org.dc}</h2>"
        )
        with org.lock:
            # The three the product writes, then the custom modules (the history modules).
            for name in (*VIEW_MODULES, *org.module_labels):
                module = org.module(name)
                if module is None:
                    parts.append(f"<h3>{name}</h3><p>Not available in this edition.</p>")
                    continue
                custom = [f.api_name for f in module.fields.values() if f.custom_field]
                base = {
                    "Products": ["Product_Name", "Product_Code", "Unit_Price"],
                    "Contacts": ["Full_Name", "Email", "Mailing_City"],
                    "Sales_Orders": [
                        "Subject",
                        "Contact_Name",
                        "Status",
                        "Sub_Total",
                        "Grand_Total",
                    ],
                }.get(name, ["Name"])
                cols = ["id", *base, *custom, "Modified_Time"]
                parts.append(f"<h3 id='{name}'>{name} ({len(module.records)})</h3><table>")
                parts.append("<tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in cols) + "</tr>")
                for rec in list(module.records.values())[:500]:
                    row = "".join(f"<td>{_cell(rec.get(c))}</td>" for c in cols)
                    parts.append(f"<tr>{row}</tr>")
                    items = rec.get("Ordered_Items")
                    if items:
                        icols = [
                            "Product_Name",
                            "Quantity",
                            "List_Price",
                            "Discount",
                            "Tax",
                            "Net_Total",
                        ]
                        head = "".join(f"<th>{c}</th>" for c in icols)
                        body = "".join(
                            "<tr>"
                            + "".join(f"<td>{_cell(it.get(c))}</td>" for c in icols)
                            + "</tr>"
                            for it in items
                        )
                        parts.append(
                            f"<tr><td></td><td colspan='{len(cols) - 1}'>"
                            f"<table class='items'><tr>{head}</tr>{body}</table></td></tr>"
                        )
                parts.append("</table>")
    doc = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>Zoho stand-in</title>"
        f"<style>{_STYLE}</style></head><body>{''.join(parts)}</body></html>"
    )
    return Response(doc, content_type="text/html; charset=utf-8")
