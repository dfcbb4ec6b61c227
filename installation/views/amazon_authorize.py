"""Authorize with Amazon: the SP-API website authorization workflow (out and back)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from amazon_ext.services.authorization import (
    AmazonAuthorizeError,
    authorize_finish,
    authorize_start,
)
from amazon_ext.services.verification import credentials_verify_with_amazon
from amazon_ext.validation import MAX_MARKETPLACES
from crm_sync.services.live_subscription import live_updates_changed
from installation.forms.credentials import authorize_with_amazon_available
from installation.selectors import marketplace_ids_to_authorize
from tenants.access import tenant_for_user


@login_required
@require_POST
def amazon_authorize(request: HttpRequest, tenant_id: int) -> HttpResponse:
    """The "Authorize with Amazon" button: remember the Marketplace IDs typed on the form,
    then send the administrator to Amazon's consent page."""
    tenant = tenant_for_user(tenant_id=tenant_id, user=request.user, manage=True)
    return_to = request.POST.get("return_to", "settings")
    back = (
        redirect("installation:install_credentials", tenant_id=tenant.id)
        if return_to == "wizard"
        else redirect(reverse("installation:settings", kwargs={"tenant_id": tenant.id}))
    )
    if not authorize_with_amazon_available():
        messages.error(request, "Authorize with Amazon is not set up on this installation.")
        return back
    typed = [request.POST.get(f"marketplace_id_{i}", "") for i in range(1, MAX_MARKETPLACES + 1)]
    marketplace_ids, errors = marketplace_ids_to_authorize(tenant=tenant, typed=typed)
    if errors:
        messages.error(
            request,
            "Enter the Marketplace IDs (one SP-API region) before Authorize with Amazon: "
            + " ".join(errors.values()),
        )
        return back
    return redirect(
        authorize_start(
            tenant=tenant,
            user=request.user,
            session=request.session,
            marketplace_ids=marketplace_ids,
            return_to=return_to,
        )
    )


def amazon_redirect_uri(request: HttpRequest) -> str:
    return settings.AMAZON_SPAPI_REDIRECT_URI or request.build_absolute_uri(
        reverse("installation:amazon_callback")
    )


@login_required
@require_GET
def amazon_callback(request: HttpRequest) -> HttpResponse:
    """Amazon's redirect back (one URI for every tenant; the tenant comes from the state)."""
    try:
        result = authorize_finish(
            user=request.user,
            session=request.session,
            params=request.GET,
            redirect_uri=amazon_redirect_uri(request),
            verify=credentials_verify_with_amazon,
        )
    except AmazonAuthorizeError as exc:
        if exc.tenant_id is None:
            return HttpResponseBadRequest(exc.message, content_type="text/plain; charset=utf-8")
        messages.error(request, exc.message)
        return _after_authorize(exc.tenant_id, "settings")
    credentials = result.credentials
    live_updates_changed(tenant_id=result.tenant.id)  # ORDER_CHANGE subscription
    messages.success(
        request,
        f"Amazon authorized: Seller ID {credentials.seller_id} is connected through the "
        f"Selling Partner API ({', '.join(credentials.marketplace_ids)}).",
    )
    return _after_authorize(result.tenant.id, result.return_to)


def _after_authorize(tenant_id: int, return_to: str) -> HttpResponse:
    if return_to == "wizard":
        return redirect("installation:install_zoho", tenant_id=tenant_id)
    return redirect(
        reverse("installation:settings", kwargs={"tenant_id": tenant_id}) + "#credentials"
    )
