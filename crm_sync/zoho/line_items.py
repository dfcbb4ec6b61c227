"""Zoho's one surprise on Sales Orders: an update *appends* the ``Ordered_Items`` it is sent.

To make an order's lines exactly a given list, the current line rows must be deleted by
their row id in the same update. Everything that knows this lives here, so the pipeline only
says "these are the order's lines", and asks whether the order Zoho holds is the one it wrote
(``difference``): an upsert that Zoho applied twice (a retry after a lost answer, a write
still in flight when the worker died) has its lines twice.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal, InvalidOperation

from crm_sync.zoho.client import ZohoClient
from crm_sync.zoho.records import SalesOrderRecord

CENT = Decimal("0.01")  # Zoho keeps amounts to 2 decimals


def _current_line_ids(client: ZohoClient, zoho_id: str) -> list[str]:
    order = client.get_sales_order(zoho_id)
    return order.line_ids if order is not None else []


def lines_replacing_current(client: ZohoClient, *, zoho_id: str, lines: list[dict]) -> list[dict]:
    """The ``Ordered_Items`` payload that leaves exactly ``lines`` on the order: a delete for
    every line row Zoho holds now, then the new lines."""
    deletes = [{"id": row_id, "_delete": None} for row_id in _current_line_ids(client, zoho_id)]
    return deletes + lines


def lines_replacing(order: SalesOrderRecord | None, lines: list[dict]) -> list[dict]:
    """``lines_replacing_current`` for an order already read."""
    deletes = [{"id": row_id, "_delete": None} for row_id in (order.line_ids if order else [])]
    return deletes + lines


def _line_key(product_id: object, quantity: object) -> tuple[str, Decimal]:
    return str(product_id or ""), Decimal(str(quantity if quantity is not None else 0))


def difference(order: SalesOrderRecord, *, lines: list[dict], grand_total: Decimal) -> str:
    """How the order Zoho holds differs from the one we wrote ("" if it does not): its
    lines, by product and quantity (a retried upsert that Zoho applied twice doubles them),
    and its Grand_Total (which Zoho computes). ``lines`` are Ordered_Items as we send them."""
    held = Counter(_line_key(line.product_id, line.quantity) for line in order.lines)
    wanted = Counter(
        _line_key((line.get("Product_Name") or {}).get("id"), line.get("Quantity"))
        for line in lines
    )
    if held != wanted:
        return f"Zoho holds {sum(held.values())} line(s) where Amazon's order has {len(lines)}"
    total = _decimal_or_none(order.get("Grand_Total"))
    if total is None or total.quantize(CENT) != grand_total.quantize(CENT):
        return f"Zoho's Grand_Total is {total} where Amazon's total is {grand_total}"
    return ""


def _decimal_or_none(value: object) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None
