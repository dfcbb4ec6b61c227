"""Zoho's one surprise on Sales Orders: an update *appends* the ``Ordered_Items`` it is sent.

To make an order's lines exactly a given list, the current line rows must be deleted by
their row id in the same update. Everything that knows this lives here, so the pipeline only
says "these are the order's lines".
"""

from __future__ import annotations

from crm_sync.zoho.client import ZohoClient
from crm_sync.zoho.modules import SALES_ORDERS
from crm_sync.zoho.records import LINE_ITEMS


def _current_line_ids(client: ZohoClient, zoho_id: str) -> list[str]:
    order = client.get_sales_order(zoho_id)
    return order.line_ids if order is not None else []


def lines_replacing_current(client: ZohoClient, *, zoho_id: str, lines: list[dict]) -> list[dict]:
    """The ``Ordered_Items`` payload that leaves exactly ``lines`` on the order: a delete for
    every line row Zoho holds now, then the new lines."""
    deletes = [{"id": row_id, "_delete": None} for row_id in _current_line_ids(client, zoho_id)]
    return deletes + lines


def remove_older_lines(client: ZohoClient, *, zoho_id: str, keep: int) -> None:
    """Delete all line rows but the last ``keep`` (the ones an upsert just appended)."""
    row_ids = _current_line_ids(client, zoho_id)
    stale = row_ids[: max(0, len(row_ids) - keep)]
    if stale:
        client.update(
            SALES_ORDERS,
            [
                {
                    "id": zoho_id,
                    LINE_ITEMS: [{"id": row_id, "_delete": None} for row_id in stale],
                }
            ],
        )
