"""Thin views for connecting Zoho CRM: start the OAuth flow, and receive Zoho's callback."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.views.decorators.http import require_GET

from crm_sync.zoho import services
from crm_sync.zoho.errors import ZohoConnectError, ZohoStateError
from tenants.access import tenant_for_user


def _settings_url(tenant_id: int) -> str:
    return f"/orgs/{tenant_id}/settings/"


@login_required
@require_GET
def zoho_connect(request: HttpRequest, tenant_id: int) -> HttpResponse:
    """ "Connect Zoho CRM": administrators only; sends the browser to Zoho's consent page."""
    tenant = tenant_for_user(tenant_id=tenant_id, user=request.user, manage=True)
    return redirect(
        services.connect_start(tenant=tenant, user=request.user, session=request.session)
    )


@login_required
@require_GET
def zoho_callback(request: HttpRequest) -> HttpResponse:
    """Zoho's redirect back (one URI for every tenant; the tenant comes from the state)."""
    try:
        result = services.connect_finish(
            user=request.user, session=request.session, params=request.GET
        )
    except ZohoConnectError as exc:
        tenant_id = getattr(exc, "tenant_id", None)
        if isinstance(exc, ZohoStateError) or tenant_id is None:
            return HttpResponseBadRequest(exc.message, content_type="text/plain; charset=utf-8")
        messages.error(request, exc.message)
        return redirect(_settings_url(tenant_id))
    connection = result.connection
    messages.success(
        request,
        f"Zoho CRM connected: {connection.org_name or connection.org_id} "
        f"({connection.location or 'us'} data centre).",
    )
    for problem in result.problems:
        messages.warning(request, problem)
    return redirect(_settings_url(result.tenant.id))
