"""Data protection: what buyer data is held, where, and when it goes; the retention
settings. Thin: the selector reads, the settings service writes."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from crm_sync.services.data_protection_report import data_protection_report
from crm_sync.services.data_protection_settings import (
    data_protection_settings,
    data_protection_settings_save,
)
from installation.forms.data_protection import DataProtectionForm
from tenants.access import tenant_for_user
from tenants.pages import not_installed_redirect, page_context


@login_required
@require_http_methods(["GET", "POST"])
def data_protection(request: HttpRequest, tenant_id: int) -> HttpResponse:
    tenant = tenant_for_user(tenant_id=tenant_id, user=request.user, manage=True)
    if (response := not_installed_redirect(request, tenant)) is not None:
        return response
    found = data_protection_settings(tenant_id=tenant.id)
    form = DataProtectionForm(
        request.POST if request.method == "POST" else None,
        initial=DataProtectionForm.initial_for(found),
    )
    if request.method == "POST" and form.is_valid():
        data_protection_settings_save(tenant_id=tenant.id, **form.cleaned_data)
        messages.success(
            request,
            "Data protection settings saved. The daily job applies them to orders already "
            "held at its next run.",
        )
        return redirect("installation:data_protection", tenant_id=tenant.id)
    report = data_protection_report(tenant_id=tenant.id)
    ctx = page_context(request, tenant, form=form, **report)
    return render(request, "installation/data_protection.html", ctx)
