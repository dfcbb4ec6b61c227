"""Remove expired buyer data from the Zoho records the extension wrote: the shipping street
of Sales Orders, and name, email, street and phone of Contacts whose every order expired.

One ``PUT /{module}`` per 100 records (Zoho's limit per call), so the job costs
⌈orders/100⌉ + ⌈contacts/100⌉ writes. Only the fields we clear are sent: city, state,
postal code, country, the order, its lines and money are not touched (a Sales Order update
without ``Ordered_Items`` leaves its lines alone). A record the seller deleted in Zoho is
nothing left to remove; any other refusal keeps the order's buyer data due, for the next
day's job.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from crm_sync import mapping
from crm_sync.models import ZohoLink
from crm_sync.zoho.client import ZohoClient
from crm_sync.zoho.modules import CONTACTS, SALES_ORDERS

logger = logging.getLogger(__name__)

GONE = frozenset({"INVALID_DATA", "RECORD_NOT_FOUND", "NO_DATA"})  # deleted in Zoho meanwhile


@dataclass
class ZohoRedaction:
    """What one redaction did in Zoho: Amazon keys done (or with nothing left in Zoho),
    keys refused (with Zoho's reason, no buyer data in it), write calls made."""

    done: set[str] = field(default_factory=set)
    refused: dict[str, str] = field(default_factory=dict)
    writes: int = 0
    cleared: int = 0


def _links(tenant_id: int, module: str, keys: set[str]) -> dict[str, str]:
    """Amazon key → Zoho id of the records we wrote."""
    return dict(
        ZohoLink.objects.filter(
            tenant_id=tenant_id, module=module, amazon_key__in=keys
        ).values_list("amazon_key", "zoho_id")
    )


def _update(client: ZohoClient, module: str, by_key: dict[str, str], data: dict, out) -> None:
    keys = sorted(by_key)
    if not keys:
        return
    before = client.stats["writes"]
    try:
        results = client.update(module, [{"id": by_key[k], **data} for k in keys])
    finally:
        out.writes += client.stats["writes"] - before
    for key, result in zip(keys, results, strict=True):
        if result.ok:
            out.done.add(key)
            out.cleared += 1
        elif result.code in GONE:
            out.done.add(key)
        else:
            out.refused[key] = f"Zoho {result.code or 'error'}: {result.message or ''}".strip()
    # Content changed under the fingerprints: the next write of these records must go out.
    ZohoLink.objects.filter(
        tenant_id=client.connection.tenant_id, module=module, amazon_key__in=out.done & set(keys)
    ).update(fingerprint="")


def redact_sales_orders(
    *, tenant_id: int, client: ZohoClient, order_ids: set[str]
) -> ZohoRedaction:
    """Clear the shipping street of these orders' Sales Orders. Orders never written to
    Zoho are done at once."""
    out = ZohoRedaction()
    by_key = _links(tenant_id, SALES_ORDERS, order_ids)
    out.done |= order_ids - set(by_key)
    _update(client, SALES_ORDERS, by_key, mapping.sales_order_without_buyer_data(), out)
    logger.info(
        "data protection tenant=%s sales_orders cleared=%s refused=%s writes=%s",
        tenant_id,
        out.cleared,
        len(out.refused),
        out.writes,
    )
    return out


def anonymise_contacts(
    *, tenant_id: int, client: ZohoClient, names: dict, buyer_keys: set[str]
) -> ZohoRedaction:
    """Make these buyers' Contacts anonymous, keeping their key (so a later order of the
    same buyer finds the contact) and city, state, postal code and country."""
    out = ZohoRedaction()
    by_key = _links(tenant_id, CONTACTS, buyer_keys)
    out.done |= buyer_keys - set(by_key)
    _update(client, CONTACTS, by_key, mapping.contact_without_buyer_data(names), out)
    logger.info(
        "data protection tenant=%s contacts anonymised=%s refused=%s writes=%s",
        tenant_id,
        out.cleared,
        len(out.refused),
        out.writes,
    )
    return out
