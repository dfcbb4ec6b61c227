"""Fake Zoho CRM v8 API server for one data centre (spec §2–§5, §9)."""

from __future__ import annotations

import json
import math
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from werkzeug.wrappers import Request, Response

from . import currencies, custom_modules, schema
from .control import WEB_RECORD, control
from .oauth import AccessToken
from .state import ZohoState
from .store import Module, Org, User, Writer, create_fields
from .util import api_error, drop_connection, json_response

BASE = "/crm/v8"
MAX_RECORDS = 100
PAGE_LIMIT = 2000
PAGE_TOKEN_TTL = 86_400.0


class Abort(Exception):  # noqa: N818 - control flow, not an error class
    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def bad(status: int, code: str, message: str, details: dict | None = None) -> Abort:
    return Abort(api_error(status, code, message, details))


@dataclass
class Call:
    request: Request
    org: Org
    user: User
    token: AccessToken
    module: Module | None = None
    body: Any = None


@dataclass
class Route:
    name: str
    handler: Callable[[Call, dict], Response]
    scope: tuple[str, ...]  # ("modules", op) | ("settings", part, op) | ("users",) | ("org",)
    module_group: str | None = None  # regex group naming the module, if any


def _norm_module_scope(module: str) -> set[str]:
    low = module.lower()
    return {low, low.replace("_", "")}


def scope_ok(scopes: list[str], need: tuple[str, ...], module: str | None) -> bool:
    have = {s.lower() for s in scopes}
    kind = need[0]
    if kind == "modules":
        ops = need[1].split("+")
        names = _norm_module_scope(module or "")
        for op in ops:
            options = {"zohocrm.modules.all", f"zohocrm.modules.{op}"}
            if op in ("create", "update", "delete"):
                options.add("zohocrm.modules.write")
            for name in names:
                options |= {f"zohocrm.modules.{name}.all", f"zohocrm.modules.{name}.{op}"}
                if op in ("create", "update", "delete"):
                    options.add(f"zohocrm.modules.{name}.write")
            if not have & options:
                return False
        return True
    if kind == "settings":
        part, op = need[1], need[2]
        options = {
            "zohocrm.settings.all",
            f"zohocrm.settings.{part}.all",
            f"zohocrm.settings.{part}.{op}",
            f"zohocrm.settings.{op}",
        }
        return bool(have & options)
    if kind == "users":
        return bool(have & {"zohocrm.users.read", "zohocrm.users.all", "aaaserver.profile.read"})
    if kind == "org":
        return bool(have & {"zohocrm.org.read", "zohocrm.org.all"})
    return False


def _iso_at(ts: float, org: Org) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(int(ts), tz=org.tz).isoformat()


def write_cost(n: int) -> int:
    return max(1, math.ceil(n / 10))


