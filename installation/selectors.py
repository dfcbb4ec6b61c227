"""Reads for the extension's pages: what a tenant has connected, and what uninstall deletes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from amazon_ext.models import AmazonCredentials
from amazon_ext.validation import clean_marketplace_ids
from crm_sync.models import ManualRunSlot, TenantSchedule, ZohoConnection, ZohoLink
from crm_sync.services.zoho_history_purge import ZohoHistoryInventory, zoho_history_inventory
from history.models import OrderEvent, SyncRun
from tenants.models import Membership, Tenant


@dataclass(frozen=True)
class TenantConnections:
    """The tenant's Amazon credentials and Zoho connection, either may be missing."""

    credentials: AmazonCredentials | None
    zoho: ZohoConnection | None


def tenant_connections(*, tenant: Tenant) -> TenantConnections:
    return TenantConnections(
        credentials=AmazonCredentials.objects.filter(tenant=tenant).first(),
        zoho=ZohoConnection.objects.filter(tenant=tenant).first(),
    )


def marketplace_ids_to_authorize(
    *, tenant: Tenant, typed: Sequence[str]
) -> tuple[list[str], dict[str, str]]:
    """The Marketplace IDs to send to Authorize with Amazon, and what is wrong with them.

    The ones typed on the form when they are valid for SP-API; when none were typed, the
    stored ones. The errors (field → message) are empty when the IDs can be used.
    """
    marketplace_ids, errors = clean_marketplace_ids(list(typed), kind="spapi")
    if errors:
        credentials = tenant_connections(tenant=tenant).credentials
        if not any(v.strip() for v in typed) and credentials and credentials.marketplace_ids:
            return list(credentials.marketplace_ids), {}
    return marketplace_ids, errors


@dataclass(frozen=True)
class UninstallInventory:
    """What uninstalling will delete, as the confirmation page lists it."""

    has_credentials: bool
    has_zoho: bool
    zoho_org: str
    schedules: int
    sync_runs: int
    order_events: int
    links: int
    manual_runs: int
    members: int
    zoho_history: ZohoHistoryInventory | None = None


def uninstall_inventory(*, tenant: Tenant) -> UninstallInventory:
    zoho = ZohoConnection.objects.filter(tenant=tenant).only("org_name", "org_id").first()
    return UninstallInventory(
        has_credentials=AmazonCredentials.objects.filter(tenant=tenant).exists(),
        has_zoho=zoho is not None,
        zoho_org=(zoho.org_name or zoho.org_id) if zoho else "",
        schedules=TenantSchedule.objects.filter(tenant=tenant).count(),
        sync_runs=SyncRun.objects.filter(tenant=tenant).count(),
        order_events=OrderEvent.objects.filter(tenant=tenant).count(),
        links=ZohoLink.objects.filter(tenant=tenant).count(),
        manual_runs=ManualRunSlot.objects.filter(tenant=tenant).count(),
        members=Membership.objects.filter(tenant=tenant).count(),
        zoho_history=zoho_history_inventory(tenant=tenant),
    )
