"""Uninstall's part in Zoho: delete the records of the extension's history modules.

The manual: "Uninstalling this extension from Zoho CRM will delete all its associated data."
That is the Amazon Sync History and Order History records; the Sales Orders, Contacts and
Products stay (they are the seller's data). Zoho's API has no call that deletes a module, so
the emptied modules stay until an administrator deletes them in Setup; the confirmation page
says so.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.db.models import F

from crm_sync.models.zoho_history import ZohoHistoryMirror, ZohoHistoryModules
from crm_sync.zoho.client import client_for
from crm_sync.zoho.errors import ZohoError
from history.models import OrderEvent
from tenants.models import Tenant

log = logging.getLogger(__name__)

MODULE_LABELS = {"sync": "Amazon Sync History", "order": "Order History"}


@dataclass(frozen=True)
class ZohoHistoryInventory:
    """What uninstall deletes in Zoho, for the confirmation page."""

    modules: list[tuple[str, str]] = field(default_factory=list)  # (label, API name)
    sync_records: int = 0
    order_records: int = 0


def zoho_history_inventory(*, tenant: Tenant) -> ZohoHistoryInventory:
    """The history modules in the tenant's org and how many records this app wrote there."""
    row = ZohoHistoryModules.objects.filter(tenant=tenant).first()
    if row is None or not row.ready:
        return ZohoHistoryInventory()
    mirrors = ZohoHistoryMirror.objects.filter(run__tenant=tenant).exclude(zoho_id="")
    events = OrderEvent.objects.filter(
        tenant=tenant, run__zoho_mirror__isnull=False, pk__lte=F("run__zoho_mirror__events_upto")
    )
    return ZohoHistoryInventory(
        modules=[
            (MODULE_LABELS["sync"], row.sync_module),
            (MODULE_LABELS["order"], row.order_module),
        ],
        sync_records=mirrors.count(),
        order_records=events.count(),
    )


def zoho_history_purge(*, tenant: Tenant) -> dict[str, int]:
    """Delete every record of both history modules in the tenant's org (Order History first:
    it looks up Amazon Sync History). Returns records deleted per module API name; a Zoho
    failure is logged and reported as -1, never blocks the uninstall."""
    row = ZohoHistoryModules.objects.filter(tenant=tenant).first()
    if row is None or not row.ready:
        return {}
    report: dict[str, int] = {}
    try:
        client = client_for(tenant)
    except ZohoError:
        return {row.order_module: -1, row.sync_module: -1}
    try:
        for module in (row.order_module, row.sync_module):
            try:
                ids = [r.id for r in client.list_records(module, ["Name"])]
                report[module] = client.delete_records(module, ids)
            except ZohoError as exc:
                log.warning("tenant %s: deleting %s in Zoho failed: %s", tenant.pk, module, exc)
                report[module] = -1
    finally:
        client.close()
    return report
