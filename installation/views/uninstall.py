"""Uninstall: a confirmation page listing what goes, then everything stored for the tenant."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from installation.selectors import uninstall_inventory
from installation.services.uninstall import tenant_uninstall
from tenants.access import tenant_for_user
from tenants.pages import page_context


@login_required
@require_http_methods(["GET", "POST"])
def uninstall(request: HttpRequest, tenant_id: int) -> HttpResponse:
    tenant = tenant_for_user(tenant_id=tenant_id, user=request.user, manage=True)
    if request.method == "POST":
        name = tenant.name
        tenant_uninstall(tenant=tenant)
        messages.success(
            request, f"The Amazon Extension is uninstalled; everything stored for {name} is gone."
        )
        return redirect("home")
    ctx = page_context(request, tenant, inventory=uninstall_inventory(tenant=tenant))
    return render(request, "installation/uninstall.html", ctx)
