"""Thin views for connecting Zoho CRM: start the OAuth flow, and receive Zoho's callback."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from crm_sync.zoho import services
from crm_sync.zoho.client import client_for
from crm_sync.zoho.errors import ZohoConnectError, ZohoError, ZohoStateError
from crm_sync.zoho.modules_setup import history_modules_setup
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


@login_required
@require_POST
def zoho_history_setup(request: HttpRequest, tenant_id: int) -> HttpResponse:
    """ "Set up history modules" in Settings: administrators only; creates (or finds) the
    Amazon Sync History and Order History modules and says what happened."""
    tenant = tenant_for_user(tenant_id=tenant_id, user=request.user, manage=True)
    try:
        client = client_for(tenant)
    except ZohoError as exc:
        messages.error(request, str(exc))
        return redirect(_settings_url(tenant.id))
    try:
        row = history_modules_setup(connection=client.connection, client=client)
    finally:
        client.close()
    if row.ready:
        messages.success(
            request,
            "Amazon Sync History and Order History are set up in Zoho CRM; every run is "
            "written there from now on (earlier runs follow within a few minutes).",
        )
    else:
        messages.warning(request, row.message)
    return redirect(_settings_url(tenant.id))
