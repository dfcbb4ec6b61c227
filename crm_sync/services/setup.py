"""Is the tenant set up enough to sync? With Zoho CRM not connected (or needing a reconnect)
or no Amazon credentials, Run Now is disabled and the nightly schedules are paused: a run
could only fail, and a failure email every night says nothing the banner does not."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from amazon_ext.models import AmazonCredentials
from crm_sync.models import ZohoConnection
from tenants.models import Tenant


@dataclass(frozen=True)
class SetupProblem:
    """What is missing, and the link that fixes it."""

    message: str
    link_text: str
    url: str


def setup_problems(*, tenant: Tenant) -> list[SetupProblem]:
    """What keeps the tenant's runs from working; empty when set-up is complete."""
    problems = []
    settings_url = reverse("installation:settings", kwargs={"tenant_id": tenant.id})
    connect_url = reverse("zoho:connect", kwargs={"tenant_id": tenant.id})
    if not AmazonCredentials.objects.filter(tenant=tenant).exists():
        problems.append(
            SetupProblem(
                message="Amazon is not connected: no Amazon credentials are saved.",
                link_text="Enter them in Settings",
                url=f"{settings_url}#credentials",
            )
        )
    zoho = ZohoConnection.objects.filter(tenant=tenant).only("status").first()
    if zoho is None:
        problems.append(
            SetupProblem(
                message="Zoho CRM is not connected.",
                link_text="Connect Zoho CRM",
                url=connect_url,
            )
        )
    elif zoho.status != ZohoConnection.Status.CONNECTED:
        problems.append(
            SetupProblem(
                message="Zoho CRM needs reconnecting: it refused the saved authorisation.",
                link_text="Reconnect Zoho CRM",
                url=connect_url,
            )
        )
    return problems
