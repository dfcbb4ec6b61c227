"""Typed records and write results: what the records API answers, read once, here.

The rest of the project never opens Zoho's JSON: a read gives a ``ZohoRecord`` (a
``SalesOrderRecord`` for Sales Orders, whose line rows carry the row ids Zoho needs to
change or delete them), a write gives one ``RecordResult`` per record sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any

from crm_sync.zoho.modules import SALES_ORDERS

LINE_ITEMS = "Ordered_Items"  # the Sales Orders subform holding the lines (v4+)


def _frozen(data: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(data))


def _decimal(value: Any) -> Decimal | None:
    """Money and quantities as ``Decimal``; JSON gave a float, so go through its text."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _lookup_id(value: Any) -> str | None:
    """The id of a lookup (``{"id": "…", "name": "…"}``), or None if it is empty."""
    if isinstance(value, dict) and value.get("id"):
        return str(value["id"])
    return None


@dataclass(frozen=True)
class ZohoRecord:
    """One record as Zoho returned it: its id and the fields (API name → value) it carried.
    ``fields`` is read-only; lookups stay Zoho's ``{"id", "name"}`` pairs."""

    module: str
    id: str
    fields: Mapping[str, Any] = field(repr=False)

    def __getitem__(self, api_name: str) -> Any:
        return self.fields[api_name]

    def get(self, api_name: str, default: Any = None) -> Any:
        return self.fields.get(api_name, default)


@dataclass(frozen=True)
class SalesOrderLine:
    """One row of a Sales Order's ``Ordered_Items``. ``id`` is the row's own id (an update
    appends rows unless it names existing ones); ``product_id`` is the Products lookup."""

    id: str
    product_id: str | None
    quantity: Decimal | None
    list_price: Decimal | None
    fields: Mapping[str, Any] = field(repr=False)


@dataclass(frozen=True)
class SalesOrderRecord(ZohoRecord):
    """A Sales Order with its line rows, in Zoho's order (only get-by-id returns them)."""

    lines: tuple[SalesOrderLine, ...] = ()

    @property
    def line_ids(self) -> list[str]:
        return [line.id for line in self.lines]


def _line(row: Mapping[str, Any]) -> SalesOrderLine:
    return SalesOrderLine(
        id=str(row.get("id") or ""),
        product_id=_lookup_id(row.get("Product_Name")),
        quantity=_decimal(row.get("Quantity")),
        list_price=_decimal(row.get("List_Price")),
        fields=_frozen(row),
    )


def record_from_json(module: str, data: Any) -> ZohoRecord | None:
    """A typed record from one entry of a response's ``data``; None if it is not a record."""
    if not isinstance(data, dict) or not data.get("id"):
        return None
    if module == SALES_ORDERS:
        rows = data.get(LINE_ITEMS)
        lines = (
            tuple(_line(r) for r in rows if isinstance(r, dict)) if isinstance(rows, list) else ()
        )
        return SalesOrderRecord(module, str(data["id"]), _frozen(data), lines)
    return ZohoRecord(module, str(data["id"]), _frozen(data))


@dataclass(frozen=True)
class RecordResult:
    """Zoho's answer for one record of a write, at the record's position in the input."""

    index: int
    ok: bool
    action: str | None  # "insert" | "update" (upsert and insert/update) or None on failure
    zoho_id: str | None
    code: str | None  # e.g. "SUCCESS", "DUPLICATE_DATA", "MANDATORY_NOT_FOUND"
    message: str | None
    field: str | None  # details.api_name of the offending field
    details: dict = field(default_factory=dict, repr=False)
    # The call carrying it was sent again after an attempt that may have been applied (no
    # answer, or a 5xx): Zoho may hold the effect of both attempts, or of the one we did not
    # hear from; verify the record before trusting this result (crm_sync/pipeline/verify.py).
    uncertain: bool = False


def result_from_json(index: int, entry: Any, *, uncertain: bool = False) -> RecordResult:
    """One write result; the offending field is found in either of Zoho's error shapes.
    ``uncertain``: see ``RecordResult.uncertain``."""
    if not isinstance(entry, dict):
        return RecordResult(
            index, False, None, None, "NO_RESULT", "Zoho sent no result", None, {}, uncertain
        )
    details = entry.get("details") if isinstance(entry.get("details"), dict) else {}
    ok = entry.get("status") == "success"
    field_name = details.get("api_name")
    if not field_name and isinstance(details.get("errors"), list):  # MULTIPLE_OR_MULTI_ERRORS
        first = next((e for e in details["errors"] if isinstance(e, dict)), {})
        field_name = (first.get("details") or {}).get("api_name")
    zoho_id = details.get("id") if ok else None
    return RecordResult(
        index=index,
        ok=ok,
        action=entry.get("action") if ok else None,
        zoho_id=str(zoho_id) if zoho_id else None,
        code=entry.get("code"),
        message=entry.get("message"),
        field=field_name,
        details=details,
        uncertain=uncertain,
    )
