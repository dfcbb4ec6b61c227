"""What every organisation page shares: the layout's context and the not-installed redirect."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from tenants.access import membership_profile
from tenants.models import ADMINISTRATOR_PROFILE, Tenant


def page_context(request: HttpRequest, tenant: Tenant, **extra) -> dict:
    """What every organisation page's layout needs (navigation, the user's role)."""
    profile = membership_profile(tenant=tenant, user=request.user)
    return {
        "tenant": tenant,
        "profile": profile,
        "is_admin": profile == ADMINISTRATOR_PROFILE,
        **extra,
    }


def not_installed_redirect(request: HttpRequest, tenant: Tenant) -> HttpResponse | None:
    """Pages that need an installed extension send administrators to the wizard."""
    if tenant.is_installed:
        return None
    messages.info(request, f"The Amazon Extension is not installed in {tenant.name} yet.")
    return redirect("installation:install_terms", tenant_id=tenant.id)
