"""Links from our pages to a record in the organisation's Zoho CRM web UI, per data centre:
``https://crm.zoho.<dc>/crm/<domain_name>/tab/SalesOrders/<id>``.

The connection is read once per page (kept on the tenant object the page renders), so a
table of a hundred Order History rows costs one query, not a hundred.
"""

from __future__ import annotations

from django import template
from django.conf import settings

from crm_sync.models import ZohoConnection

register = template.Library()

# Zoho's data centre ("location" on the OAuth callback) → its CRM web host.
WEB_HOSTS = {
    "us": "https://crm.zoho.com",
    "eu": "https://crm.zoho.eu",
    "in": "https://crm.zoho.in",
    "au": "https://crm.zoho.com.au",
    "jp": "https://crm.zoho.jp",
    "ca": "https://crm.zohocloud.ca",
    "sa": "https://crm.zoho.sa",
    "uk": "https://crm.zoho.uk",
    "cn": "https://crm.zoho.com.cn",
}
# Module API name → its tab in the web UI's addresses.
WEB_TABS = {"Sales_Orders": "SalesOrders", "Products": "Products", "Contacts": "Contacts"}


def zoho_web_base(tenant) -> str:
    """``https://crm.zoho.eu/crm/org649525316`` for the tenant's org, or "" when unknown."""
    cached = getattr(tenant, "_zoho_web_base", None)
    if cached is not None:
        return cached
    connection = (
        ZohoConnection.objects.filter(tenant_id=tenant.pk).only("location", "domain_name").first()
    )
    base = ""
    if connection is not None and connection.domain_name:
        host = settings.ZOHO_CRM_WEB_URL or WEB_HOSTS.get(connection.location or "us", "")
        base = f"{host.rstrip('/')}/crm/{connection.domain_name}" if host else ""
    tenant._zoho_web_base = base
    return base


@register.simple_tag
def zoho_record_url(tenant, module: str, record_id: str) -> str:
    """The record's page in Zoho CRM, or "" (the page then shows the bare id)."""
    base = zoho_web_base(tenant) if record_id else ""
    tab = WEB_TABS.get(module)
    return f"{base}/tab/{tab}/{record_id}" if base and tab else ""