class ApiApp:
    def __init__(self, standin: ZohoState, dc: str) -> None:
        self.standin = standin
        self.dc = dc
        m = r"(?P<module>[A-Za-z][A-Za-z0-9_]*)"
        self.routes: list[tuple[str, re.Pattern, Route]] = []
        table = [
            ("GET", r"/settings/modules", Route("modules", self.get_modules, ("settings", "modules", "read"))),
            ("POST", r"/settings/modules", Route("create_module", self.create_module, ("settings", "modules", "create"))),
            ("GET", r"/settings/profiles", Route("profiles", self.get_profiles, ("settings", "profiles", "read"))),
            ("GET", r"/settings/fields", Route("fields", self.get_fields, ("settings", "fields", "read"))),
            ("POST", r"/settings/fields", Route("create_fields", self.post_fields, ("settings", "fields", "create"))),
            ("GET", r"/settings/fields/(?P<fid>\d+)", Route("field", self.get_field, ("settings", "fields", "read"))),
            ("GET", r"/users", Route("users", self.get_users, ("users",))),
            ("GET", r"/users/(?P<uid>\d+)", Route("user", self.get_user, ("users",))),
            ("GET", r"/org", Route("org", self.get_org, ("org",))),
            ("GET", r"/org/currencies", Route("currencies", self.get_currencies, ("settings", "currencies", "read"))),
            ("POST", rf"/{m}/upsert", Route("upsert", self.upsert, ("modules", "create+update"), "module")),
            ("GET", rf"/{m}/(?P<rid>\d+)", Route("get", self.get_record, ("modules", "read"), "module")),
            ("PUT", rf"/{m}/(?P<rid>\d+)", Route("update", self.update_one, ("modules", "update"), "module")),
            ("DELETE", rf"/{m}/(?P<rid>\d+)", Route("delete", self.delete_one, ("modules", "delete"), "module")),
            ("GET", rf"/{m}", Route("list", self.list_records, ("modules", "read"), "module")),
            ("POST", rf"/{m}", Route("insert", self.insert, ("modules", "create"), "module")),
            ("PUT", rf"/{m}", Route("update", self.update, ("modules", "update"), "module")),
            ("DELETE", rf"/{m}", Route("delete", self.delete, ("modules", "delete"), "module")),
        ]  # fmt: skip
        for method, pattern, route in table:
            self.routes.append((method, re.compile(f"^{BASE}{pattern}/?$"), route))

    # ---- WSGI -----------------------------------------------------------------------------
    def __call__(self, environ, start_response):
        request = Request(environ)
        if request.path.startswith("/_sandbox") or WEB_RECORD.match(request.path):
            # WEB_RECORD: what Zoho CRM's web UI shows at /crm/<org>/tab/<Tab>/<id>.
            response = control(self.standin, self.dc, request)
            return response(environ, start_response)
        route_name, org_id, records, response = self.handle(request, environ)
        self.standin.stats.record_call(
            request.method,
            route_name,
            response.status_code,
            dc=self.dc,
            org_id=org_id,
            records=records,
        )
        return response(environ, start_response)

    def match(self, request: Request) -> tuple[Route | None, dict]:
        path = request.path
        for method, rx, route in self.routes:
            if method != request.method:
                continue
            m = rx.match(path)
            if m:
                return route, m.groupdict()
        return None, {}

    def handle(self, request: Request, environ: dict) -> tuple[str, str | None, int, Response]:
        if request.path == "/" and request.method == "GET":
            return "home", None, 0, json_response({"service": "zoho-crm-standin", "dc": self.dc})
        header = request.headers.get("Authorization", "")
        if not request.path.startswith(f"{BASE}/") and request.path != BASE:
            if re.match(r"^/crm/v\d", request.path):
                return (
                    "unsupported_version",
                    None,
                    0,
                    api_error(400, "API_NOT_SUPPORTED", "this stand-in only serves /crm/v8", {}),
                )
            return "invalid_url", None, 0, self.invalid_url()
        if not header.startswith("Zoho-oauthtoken ") or not header[16:].strip():
            return (
                "auth_failed",
                None,
                0,
                api_error(401, "AUTHENTICATION_FAILURE", "Authentication failed", {}),
            )
        token = self.standin.oauth.lookup(self.dc, header[16:].strip())
        if token is None:
            return (
                "invalid_token",
                None,
                0,
                api_error(401, "INVALID_TOKEN", "invalid oauth token", {}),
            )
        org = self.standin.org(token.org_id)
        user = org.users.get(token.user_id) if org else None
        if org is None or user is None:
            return (
                "invalid_token",
                None,
                0,
                api_error(401, "INVALID_TOKEN", "invalid oauth token", {}),
            )
        route, params = self.match(request)
        if route is None:
            return "invalid_url", org.org_id, 0, self.invalid_url()
        call = Call(request, org, user, token)
        name = route.name
        module_name = params.get(route.module_group or "") if route.module_group else None
        if module_name is not None:
            name = f"{route.name}:{module_name}"
            call.module = org.module(module_name)
            if call.module is None:
                return (
                    name,
                    org.org_id,
                    0,
                    api_error(
                        400,
                        "INVALID_MODULE",
                        "the module name given seems to be invalid",
                        {"resource_path_index": 0},
                    ),
                )
        if not scope_ok(token.scopes, route.scope, module_name):
            return (
                name,
                org.org_id,
                0,
                api_error(
                    401, "OAUTH_SCOPE_MISMATCH", "invalid oauth scope to access this URL", {}
                ),
            )
        # Body first: its size decides cost and whether the call is "complex".
        n_records = 0
        if request.method in ("POST", "PUT"):
            try:
                call.body = json.loads(request.get_data() or b"null")
            except ValueError:
                return (
                    name,
                    org.org_id,
                    0,
                    api_error(400, "INVALID_DATA", "body is not valid JSON", {"api_name": "body"}),
                )
            if isinstance(call.body, dict) and isinstance(call.body.get("data"), list):
                n_records = len(call.body["data"])
        complex_call = route.name in ("insert", "update", "upsert") and n_records > 10
        gates = [org.gate] + ([org.sub_gate] if complex_call else [])
        entered = []
        try:
            for gate in gates:
                if not gate.enter():
                    return (
                        name,
                        org.org_id,
                        0,
                        api_error(
                            429,
                            "TOO_MANY_REQUESTS",
                            "The number of concurrent requests has exceeded the limit.",
                            {},
                        ),
                    )
                entered.append(gate)
            cost = self.cost(route.name, call, n_records)
            if not org.credits.charge(cost):
                return (
                    name,
                    org.org_id,
                    0,
                    api_error(
                        429,
                        "TOO_MANY_REQUESTS",
                        "The API credits for the last 24 hours have been exhausted.",
                        {},
                    ),
                )
            fault = self.standin.faults.take(method=request.method, path=request.path, dc=self.dc)
            after = None  # "late" and "lost" act on the request first, then on the answer
            if fault is not None and fault.status in ("late", "lost"):
                after, fault = fault, None
            if fault is not None:
                if fault.status == "slow":
                    time.sleep(fault.delay)  # Zoho holds the request, then processes it
                elif fault.status == "disconnect":
                    return f"{name}", org.org_id, 0, drop_connection(environ)
                elif fault.status == 429:
                    return (
                        name,
                        org.org_id,
                        0,
                        api_error(429, "TOO_MANY_REQUESTS", "too many requests (injected)", {}),
                    )
                else:
                    return (
                        name,
                        org.org_id,
                        0,
                        api_error(
                            int(fault.status),
                            "INTERNAL_ERROR",
                            "Internal Server Error",
                            {},
                        ),
                    )
            try:
                with org.lock:
                    response = route.handler(call, params)
            except Abort as exc:
                response = exc.response
            if after is not None and after.status == "lost":
                # Processed, but the answer never reaches the client (a dropped connection).
                return f"{name}", org.org_id, 0, drop_connection(environ)
            if after is not None:
                time.sleep(after.delay)  # processed at once; the answer comes late
            used = org.credits.used()
            if used * 2 >= org.credits.limit:
                response.headers["X-API-CREDITS-REMAINING"] = str(max(0, org.credits.limit - used))
            written = n_records if route.name in ("insert", "update", "upsert") else 0
            return name, org.org_id, written, response
        finally:
            for gate in entered:
                gate.leave()

    @staticmethod
    def invalid_url() -> Response:
        return api_error(
            404,
            "INVALID_URL_PATTERN",
            "Please check if the URL trying to access is a correct one",
            {},
        )

    @staticmethod
    def cost(route: str, call: Call, n_records: int) -> int:
        if route in ("insert", "update", "upsert"):
            return write_cost(n_records)
        if route == "create_module":
            return 500
        if route == "list" and call.request.args.get("cvid"):
            return 3
        return 1

    # ---- helpers --------------------------------------------------------------------------
    @staticmethod
    def data_list(call: Call) -> list:
        body = call.body
        if not isinstance(body, dict) or "data" not in body:
            raise bad(400, "REQUIRED_PARAM_MISSING", "required param missing", {"api_name": "data"})
        data = body["data"]
        if not isinstance(data, list):
            raise bad(
                400,
                "INVALID_DATA",
                "invalid data",
                {"api_name": "data", "expected_data_type": "jsonarray"},
            )
        if not data:
            raise bad(400, "REQUIRED_PARAM_MISSING", "required param missing", {"api_name": "data"})
        if len(data) > MAX_RECORDS:
            raise Abort(
                json_response(
                    {
                        "data": [
                            {
                                "code": "LIMIT_EXCEEDED",
                                "details": {"maximum_length": MAX_RECORDS, "api_name": "data"},
                                "message": "limit exceeded",
                                "status": "error",
                            }
                        ]
                    },
                    400,
                )
            )
        return data

    @staticmethod
    def ids_param(raw: str | None, limit: int = 100) -> list[str]:
        ids = [p.strip() for p in (raw or "").split(",") if p.strip()]
        if len(ids) > limit:
            raise bad(
                400, "LIMIT_EXCEEDED", "limit exceeded", {"limit": limit, "param_name": "ids"}
            )
        return ids

    # ---- records --------------------------------------------------------------------------
    def _write(self, call: Call, op: str, records: list, dcf: list[str] | None = None) -> Response:
        writer = Writer(call.org, call.module, call.user)
        status, results = writer.write(op, records, dcf)
        return json_response({"data": results}, status)

    def insert(self, call: Call, params: dict) -> Response:
        return self._write(call, "insert", self.data_list(call))

    def update(self, call: Call, params: dict) -> Response:
        return self._write(call, "update", self.data_list(call))

    def update_one(self, call: Call, params: dict) -> Response:
        data = self.data_list(call)
        record = data[0] if isinstance(data[0], dict) else {}
        return self._write(call, "update", [{**record, "id": params["rid"]}])

    def upsert(self, call: Call, params: dict) -> Response:
        data = self.data_list(call)
        dcf = call.body.get("duplicate_check_fields")
        if dcf is not None:
            if not isinstance(dcf, list) or not all(isinstance(x, str) for x in dcf):
                raise bad(
                    400,
                    "INVALID_DATA",
                    "invalid data",
                    {"api_name": "duplicate_check_fields", "expected_data_type": "jsonarray"},
                )
            allowed = call.module.check_fields()
            for k, name in enumerate(dcf):
                if name not in allowed:
                    raise bad(
                        400,
                        "INVALID_DATA",
                        "the given field is not a system or unique field",
                        {"api_name": name, "json_path": f"$.duplicate_check_fields[{k}]"},
                    )
        return self._write(call, "upsert", data, dcf or None)

    def delete(self, call: Call, params: dict) -> Response:
        ids = self.ids_param(call.request.args.get("ids"))
        if not ids:
            raise bad(
                400, "REQUIRED_PARAM_MISSING", "required param missing", {"param_name": "ids"}
            )
        status, results = Writer(call.org, call.module, call.user).delete(ids)
        return json_response({"data": results}, status)

    def delete_one(self, call: Call, params: dict) -> Response:
        status, results = Writer(call.org, call.module, call.user).delete([params["rid"]])
        return json_response({"data": results}, status)

    def get_record(self, call: Call, params: dict) -> Response:
        rec = call.module.records.get(params["rid"])
        if rec is None:
            return json_response(None, 204)
        fields = self.fields_param(call, required=False)
        out = call.org.public_record(call.module, rec, fields)
        if "Ordered_Items" in rec and (fields is None or "Ordered_Items" in fields):
            out["Ordered_Items"] = json.loads(json.dumps(rec["Ordered_Items"]))
        return json_response({"data": [out]})

    def fields_param(self, call: Call, *, required: bool) -> list[str] | None:
        raw = call.request.args.get("fields")
        if not raw:
            if required:
                raise bad(
                    400,
                    "REQUIRED_PARAM_MISSING",
                    "One of the expected parameter is missing",
                    {"param_name": "fields"},
                )
            return None
        names = [p.strip() for p in raw.split(",") if p.strip()]
        if len(names) > 50:
            raise bad(
                400, "LIMIT_EXCEEDED", "limit exceeded", {"limit": 50, "param_name": "fields"}
            )
        for name in names:
            if name != "id" and name not in call.module.fields:
                raise bad(
                    400, "INVALID_DATA", "invalid data", {"api_name": name, "param_name": "fields"}
                )
        return names

    def page_params(self, call: Call) -> tuple[int, int]:
        args = call.request.args
        try:
            page = int(args.get("page", 1))
            per_page = int(args.get("per_page", 200))
        except ValueError:
            raise bad(400, "INVALID_DATA", "invalid data", {"param_name": "page"}) from None
        if page < 1 or per_page < 1:
            raise bad(400, "INVALID_DATA", "invalid data", {"param_name": "page"})
        if per_page > 200:
            raise bad(
                400, "LIMIT_EXCEEDED", "limit exceeded", {"limit": 200, "param_name": "per_page"}
            )
        return page, per_page

    def list_records(self, call: Call, params: dict) -> Response:
        args = call.request.args
        fields = self.fields_param(call, required=True)
        module, org = call.module, call.org
        page, per_page = self.page_params(call)
        ids = self.ids_param(args.get("ids"))
        if ids:
            recs = [module.records[i] for i in ids if i in module.records]
            if not recs:
                return json_response(None, 204)
            data = [org.public_record(module, r, fields) for r in recs]
            info = {"per_page": len(data), "count": len(data), "page": 1, "more_records": False}
            return json_response({"data": data, "info": info})
        sort_by = args.get("sort_by") or "id"
        sort_order = (args.get("sort_order") or "asc").lower()
        token = args.get("page_token")
        if token:
            entry = org.page_tokens.get(token)
            if entry is None or entry[2] <= org.clock.timestamp() or entry[0] != module.api_name:
                raise bad(400, "INVALID_DATA", "invalid page_token", {"param_name": "page_token"})
            offset = entry[1]
        else:
            offset = (page - 1) * per_page
            if offset + per_page > PAGE_LIMIT:
                raise bad(
                    400,
                    "DISCRETE_PAGINATION_LIMIT_EXCEEDED",
                    "The no. of records that can be fetched using page param is 2000. "
                    "Please use page_token param to fetch more records.",
                    {},
                )
        if sort_by not in ("id", "Created_Time", "Modified_Time") and sort_by not in module.fields:
            raise bad(400, "INVALID_DATA", "invalid data", {"param_name": "sort_by"})
        values = module.records.values()
        if sort_by == "id" and sort_order == "asc":
            ordered = values  # ids grow with insertion order
        else:
            ordered = sorted(
                values,
                key=lambda r: (r.get(sort_by) is None, str(r.get(sort_by) or "")),
                reverse=sort_order == "desc",
            )
        window: list[dict] = []
        for idx, rec in enumerate(ordered):
            if idx < offset:
                continue
            if len(window) > per_page:
                break
            window.append(rec)
        more = len(window) > per_page
        window = window[:per_page]
        if not window:
            return json_response(None, 204)
        info: dict[str, Any] = {
            "per_page": per_page,
            "count": len(window),
            "page": page,
            "sort_by": sort_by,
            "sort_order": sort_order,
            "more_records": more,
            "next_page_token": None,
            "previous_page_token": None,
            "page_token_expiry": None,
        }
        if more:
            nxt = secrets.token_hex(20)
            now = org.clock.timestamp()
            expiry = now + PAGE_TOKEN_TTL
            if len(org.page_tokens) > 10_000:
                for key in [k for k, v in org.page_tokens.items() if v[2] <= now][:10_000]:
                    del org.page_tokens[key]
            org.page_tokens[nxt] = (module.api_name, offset + per_page, expiry)
            info["next_page_token"] = nxt
            info["page_token_expiry"] = _iso_at(expiry, org)
        data = [org.public_record(module, r, fields) for r in window]
        return json_response({"data": data, "info": info})

    # ---- metadata -------------------------------------------------------------------------
    def get_modules(self, call: Call, params: dict) -> Response:
        out = []
        for name, module in call.org.modules.items():
            plural, singular = call.org.module_labels.get(name) or schema.MODULE_LABELS.get(
                name, (name, name)
            )
            out.append(
                {
                    "id": module.meta_id,
                    "api_name": name,
                    "module_name": name,
                    "plural_label": plural,
                    "singular_label": singular,
                    "generated_type": "custom" if name in call.org.module_labels else "default",
                    "api_supported": True,
                    "creatable": True,
                    "editable": True,
                    "deletable": True,
                    "viewable": True,
                    "status": "visible",
                    "visibility": 1,
                }
            )
        return json_response({"modules": out})

    def create_module(self, call: Call, params: dict) -> Response:
        try:
            module_id = custom_modules.create_module(call.org, call.body)
        except custom_modules.ModuleError as exc:
            raise bad(exc.status, exc.code, exc.message, exc.details) from None
        return json_response(
            {
                "modules": [
                    {
                        "code": "SUCCESS",
                        "details": {"id": module_id},
                        "message": "module created",
                        "status": "success",
                    }
                ]
            },
            201,
        )

    def get_profiles(self, call: Call, params: dict) -> Response:
        return json_response({"profiles": custom_modules.profiles_json(call.org)})

    def _fields_module(self, call: Call) -> tuple[str, Module | None]:
        name = call.request.args.get("module")
        if not name:
            raise bad(
                400,
                "REQUIRED_PARAM_MISSING",
                "One of the expected parameter is missing",
                {"param_name": "module"},
            )
        if name == "Ordered_Items" and "Sales_Orders" in call.org.modules:
            return name, None
        module = call.org.module(name)
        if module is None:
            raise bad(
                400,
                "INVALID_MODULE",
                "the module name given seems to be invalid",
                {"param_name": "module"},
            )
        return name, module

    def get_fields(self, call: Call, params: dict) -> Response:
        name, module = self._fields_module(call)
        fields = module.fields.values() if module else call.org.subform_fields.values()
        return json_response({"fields": [f.meta(name) for f in fields]})

    def get_field(self, call: Call, params: dict) -> Response:
        name, module = self._fields_module(call)
        fields = module.fields.values() if module else call.org.subform_fields.values()
        for f in fields:
            if f.id == params["fid"]:
                return json_response({"fields": [f.meta(name)]})
        raise bad(
            400, "INVALID_DATA", "the given id seems to be invalid", {"resource_path_index": 2}
        )

    def post_fields(self, call: Call, params: dict) -> Response:
        _, module = self._fields_module(call)
        if module is None:
            raise bad(400, "NOT_SUPPORTED", "fields cannot be added to this module through the API")
        body = call.body if isinstance(call.body, dict) else {}
        specs = body.get("fields")
        if not isinstance(specs, list) or not specs:
            raise bad(
                400, "REQUIRED_PARAM_MISSING", "required param missing", {"api_name": "fields"}
            )
        if len(specs) > schema.FIELDS_PER_CALL:
            raise bad(
                400,
                "LIMIT_EXCEEDED",
                "limit exceeded",
                {"limit": schema.FIELDS_PER_CALL, "api_name": "fields"},
            )
        status, results = create_fields(call.org, module, specs)
        return json_response({"fields": results}, status)

    # ---- users / org ----------------------------------------------------------------------
    FILTERS: dict[str, Callable[[User, User], bool]] = {
        "AllUsers": lambda u, me: u.status != "deleted",
        "ActiveUsers": lambda u, me: u.status == "active",
        "DeactiveUsers": lambda u, me: u.status == "disabled",
        "ConfirmedUsers": lambda u, me: u.confirm,
        "NotConfirmedUsers": lambda u, me: not u.confirm,
        "DeletedUsers": lambda u, me: u.status == "deleted",
        "ActiveConfirmedUsers": lambda u, me: u.status == "active" and u.confirm,
        "AdminUsers": lambda u, me: u.profile == "Administrator",
        "ActiveConfirmedAdmins": lambda u, me: u.profile == "Administrator" and u.status == "active" and u.confirm,
        "CurrentUser": lambda u, me: u.id == me.id,
    }  # fmt: skip

    def get_users(self, call: Call, params: dict) -> Response:
        kind = call.request.args.get("type") or "AllUsers"
        pred = self.FILTERS.get(kind)
        if pred is None:
            raise bad(400, "INVALID_DATA", "invalid data", {"param_name": "type"})
        page, per_page = self.page_params(call)
        users = [u for u in call.org.users.values() if pred(u, call.user)]
        window = users[(page - 1) * per_page : page * per_page]
        if not window:
            return json_response(None, 204)
        return json_response(
            {
                "users": [u.as_json(call.org) for u in window],
                "info": {
                    "per_page": per_page,
                    "count": len(window),
                    "page": page,
                    "more_records": len(users) > page * per_page,
                },
            }
        )

    def get_user(self, call: Call, params: dict) -> Response:
        user = call.org.users.get(params["uid"])
        if user is None:
            return json_response(None, 204)
        return json_response({"users": [user.as_json(call.org)]})

    def get_org(self, call: Call, params: dict) -> Response:
        return json_response({"org": [call.org.org_json()]})

    def get_currencies(self, call: Call, params: dict) -> Response:
        return json_response({"currencies": currencies.currencies_json(call.org)})
