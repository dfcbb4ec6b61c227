"""The install wizard: Terms → Choose Users/ Profiles → Extension Settings → Connect Zoho CRM.

Agreeing to the Terms is remembered in the session (per tenant) until step 2 installs the
extension, which records the acceptance on the tenant.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from amazon_ext.services.credentials import credentials_as_form_initial
from installation.forms.credentials import CredentialsForm
from installation.forms.wizard import InstallScopeForm, TermsForm
from installation.selectors import tenant_connections
from installation.services.install import tenant_install
from installation.views.common import posted, save_credentials, zoho_connect_url
from tenants.access import tenant_for_user
from tenants.pages import not_installed_redirect, page_context

EXTENSION = {
    "name": "Amazon Extension",
    "version": "40",
    "shared_by": "crm.partner@tiaraconsulting.com",
}
TERMS_SESSION_KEY = "install_terms_accepted"


def _terms_accepted(session: SessionBase) -> dict[str, str]:
    """Tenant id → when this browser agreed to the Terms (ISO time), not yet installed."""
    return dict(session.get(TERMS_SESSION_KEY) or {})


@login_required
@require_http_methods(["GET", "POST"])
def install_terms(request: HttpRequest, tenant_id: int) -> HttpResponse:
    tenant = tenant_for_user(tenant_id=tenant_id, user=request.user, manage=True)
    if tenant.is_installed:
        messages.info(request, "The Amazon Extension is already installed; change it here.")
        return redirect("installation:settings", tenant_id=tenant.id)
    form = TermsForm(posted(request))
    if request.method == "POST" and form.is_valid():
        accepted = _terms_accepted(request.session)
        accepted[str(tenant.id)] = timezone.now().isoformat()
        request.session[TERMS_SESSION_KEY] = accepted
        return redirect("installation:install_users", tenant_id=tenant.id)
    ctx = page_context(request, tenant, form=form, extension=EXTENSION, step=1)
    return render(request, "installation/install_terms.html", ctx)


@login_required
@require_http_methods(["GET", "POST"])
def install_users(request: HttpRequest, tenant_id: int) -> HttpResponse:
    tenant = tenant_for_user(tenant_id=tenant_id, user=request.user, manage=True)
    if tenant.is_installed:
        return redirect("installation:install_credentials", tenant_id=tenant.id)
    accepted = _terms_accepted(request.session)
    if str(tenant.id) not in accepted:
        messages.error(request, "Agree to the Terms of Service first.")
        return redirect("installation:install_terms", tenant_id=tenant.id)
    form = InstallScopeForm(posted(request))
    if request.method == "POST" and form.is_valid():
        tenant_install(
            tenant=tenant,
            user=request.user,
            install_scope=form.cleaned_data["install_scope"],
            allowed_profiles=form.cleaned_data["allowed_profiles"],
        )
        accepted.pop(str(tenant.id), None)
        request.session[TERMS_SESSION_KEY] = accepted
        messages.success(request, f"The Amazon Extension is installed in {tenant.name}.")
        return redirect("installation:install_credentials", tenant_id=tenant.id)
    ctx = page_context(request, tenant, form=form, step=2)
    return render(request, "installation/install_users.html", ctx)


@login_required
@require_http_methods(["GET", "POST"])
def install_credentials(request: HttpRequest, tenant_id: int) -> HttpResponse:
    tenant = tenant_for_user(tenant_id=tenant_id, user=request.user, manage=True)
    if (response := not_installed_redirect(request, tenant)) is not None:
        return response
    if request.method == "POST" and "skip" in request.POST:
        messages.info(request, "Skipped: enter the Amazon credentials later in Settings.")
        return redirect("installation:install_zoho", tenant_id=tenant.id)
    credentials = tenant_connections(tenant=tenant).credentials
    form = CredentialsForm(
        posted(request),
        credentials=credentials,
        initial=credentials_as_form_initial(credentials=credentials),
    )
    if request.method == "POST" and save_credentials(request, tenant, form):
        return redirect("installation:install_zoho", tenant_id=tenant.id)
    ctx = page_context(request, tenant, form=form, step=3)
    return render(request, "installation/install_credentials.html", ctx)


@login_required
def install_zoho(request: HttpRequest, tenant_id: int) -> HttpResponse:
    tenant = tenant_for_user(tenant_id=tenant_id, user=request.user, manage=True)
    if (response := not_installed_redirect(request, tenant)) is not None:
        return response
    ctx = page_context(
        request,
        tenant,
        connections=tenant_connections(tenant=tenant),
        zoho_connect_url=zoho_connect_url(tenant),
        step=4,
    )
    return render(request, "installation/install_zoho.html", ctx)
