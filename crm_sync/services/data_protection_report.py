"""What the Data protection page shows (a selector: reads only): what is stored and where,
the retention settings, the job's last runs and what they removed, and the orders still
holding buyer data with when each expires. The evidence a seller shows in Amazon's
security review."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Min, Q

from crm_sync.models.data_protection import BuyerDataHold, DataProtectionRun
from crm_sync.services.data_protection_settings import data_protection_settings

# What the extension stores and where, in the seller's words (kept beside the code that
# stores it: the pipeline, crm_sync.pipeline.holds, crm_sync.services.redact_*).
WHERE_STORED = [
    (
        "Zoho CRM Contacts",
        "Buyer name, relay email (Amazon Buyer Email), mailing street and phone, while they "
        "may be kept; the Amazon Buyer Key (a keyed hash, not PII), city, state, postal code "
        "and country stay.",
    ),
    (
        "Zoho CRM Sales Orders",
        "Shipping street while it may be kept; the order, its lines, money, status, city, "
        "state, postal code and country stay.",
    ),
    (
        "This app's database",
        "Records waiting to be written (minutes), and, encrypted, the buyer data of each "
        "order until it expires (to find and remove it). Order states, Order History and "
        "Amazon Sync History hold no buyer data and are deleted after the history limit.",
    ),
    (
        "Emails",
        "Run emails name no buyer. With the file email backend, stored copies are cleaned "
        "too; with SMTP nothing is stored here.",
    ),
    (
        "Logs",
        "Ids and counts only, never buyer data or secrets. Keep them at least 12 months "
        "(Amazon's policy).",
    ),
]


@dataclass(frozen=True)
class HeldOrder:
    amazon_order_id: str
    marketplace_id: str
    basis: str
    expires_at: datetime | None


def data_protection_report(*, tenant_id: int, limit: int = 200) -> dict:
    found = data_protection_settings(tenant_id=tenant_id)
    open_holds = BuyerDataHold.objects.filter(tenant_id=tenant_id, removed_at=None)
    totals = open_holds.aggregate(
        held=Count("id"),
        waiting=Count("id", filter=Q(expires_at=None)),
        next_expiry=Min("expires_at"),
    )
    held = [
        HeldOrder(h.amazon_order_id, h.marketplace_id, h.delivery_basis, h.expires_at)
        for h in open_holds.order_by("expires_at", "amazon_order_id").only(
            "amazon_order_id", "marketplace_id", "delivery_basis", "expires_at"
        )[:limit]
    ]
    removed = BuyerDataHold.objects.filter(tenant_id=tenant_id).exclude(removed_at=None).count()
    runs = list(DataProtectionRun.objects.filter(tenant_id=tenant_id)[:10])
    return {
        "settings": found,
        "where_stored": WHERE_STORED,
        "held_count": totals["held"],
        "waiting_for_shipment": totals["waiting"],
        "next_expiry": totals["next_expiry"],
        "held": held,
        "held_shown": len(held),
        "removed_count": removed,
        "last_run": runs[0] if runs else None,
        "runs": runs,
    }
