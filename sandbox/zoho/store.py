"""In-memory CRM data: orgs, users, modules, fields and records.

Every mutation of an org happens under ``org.lock``. Records live in ``Module.records`` (dict keyed
by id, insertion ordered) and every duplicate-check or unique field has an index
``Module.index[api_name][normalised value] -> [ids]``, so writes never scan the module.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import math
import re
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

from sandbox.common.clock import SandboxClock

from . import schema
from .util import IdSource, zone

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_zuid_counter = itertools.count(70_000_000 + secrets.randbelow(10_000_000))
_zuid_lock = threading.Lock()


def next_zuid() -> str:
    with _zuid_lock:
        return str(next(_zuid_counter))


class RecordError(Exception):
    """A per-record failure; ``payload`` is the ``data[i]`` entry."""

    def __init__(self, code: str, message: str, details: dict) -> None:
        super().__init__(code)
        self.payload = {"code": code, "details": details, "message": message, "status": "error"}


def invalid(api_name: str, path: str, message: str = "invalid data", **extra: Any) -> RecordError:
    return RecordError("INVALID_DATA", message, {"api_name": api_name, "json_path": path, **extra})


def mandatory(api_name: str, path: str) -> RecordError:
    return RecordError(
        "MANDATORY_NOT_FOUND", "required field not found", {"api_name": api_name, "json_path": path}
    )


def _money(value: float) -> float:
    return round(float(value) + 0.0, 2)


@dataclass
class Field:
    id: str
    api_name: str
    field_label: str
    data_type: str
    length: int | None = None
    system_mandatory: bool = False
    read_only: bool = False
    lookup_module: str | None = None
    custom_field: bool = False
    unique: bool = False
    case_sensitive: bool = False
    created_time: str = ""

    def meta(self, module: str) -> dict:
        out: dict[str, Any] = {
            "id": self.id,
            "api_name": self.api_name,
            "field_label": self.field_label,
            "display_label": self.field_label,
            "data_type": self.data_type,
            "json_type": schema.JSON_TYPES.get(self.data_type, "string"),
            "length": self.length,
            "system_mandatory": self.system_mandatory,
            "read_only": self.read_only,
            "field_read_only": self.read_only,
            "custom_field": self.custom_field,
            "unique": {"case_sensitive": self.case_sensitive} if self.unique else {},
            "visible": True,
            "created_source": "default" if not self.custom_field else "crm",
        }
        if self.lookup_module:
            out["lookup"] = {"module": {"api_name": self.lookup_module}}
        if self.data_type == "subform":
            out["associated_module"] = {"api_name": "Ordered_Items", "module": "Ordered_Items"}
        return out


@dataclass
class User:
    id: str
    zuid: str
    email: str
    full_name: str
    profile: str = "Administrator"
    role: str = "CEO"
    status: str = "active"
    confirm: bool = True
    time_zone: str = "America/Los_Angeles"

    def as_json(self, org: Org) -> dict:
        first, _, last = self.full_name.partition(" ")
        return {
            "id": self.id,
            "zuid": self.zuid,
            "email": self.email,
            "full_name": self.full_name,
            "first_name": first if last else None,
            "last_name": last or first,
            "status": self.status,
            "confirm": self.confirm,
            "profile": {"name": self.profile, "id": org.profile_ids[self.profile]},
            "role": {"name": self.role, "id": org.role_ids[self.role]},
            "time_zone": self.time_zone,
            "type__s": "AdminUser" if self.profile == "Administrator" else "StandardUser",
        }

    def ref(self) -> dict:
        return {"name": self.full_name, "id": self.id, "email": self.email}


class Module:
    def __init__(
        self, org: Org, api_name: str, fields: list[Field], system_dup: str | None = None
    ) -> None:
        self.org = org
        self.api_name = api_name
        self.meta_id = org.ids.next()
        self.fields: dict[str, Field] = {f.api_name: f for f in fields}
        self.records: dict[str, dict] = {}
        self.index: dict[str, dict[Any, list[str]]] = {}
        self.system_dup = system_dup or schema.SYSTEM_DUPLICATE_FIELD.get(api_name)
        if self.system_dup:
            self.index[self.system_dup] = {}
        self.so_counter = itertools.count(1)

    # ---- metadata -------------------------------------------------------------------------
    def unique_fields(self) -> list[Field]:
        return [f for f in self.fields.values() if f.unique]

    def check_fields(self) -> set[str]:
        names = {f.api_name for f in self.unique_fields()}
        if self.system_dup:
            names.add(self.system_dup)
        return names

    def norm(self, api_name: str, value: Any) -> Any:
        if value is None or value == "":
            return None
        if isinstance(value, str):
            f = self.fields.get(api_name)
            if f is not None and f.unique and f.case_sensitive:
                return value.strip()
            return value.strip().lower()
        return value

    def find(self, api_name: str, value: Any) -> list[str]:
        key = self.norm(api_name, value)
        if key is None:
            return []
        return self.index.get(api_name, {}).get(key, [])

    def _index_add(self, rec: dict) -> None:
        for api_name, idx in self.index.items():
            key = self.norm(api_name, rec.get(api_name))
            if key is not None:
                idx.setdefault(key, []).append(rec["id"])

    def _index_remove(self, rec: dict) -> None:
        for api_name, idx in self.index.items():
            key = self.norm(api_name, rec.get(api_name))
            if key is None:
                continue
            ids = idx.get(key)
            if ids and rec["id"] in ids:
                ids.remove(rec["id"])
                if not ids:
                    del idx[key]

    def add_index(self, api_name: str) -> None:
        idx: dict[Any, list[str]] = {}
        self.index[api_name] = idx
        for rec in self.records.values():
            key = self.norm(api_name, rec.get(api_name))
            if key is not None:
                idx.setdefault(key, []).append(rec["id"])


class Org:
    def __init__(
        self,
        *,
        dc: str,
        edition: str,
        company_name: str,
        time_zone: str,
        clock: SandboxClock,
        legacy_field_names: bool = False,
        currency: str = "USD",
    ) -> None:
        if edition not in schema.EDITIONS:
            raise ValueError(f"unknown edition {edition!r}; choose one of {schema.EDITIONS}")
        self.lock = threading.RLock()
        self.clock = clock
        self.dc = dc
        self.edition = edition
        self.company_name = company_name
        self.time_zone = time_zone
        self.tz = zone(time_zone)
        self.currency = currency
        prefix = 1_000_000 + secrets.randbelow(8_999_999)
        self.ids = IdSource(prefix)
        self.zgid = str(600_000_000 + secrets.randbelow(300_000_000))
        self.org_id = self.zgid
        self.crm_id = self.ids.next()
        self.users: dict[str, User] = {}
        self.primary_zuid = ""
        self.profile_ids = {"Administrator": self.ids.next(), "Standard": self.ids.next()}
        self.role_ids = {"CEO": self.ids.next(), "Manager": self.ids.next()}
        self.modules: dict[str, Module] = {}
        now = clock.iso(self.tz)
        for name in schema.modules_for(edition):
            fields = [self._mkfield(spec, now) for spec in schema.SYSTEM_FIELDS[name]]
            self.modules[name] = Module(self, name, fields)
        self.subform_fields = {
            spec["api_name"]: self._mkfield(spec, now) for spec in schema.ORDERED_ITEMS_FIELDS
        }
        if legacy_field_names:
            for mod, items in schema.LEGACY_FIELDS.items():
                if mod not in self.modules:
                    continue
                for label, api_name, dtype, length in items:
                    self.modules[mod].fields[api_name] = Field(
                        id=self.ids.next(),
                        api_name=api_name,
                        field_label=label,
                        data_type=dtype,
                        length=length,
                        custom_field=True,
                        created_time=now,
                    )
        self.page_tokens: dict[str, tuple[str, int, float]] = {}
        self.module_labels: dict[str, tuple[str, str]] = {}  # custom modules only

    def add_custom_module(self, api_name: str, plural: str, singular: str) -> Module:
        now = self.now_iso()
        specs = [
            {
                "api_name": "Name",
                "field_label": f"{singular} Name",
                "data_type": "text",
                "length": 120,
                "system_mandatory": True,
                "read_only": False,
                "lookup_module": None,
            }
        ]
        specs += [dict(s) for s in schema.SYSTEM_FIELDS["Products"] if s["api_name"] in _TAIL_NAMES]
        module = Module(self, api_name, [self._mkfield(s, now) for s in specs], system_dup="Name")
        self.modules[api_name] = module
        self.module_labels[api_name] = (plural, singular)
        return module

    def _mkfield(self, spec: dict, now: str) -> Field:
        return Field(id=self.ids.next(), created_time=now, **spec)

    # ---- users ----------------------------------------------------------------------------
    def add_user(
        self,
        email: str,
        full_name: str,
        profile: str = "Administrator",
        role: str = "CEO",
        status: str = "active",
    ) -> User:
        if profile not in self.profile_ids:
            self.profile_ids[profile] = self.ids.next()
        if role not in self.role_ids:
            self.role_ids[role] = self.ids.next()
        user = User(
            id=self.ids.next(),
            zuid=next_zuid(),
            email=email,
            full_name=full_name,
            profile=profile,
            role=role,
            status=status,
            time_zone=self.time_zone,
        )
        self.users[user.id] = user
        return user

    def user_by_zuid(self, zuid: str) -> User | None:
        return next((u for u in self.users.values() if u.zuid == zuid), None)

    @property
    def primary_user(self) -> User:
        user = self.user_by_zuid(self.primary_zuid)
        assert user is not None
        return user

    def org_json(self) -> dict:
        primary = self.primary_user
        return {
            "id": self.crm_id,
            "company_name": self.company_name,
            "alias": None,
            "primary_email": primary.email,
            "primary_zuid": self.primary_zuid,
            "zgid": self.zgid,
            "domain_name": f"org{self.zgid}",
            "type": "production",
            "time_zone": self.time_zone,
            "iso_code": self.currency,
            "currency": {"USD": "Dollar", "EUR": "Euro"}.get(self.currency, self.currency),
            "currency_symbol": {"USD": "$", "EUR": "€"}.get(self.currency, self.currency),
            "country_code": "US" if self.dc == "com" else self.dc.upper(),
            "mc_status": bool(getattr(self, "currencies", None)),
            "license_details": {
                "paid": self.edition != "free",
                "paid_type": self.edition,
                "users_license_purchased": len(self.users),
                "trial_type": None,
                "trial_expiry": None,
                "paid_expiry": None,
            },
        }

    # ---- records --------------------------------------------------------------------------
    def module(self, name: str) -> Module | None:
        return self.modules.get(name)

    def now_iso(self) -> str:
        return self.clock.iso(self.tz)

    def lookup_name(self, module: str, rec: dict) -> str | None:
        display = schema.DISPLAY_FIELD.get(module, "Name")
        return rec.get(display)

    def current_lookups(self, module: Module, rec: dict) -> dict:
        """``rec`` with each lookup's ``name`` read from the record it points at now: Zoho
        stores the id and shows the related record's current name (rename a contact and
        every sales order shows the new name)."""
        for f in module.fields.values():
            value = rec.get(f.api_name)
            target = self.modules.get(f.lookup_module or "")
            if target is None or not isinstance(value, dict) or not value.get("id"):
                continue
            related = target.records.get(str(value["id"]))
            if related is not None:
                rec[f.api_name] = {**value, "name": self.lookup_name(target.api_name, related)}
        return rec

    def public_record(self, module: Module, rec: dict, fields: list[str] | None = None) -> dict:
        """A deep copy of ``rec`` without subforms (or only ``fields`` + id)."""
        if fields is None:
            out = {k: copy.deepcopy(v) for k, v in rec.items() if k != "Ordered_Items"}
        else:
            out = {"id": rec["id"]}
            for name in fields:
                if name in ("id", "Ordered_Items"):
                    continue
                out[name] = copy.deepcopy(rec.get(name))
        return self.current_lookups(module, out)


_TAIL_NAMES = {
    "Owner",
    "Created_Time",
    "Modified_Time",
    "Created_By",
    "Modified_By",
    "Description",
    "Tag",
}


def _as_number(value: Any) -> float | int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if abs(value) < 10**15 else None
    if isinstance(value, float):
        return value if math.isfinite(value) and abs(value) < 1e15 else None
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
        if not math.isfinite(number) or abs(number) >= 1e15:
            return None
        return int(number) if number.is_integer() and "." not in value else number
    return None


def _taxes_with_values(taxes: Any, base: float) -> list[dict]:
    """``[{"name", "percentage"}]`` with each tax's computed ``value`` on ``base``; entries
    that are not a tax with a numeric percentage are dropped."""
    out = []
    for tax in taxes if isinstance(taxes, list) else []:
        if not isinstance(tax, dict) or _as_number(tax.get("percentage")) is None:
            continue
        pct = float(tax["percentage"])
        out.append({"name": tax.get("name"), "percentage": pct, "value": _money(base * pct / 100)})
    return out


class Writer:
    """Validates and applies insert/update/upsert requests for one module of one org."""

    def __init__(self, org: Org, module: Module, user: User) -> None:
        self.org = org
        self.module = module
        self.user = user

    # ---- value validation -----------------------------------------------------------------
    def clean_value(self, f: Field, value: Any, path: str) -> Any:
        if value is None:
            return None
        dtype = f.data_type
        bad = invalid(f.api_name, path, expected_data_type=dtype)
        if dtype in ("text", "textarea", "email", "phone", "website", "picklist"):
            if isinstance(value, bool) or not isinstance(value, str | int | float):
                raise bad
            value = str(value)
            if f.length and len(value) > f.length:
                raise invalid(f.api_name, path, maximum_length=f.length)
            if dtype == "email" and value and not EMAIL_RE.match(value):
                raise bad
            return value
        if dtype in ("integer", "bigint"):
            number = _as_number(value)
            if number is None or (isinstance(number, float) and not number.is_integer()):
                raise bad
            return int(number) if dtype == "integer" else str(int(number))
        if dtype in ("double", "currency", "percent"):
            number = _as_number(value)
            if number is None:
                raise bad
            return number
        if dtype == "boolean":
            if not isinstance(value, bool):
                raise bad
            return value
        if dtype == "date":
            if not isinstance(value, str) or not DATE_RE.match(value):
                raise bad
            try:
                dt.date.fromisoformat(value)
            except ValueError:
                raise bad from None
            return value
        if dtype == "datetime":
            if not isinstance(value, str):
                raise bad
            try:
                parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                raise bad from None
            if parsed.tzinfo is None:
                raise bad
            return parsed.replace(microsecond=0).isoformat()
        if dtype == "lookup":
            return self.clean_lookup(f, value, path)
        if dtype == "ownerlookup":
            if not isinstance(value, dict) or str(value.get("id", "")) not in self.org.users:
                raise invalid(f.api_name, path, expected_data_type=dtype)
            return self.org.users[str(value["id"])].ref()
        if dtype == "multiselectpicklist":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise bad
            return list(value)
        if dtype == "jsonarray":
            if not isinstance(value, list):
                raise bad
            return copy.deepcopy(value)
        raise bad

    def clean_lookup(self, f: Field, value: Any, path: str) -> dict:
        if not isinstance(value, dict) or value.get("id") in (None, ""):
            raise invalid(f.api_name, path, expected_data_type="jsonobject")
        target = self.org.modules.get(f.lookup_module or "")
        rid = str(value["id"])
        if target is None:
            # Modules we do not model (price books): accept the id as given.
            return {"id": rid, "name": None}
        rec = target.records.get(rid)
        if rec is None:
            raise invalid(f.api_name, path, "the id given seems to be invalid")
        return {"id": rid, "name": self.org.lookup_name(target.api_name, rec)}

    def clean_record(self, rec: dict, i: int) -> dict:
        out: dict[str, Any] = {}
        for key, value in rec.items():
            path = f"$.data[{i}].{key}"
            if key == "$line_tax" and "Ordered_Items" in self.module.fields:
                if not isinstance(value, list):
                    raise invalid(key, path, expected_data_type="jsonarray")
                out[key] = copy.deepcopy(value)  # the order's taxes; Tax is computed from them
                continue
            if key == "id" or key.startswith("$") or key in schema.IGNORED_ON_WRITE:
                continue
            f = self.module.fields.get(key)
            if f is None:
                raise invalid(key, path, "the field api name given seems to be invalid")
            if f.read_only:
                continue  # Zoho ignores read-only fields (Sub_Total, Grand_Total, SO_Number, ...)
            if f.data_type == "subform":
                if value is not None and not isinstance(value, list):
                    raise invalid(key, path, expected_data_type="jsonarray")
                out[key] = value
                continue
            out[key] = self.clean_value(f, value, path)
        from . import currencies  # multi-currency orgs: the record's Currency and its rate

        currencies.apply(self.org, self.module.api_name, out, f"$.data[{i}]")
        return out

    # ---- subform --------------------------------------------------------------------------
    def merge_items(self, existing: list[dict], given: list, i: int, parent_id: str) -> list[dict]:
        """Spec §3: rows without id are appended; rows with id update; ``_delete`` removes."""
        rows = [copy.deepcopy(r) for r in existing]
        by_id = {r["id"]: r for r in rows}
        deleted: set[str] = set()
        sub = self.org.subform_fields
        for j, row in enumerate(given):
            base = f"$.data[{i}].Ordered_Items[{j}]"
            if not isinstance(row, dict):
                raise invalid("Ordered_Items", base, expected_data_type="jsonobject")
            row_id = row.get("id")
            if "_delete" in row:
                if row_id is None or str(row_id) not in by_id:
                    raise invalid("id", f"{base}.id", "the id given seems to be invalid")
                deleted.add(str(row_id))
                continue
            if row_id is not None:
                target = by_id.get(str(row_id))
                if target is None:
                    raise invalid("id", f"{base}.id", "the id given seems to be invalid")
            else:
                target = {"id": self.org.ids.next()}
            for key, value in row.items():
                if key in ("id", "_delete") or key.startswith("$"):
                    continue
                f = sub.get(key)
                if f is None:
                    raise invalid(
                        key, f"{base}.{key}", "the field api name given seems to be invalid"
                    )
                if f.read_only:
                    continue
                cleaned = self.clean_value(f, value, f"{base}.{key}")
                if key == "Product_Name" and cleaned is None:
                    raise mandatory("Product_Name", f"{base}.Product_Name")
                target[key] = cleaned
            if "Product_Name" not in target:
                raise mandatory("Product_Name", f"{base}.Product_Name")
            if row_id is None:
                rows.append(target)
                by_id[target["id"]] = target
        rows = [r for r in rows if r["id"] not in deleted]
        for r in rows:
            self.compute_row(r, parent_id)
        return rows

    def compute_row(self, row: dict, parent_id: str) -> None:
        products = self.org.modules["Products"]
        product = products.records.get(row["Product_Name"]["id"])
        unit_price = (product or {}).get("Unit_Price")
        if row.get("Quantity") is None:
            row["Quantity"] = 1
        if row.get("List_Price") is None:
            row["List_Price"] = unit_price if unit_price is not None else 0
        row["Unit_Price"] = unit_price
        if product is not None:
            row["Product_Name"] = {"id": product["id"], "name": product.get("Product_Name")}
        total = float(row["Quantity"]) * float(row["List_Price"])
        discount = float(row.get("Discount") or 0)
        after_discount = total - discount
        # Zoho computes a line's tax from Line_Tax (the org's taxes by name, with
        # percentages) on the amount after discount; a Tax amount sent on a line is not kept.
        row["Line_Tax"] = _taxes_with_values(row.get("Line_Tax"), after_discount)
        tax = sum(t["value"] for t in row["Line_Tax"])
        row["Discount"] = _money(discount)
        row["Tax"] = _money(tax)
        row["Total"] = _money(total)
        row["Total_After_Discount"] = _money(after_discount)
        row["Net_Total"] = _money(after_discount + tax)
        row["Parent_Id"] = {"id": parent_id}

    @staticmethod
    def compute_order(rec: dict) -> None:
        sub_total = sum(float(r.get("Net_Total") or 0) for r in rec.get("Ordered_Items") or [])
        rec["Sub_Total"] = _money(sub_total)
        discount = float(rec.get("Discount") or 0)
        # The order's Tax, like a line's, is computed from the taxes named in $line_tax
        # (on Sub_Total − Discount), never taken as an amount.
        rec["$line_tax"] = _taxes_with_values(rec.get("$line_tax"), sub_total - discount)
        rec["Tax"] = _money(sum(t["value"] for t in rec["$line_tax"]))
        rec["Grand_Total"] = _money(
            sub_total - discount + rec["Tax"] + float(rec.get("Adjustment") or 0)
        )

    # ---- upsert matching ------------------------------------------------------------------
    def match(self, cleaned: dict, order: list[str], i: int) -> tuple[str | None, str | None]:
        found: list[tuple[str, str]] = []
        for api_name in order:
            value = cleaned.get(api_name)
            ids = self.module.find(api_name, value)
            if ids:
                found.append((api_name, ids[0]))
        if not found:
            return None, None
        distinct = {rid for _, rid in found}
        if len(distinct) > 1:
            errors = [
                {
                    "code": "DUPLICATE_DATA",
                    "details": {
                        "api_name": name,
                        "json_path": f"$.data[{i}].{name}",
                        "id": rid,
                        "duplicate_record": {"id": rid},
                    },
                    "message": "duplicate data",
                    "status": "error",
                }
                for name, rid in found
            ]
            raise RecordError(
                "MULTIPLE_OR_MULTI_ERRORS",
                "multiple errors while processing the record",
                {"errors": errors},
            )
        return found[0][1], found[0][0]

    def check_order(self, dcf: list[str] | None) -> list[str]:
        uniques = [f.api_name for f in self.module.unique_fields()]
        if dcf:
            return list(dcf) + [u for u in uniques if u not in dcf]
        head = [self.module.system_dup] if self.module.system_dup else []
        return head + [u for u in uniques if u not in head]

    # ---- one record -----------------------------------------------------------------------
    def write_one(self, op: str, rec: Any, i: int, dcf: list[str] | None) -> dict:
        if not isinstance(rec, dict):
            raise invalid("data", f"$.data[{i}]", expected_data_type="jsonobject")
        mod = self.module
        cleaned = self.clean_record(rec, i)
        existing: dict | None = None
        duplicate_field = None
        if op == "update":
            rid = rec.get("id")
            if rid in (None, ""):
                raise mandatory("id", f"$.data[{i}].id")
            existing = mod.records.get(str(rid))
            if existing is None:
                raise invalid("id", f"$.data[{i}].id", "the related id given seems to be invalid")
        elif op == "upsert":
            rid, duplicate_field = self.match(cleaned, self.check_order(dcf), i)
            existing = mod.records.get(rid) if rid else None
        # Mandatory fields.
        for f in mod.fields.values():
            if not f.system_mandatory:
                continue
            present = f.api_name in cleaned
            value = cleaned.get(f.api_name)
            empty = value is None or value == "" or value == []
            if (existing is None and (not present or empty)) or (present and empty):
                raise mandatory(f.api_name, f"$.data[{i}].{f.api_name}")
        # Unique-field collisions.
        own_id = existing["id"] if existing else None
        for f in mod.unique_fields():
            value = cleaned.get(f.api_name)
            for other in mod.find(f.api_name, value):
                if other != own_id:
                    raise RecordError(
                        "DUPLICATE_DATA",
                        "duplicate data",
                        {
                            "api_name": f.api_name,
                            "json_path": f"$.data[{i}].{f.api_name}",
                            "id": other,
                            "duplicate_record": {
                                "id": other,
                                "Owner": mod.records[other].get("Owner"),
                                "module": {"api_name": mod.api_name},
                            },
                            "more_records": False,
                        },
                    )
        record_id = own_id or self.org.ids.next()
        if "Ordered_Items" in cleaned:
            given = cleaned.pop("Ordered_Items") or []
            current = existing.get("Ordered_Items", []) if existing else []
            items = self.merge_items(current, given, i, record_id)
            if not items:
                raise mandatory("Ordered_Items", f"$.data[{i}].Ordered_Items")
            cleaned["Ordered_Items"] = items
        now = self.org.now_iso()
        if existing is None:
            new = {"id": record_id, **cleaned}
            new.setdefault("Owner", self.user.ref())
            new["Created_Time"] = now
            new["Modified_Time"] = now
            new["Created_By"] = self.user.ref()
            new["Modified_By"] = self.user.ref()
            self._derive(new)
            mod.records[record_id] = new
            mod._index_add(new)
            action, stored = "insert", new
        else:
            mod._index_remove(existing)
            existing.update(cleaned)
            existing["Modified_Time"] = now
            existing["Modified_By"] = self.user.ref()
            self._derive(existing)
            mod._index_add(existing)
            action, stored = "update", existing
        result = {
            "code": "SUCCESS",
            "details": {
                "Modified_Time": stored["Modified_Time"],
                "Modified_By": {"name": self.user.full_name, "id": self.user.id},
                "Created_Time": stored["Created_Time"],
                "id": stored["id"],
                "Created_By": {
                    "name": stored["Created_By"]["name"],
                    "id": stored["Created_By"]["id"],
                },
            },
            "message": "record added" if action == "insert" else "record updated",
            "status": "success",
        }
        if op == "upsert":
            result["action"] = action
            result["duplicate_field"] = duplicate_field
        return result

    def _derive(self, rec: dict) -> None:
        name = self.module.api_name
        if "Last_Name" in self.module.fields:
            first, last = rec.get("First_Name"), rec.get("Last_Name")
            rec["Full_Name"] = " ".join(p for p in (first, last) if p)
        if name == "Sales_Orders":
            if "SO_Number" not in rec:
                rec["SO_Number"] = str(next(self.module.so_counter))
            self.compute_order(rec)

    def write(self, op: str, records: list, dcf: list[str] | None) -> tuple[int, list[dict]]:
        results = []
        for i, rec in enumerate(records):
            try:
                results.append(self.write_one(op, rec, i, dcf))
            except RecordError as exc:
                results.append(exc.payload)
        ok = sum(1 for r in results if r["status"] == "success")
        if ok == len(results):
            status = 201 if op == "insert" else 200
        elif ok == 0:
            status = 400
        else:
            status = 207
        return status, results

    def delete(self, ids: list[str]) -> tuple[int, list[dict]]:
        results = []
        for rid in ids:
            rec = self.module.records.get(rid)
            if rec is None:
                results.append(
                    {
                        "code": "INVALID_DATA",
                        "details": {"id": rid},
                        "message": "the related id given seems to be invalid",
                        "status": "error",
                    }
                )
                continue
            self.module._index_remove(rec)
            del self.module.records[rid]
            results.append(
                {
                    "code": "SUCCESS",
                    "details": {"id": rid},
                    "message": "record deleted",
                    "status": "success",
                }
            )
        ok = sum(1 for r in results if r["status"] == "success")
        status = 200 if ok == len(results) else (400 if ok == 0 else 207)
        return status, results


# ---- custom fields --------------------------------------------------------------------------
def generate_api_name(label: str, taken: set[str]) -> str:
    """Label -> API name: keep letters/digits, spaces become ``_``; append 1, 2, ... on clashes."""
    base = re.sub(r"[^A-Za-z0-9_ ]", "", label).strip()
    base = re.sub(r"[\s_]+", "_", base).strip("_") or "Field"
    if not base[0].isalpha():
        base = f"C_{base}"
    lowered = {t.lower() for t in taken}
    if base.lower() not in lowered:
        return base
    for n in range(1, 1000):
        candidate = f"{base}{n}"
        if candidate.lower() not in lowered:
            return candidate
    raise RuntimeError("could not generate an api name")


def create_fields(org: Org, module: Module, specs: list) -> tuple[int, list[dict]]:
    results = []
    for i, spec in enumerate(specs):
        try:
            f = _create_field(org, module, spec, i)
        except RecordError as exc:
            results.append(exc.payload)
            continue
        results.append(
            {
                "code": "SUCCESS",
                "details": {"id": f.id},
                "message": "field created",
                "status": "success",
            }
        )
    ok = sum(1 for r in results if r["status"] == "success")
    status = 201 if ok == len(results) else (400 if ok == 0 else 207)
    return status, results


def _create_field(org: Org, module: Module, spec: Any, i: int) -> Field:
    path = f"$.fields[{i}]"
    if not isinstance(spec, dict):
        raise invalid("fields", path, expected_data_type="jsonobject")
    label = spec.get("field_label")
    if not isinstance(label, str) or not label.strip():
        raise RecordError(
            "REQUIRED_PARAM_MISSING",
            "required param missing",
            {"api_name": "field_label", "json_path": f"{path}.field_label"},
        )
    label = label.strip()
    if len(label) > 50:
        raise invalid("field_label", f"{path}.field_label", maximum_length=50)
    if label.lower() in schema.RESERVED_LABELS:
        raise RecordError(
            "RESERVED_KEYWORD_NOT_ALLOWED",
            "reserved keyword not allowed",
            {"api_name": "field_label", "json_path": f"{path}.field_label"},
        )
    dtype = spec.get("data_type")
    if dtype is None:
        raise RecordError(
            "REQUIRED_PARAM_MISSING",
            "required param missing",
            {"api_name": "data_type", "json_path": f"{path}.data_type"},
        )
    lookup_module = None
    if dtype == "lookup":
        # A lookup names its target as {"lookup": {"module": {"api_name": …}}}.
        target = (
            (spec.get("lookup") or {}).get("module")
            if isinstance(spec.get("lookup"), dict)
            else None
        )
        lookup_module = target.get("api_name") if isinstance(target, dict) else None
        if not lookup_module or lookup_module not in org.modules:
            raise invalid("lookup", f"{path}.lookup")
    elif dtype not in schema.CUSTOM_DATA_TYPES:
        raise invalid("data_type", f"{path}.data_type")
    max_len = schema.CUSTOM_DATA_TYPES.get(dtype)
    length = spec.get("length", max_len)
    if max_len is not None:
        if isinstance(length, bool) or not isinstance(length, int) or not 1 <= length <= max_len:
            raise invalid("length", f"{path}.length", maximum_length=max_len)
    else:
        length = None
    if any(f.field_label.lower() == label.lower() for f in module.fields.values()):
        raise RecordError(
            "DUPLICATE_DATA",
            "duplicate data",
            {"api_name": "field_label", "json_path": f"{path}.field_label"},
        )
    unique_spec = spec.get("unique")
    unique = bool(unique_spec) or unique_spec == {}
    if (
        unique_spec is not None
        and unique_spec is not False
        and not isinstance(unique_spec, dict | bool)
    ):
        raise invalid("unique", f"{path}.unique", expected_data_type="jsonobject")
    case_sensitive = False
    if isinstance(unique_spec, dict):
        case_sensitive = bool(unique_spec.get("case_sensitive", False))
    if unique and dtype not in schema.UNIQUE_ALLOWED_TYPES:
        raise invalid("unique", f"{path}.unique")
    customs = [f for f in module.fields.values() if f.custom_field]
    if len(customs) >= schema.CUSTOM_FIELD_CAP[org.edition]:
        raise RecordError(
            "LIMIT_EXCEEDED",
            "custom field limit exceeded",
            {
                "limit": schema.CUSTOM_FIELD_CAP[org.edition],
                "api_name": "fields",
                "json_path": path,
            },
        )
    if unique and len(module.unique_fields()) >= schema.UNIQUE_FIELD_CAP:
        raise RecordError(
            "LIMIT_EXCEEDED",
            "maximum unique fields limit reached",
            {"limit": schema.UNIQUE_FIELD_CAP, "api_name": "unique", "json_path": f"{path}.unique"},
        )
    api_name = generate_api_name(label, set(module.fields))
    f = Field(
        id=org.ids.next(),
        api_name=api_name,
        field_label=label,
        data_type=dtype,
        length=length,
        lookup_module=lookup_module,
        custom_field=True,
        unique=unique,
        case_sensitive=case_sensitive,
        created_time=org.now_iso(),
    )
    if unique:
        # Existing duplicates would make the field impossible in Zoho; refuse likewise.
        seen: set = set()
        for rec in module.records.values():
            key = module.norm(api_name, rec.get(api_name))
            if key is not None and key in seen:
                raise invalid("unique", f"{path}.unique", "duplicate values exist")
            seen.add(key)
    module.fields[api_name] = f
    if unique:
        module.add_index(api_name)
    return f


@dataclass
class SandboxOrg:
    """What ``ZohoStandIn.create_org`` hands back to tests."""

    org_id: str
    crm_id: str
    zgid: str
    dc: str
    edition: str
    company_name: str
    primary_zuid: str
    admin_email: str
    users: list[dict] = field(default_factory=list)
    modules: list[str] = field(default_factory=list)
    org: Org | None = field(default=None, repr=False)
