"""The live-updates switch (Schedules page; Settings uses the same)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from crm_sync.services.live_subscription import live_updates_set
from tenants.access import tenant_for_user


def switch_live_updates(request: HttpRequest, tenant_id: int) -> int:
    """Live updates on or off for an administrator's organisation, said in a message; the
    Schedules page and Settings share it. Returns the tenant's id."""
    tenant = tenant_for_user(tenant_id=tenant_id, user=request.user, manage=True)
    enabled = request.POST.get("enabled") == "on"
    live_updates_set(tenant_id=tenant.pk, enabled=enabled)
    messages.success(
        request,
        "Live updates are on: Amazon is asked to send this seller's order changes."
        if enabled
        else "Live updates are off; the daily schedules keep the CRM in step.",
    )
    return tenant.pk


@login_required
@require_POST
def live_updates_switch(request: HttpRequest, tenant_id: int) -> HttpResponse:
    return redirect("crm_sync:schedules", tenant_id=switch_live_updates(request, tenant_id))
