"""A sales order's lookups (its Contact and each line's Product) are staged as Amazon keys
in typed columns (``buyer_key``, ``product_keys``) and resolved to Zoho ids only when the
order is written, by a pure function: no database, no Zoho."""

from __future__ import annotations

from collections.abc import Iterable

from crm_sync.models import StagedRecord

CONTACT = "Contact_Name"
LINES = "Ordered_Items"
PRODUCT = "Product_Name"


def without_lookups(data: dict) -> dict:
    """A sales order's Zoho record with its Contact and line Products taken out (they are
    staged as Amazon keys instead)."""
    stripped = {key: value for key, value in data.items() if key != CONTACT}
    stripped[LINES] = [
        {key: value for key, value in line.items() if key != PRODUCT} for line in data[LINES]
    ]
    return stripped


def resolve(
    rows: Iterable[StagedRecord], *, product_ids: dict[str, str], contact_ids: dict[str, str]
) -> tuple[list[tuple[StagedRecord, dict]], list[tuple[StagedRecord, str]]]:
    """Staged sales orders → (ready: (row, record with Zoho ids in its lookups),
    unwritable: (row, why)). ``product_ids``: ASIN → Zoho id; ``contact_ids``: buyer key →
    Zoho id; a key missing from them means its product or contact could not be written."""
    ready: list[tuple[StagedRecord, dict]] = []
    unwritable: list[tuple[StagedRecord, str]] = []
    for row in rows:
        missing = [asin for asin in row.product_keys if asin not in product_ids]
        contact_id = contact_ids.get(row.buyer_key)
        if missing:
            unwritable.append((row, f"product {', '.join(missing)} could not be written"))
            continue
        if contact_id is None:
            unwritable.append((row, "the buyer's contact could not be written"))
            continue
        lines = [
            {PRODUCT: {"id": product_ids[asin]}, **line}
            for asin, line in zip(row.product_keys, row.data[LINES], strict=True)
        ]
        ready.append((row, {**row.data, CONTACT: {"id": contact_id}, LINES: lines}))
    return ready, unwritable
