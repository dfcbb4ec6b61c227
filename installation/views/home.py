"""Landing: the health check, the organisations this user may open, and a new organisation."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from installation.forms.organisation import OrganisationForm
from tenants.access import tenant_for_user, tenants_for_user
from tenants.services import tenant_create


def healthz(request: HttpRequest) -> HttpResponse:
    """For load balancers and the compose healthcheck: the process answers and the database
    is reachable."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    tenants = tenants_for_user(user=request.user)
    return render(
        request,
        "installation/home.html",
        {"tenants": tenants, "form": OrganisationForm(initial={"super_admin_email": ""})},
    )


@login_required
@require_POST
def organisation_create(request: HttpRequest) -> HttpResponse:
    form = OrganisationForm(request.POST)
    if not form.is_valid():
        tenants = tenants_for_user(user=request.user)
        return render(request, "installation/home.html", {"tenants": tenants, "form": form})
    tenant = tenant_create(
        name=form.cleaned_data["name"],
        super_admin_email=form.cleaned_data["super_admin_email"],
        admin_user=request.user,
    )
    return redirect("installation:install_terms", tenant_id=tenant.id)


@login_required
def tenant_home(request: HttpRequest, tenant_id: int) -> HttpResponse:
    tenant = tenant_for_user(tenant_id=tenant_id, user=request.user)
    if not tenant.is_installed:
        return redirect("installation:install_terms", tenant_id=tenant.id)
    return redirect("crm_sync:schedules", tenant_id=tenant.id)
