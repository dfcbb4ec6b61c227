"""Pages for signing in to an organisation, the install wizard, Settings and Uninstall.

Views are thin: check access with ``tenant_for_user``, hand input to a form, call a service,
render or redirect. Nothing here touches ``Model.objects``.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from amazon_ext.services.authorization import (
    AmazonAuthorizeError,
    authorize_finish,
    authorize_start,
)
from amazon_ext.services.credentials import credentials_as_form_initial, credentials_save
from amazon_ext.services.verification import credentials_verify_with_amazon
from amazon_ext.validation import MAX_MARKETPLACES, CredentialsInvalidError, clean_marketplace_ids
from installation.forms import (
    CredentialsForm,
    InstallScopeForm,
    OrganisationForm,
    TenantSettingsForm,
    TermsForm,
    authorize_with_amazon_available,
)
from installation.selectors import tenant_connections, uninstall_inventory
from installation.services.tenant_settings import tenant_settings_update
from tenants.access import tenant_for_user, tenants_for_user
from tenants.models import Tenant
from tenants.pages import not_installed_redirect, page_context
from tenants.services import tenant_create

EXTENSION = {
    "name": "Amazon Extension",
    "version": "40",
    "shared_by": "crm.partner@tiaraconsulting.com",
}
TERMS_SESSION_KEY = "install_terms_accepted"


def _posted(request: HttpRequest):
    """The POST data to bind a form to (even when empty), or None on GET."""
    return request.POST if request.method == "POST" else None


# ---------------------------------------------------------------------------------------------
# Landing: the organisations this user may open


def healthz(request: HttpRequest) -> HttpResponse:
    """For load balancers and the compose healthcheck: the process answers and the database
    is reachable."""
    from django.db import connection

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


# ---------------------------------------------------------------------------------------------
# Install wizard: Terms → Choose Users/ Profiles → Extension Settings → Connect Zoho CRM


@login_required
@require_http_methods(["GET", "POST"])
def install_terms(request: HttpRequest, tenant_id: int) -> HttpResponse:
    tenant = tenant_for_user(tenant_id=tenant_id, user=request.user, manage=True)
    if tenant.is_installed:
        messages.info(request, "The Amazon Extension is already installed; change it here.")
        return redirect("installation:settings", tenant_id=tenant.id)
    form = TermsForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        accepted = dict(request.session.get(TERMS_SESSION_KEY) or {})
        accepted[str(tenant.id)] = timezone.now().isoformat()
        request.session[TERMS_SESSION_KEY] = accepted
        return redirect("installation:install_users", tenant_id=tenant.id)
    ctx = page_context(request, tenant, form=form, extension=EXTENSION, step=1)
    return render(request, "installation/install_terms.html", ctx)


@login_required
@require_http_methods(["GET", "POST"])
def install_users(request: HttpRequest, tenant_id: int) -> HttpResponse:
    from installation.services.install import tenant_install

    tenant = tenant_for_user(tenant_id=tenant_id, user=request.user, manage=True)
    if tenant.is_installed:
        return redirect("installation:install_credentials", tenant_id=tenant.id)
    accepted = dict(request.session.get(TERMS_SESSION_KEY) or {})
    if str(tenant.id) not in accepted:
        messages.error(request, "Agree to the Terms of Service first.")
        return redirect("installation:install_terms", tenant_id=tenant.id)
    form = InstallScopeForm(_posted(request))
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


def _save_credentials(request: HttpRequest, tenant: Tenant, form: CredentialsForm) -> bool:
    """Validate, check with Amazon and save; on failure the errors land on ``form``."""
    if not form.is_valid():
        return False
    try:
        credentials_save(
            tenant=tenant,
            data=form.service_data(),
            kind=form.cleaned_data["kind"],
            verify=credentials_verify_with_amazon,
        )
    except CredentialsInvalidError as exc:
        form.add_service_errors(exc.errors)
        return False
    messages.success(request, "Amazon accepted the credentials; they are saved.")
    return True


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
        _posted(request),
        credentials=credentials,
        initial=credentials_as_form_initial(credentials=credentials),
    )
    if request.method == "POST" and _save_credentials(request, tenant, form):
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


def zoho_connect_url(tenant: Tenant) -> str:
    """The Zoho connect view (crm_sync.zoho.urls) starts the OAuth redirect."""
    return reverse("zoho:connect", kwargs={"tenant_id": tenant.id})


# ---------------------------------------------------------------------------------------------
# Settings


@login_required
@require_http_methods(["GET", "POST"])
def settings_page(request: HttpRequest, tenant_id: int) -> HttpResponse:
    tenant = tenant_for_user(tenant_id=tenant_id, user=request.user, manage=True)
    if (response := not_installed_redirect(request, tenant)) is not None:
        return response
    form = TenantSettingsForm(_posted(request), initial=TenantSettingsForm.initial_for(tenant))
    if request.method == "POST" and form.is_valid():
        changed = tenant_settings_update(tenant=tenant, **form.cleaned_data)
        if changed:
            messages.success(request, "Settings saved.")
        else:
            messages.info(request, "Nothing changed.")
        return redirect("installation:settings", tenant_id=tenant.id)
    return _render_settings(request, tenant, settings_form=form)


@login_required
@require_POST
def settings_credentials(request: HttpRequest, tenant_id: int) -> HttpResponse:
    tenant = tenant_for_user(tenant_id=tenant_id, user=request.user, manage=True)
    if (response := not_installed_redirect(request, tenant)) is not None:
        return response
    credentials = tenant_connections(tenant=tenant).credentials
    form = CredentialsForm(request.POST, credentials=credentials)
    if _save_credentials(request, tenant, form):
        return redirect("installation:settings", tenant_id=tenant.id)
    return _render_settings(request, tenant, credentials_form=form)


def _render_settings(
    request: HttpRequest,
    tenant: Tenant,
    *,
    settings_form: TenantSettingsForm | None = None,
    credentials_form: CredentialsForm | None = None,
) -> HttpResponse:
    connections = tenant_connections(tenant=tenant)
    if settings_form is None:
        settings_form = TenantSettingsForm(initial=TenantSettingsForm.initial_for(tenant))
    if credentials_form is None:
        credentials_form = CredentialsForm(
            credentials=connections.credentials,
            initial=credentials_as_form_initial(credentials=connections.credentials),
        )
    ctx = page_context(
        request,
        tenant,
        settings_form=settings_form,
        form=credentials_form,
        connections=connections,
        zoho_connect_url=zoho_connect_url(tenant),
    )
    return render(request, "installation/settings.html", ctx)


# ---------------------------------------------------------------------------------------------
# Authorize with Amazon (SP-API website authorization workflow)


def _after_authorize(tenant_id: int, return_to: str) -> HttpResponse:
    if return_to == "wizard":
        return redirect("installation:install_zoho", tenant_id=tenant_id)
    return redirect(
        reverse("installation:settings", kwargs={"tenant_id": tenant_id}) + "#credentials"
    )


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
    raw = [request.POST.get(f"marketplace_id_{i}", "") for i in range(1, MAX_MARKETPLACES + 1)]
    marketplace_ids, errors = clean_marketplace_ids(raw, kind="spapi")
    if errors:
        credentials = tenant_connections(tenant=tenant).credentials
        if not any(v.strip() for v in raw) and credentials and credentials.marketplace_ids:
            marketplace_ids = list(credentials.marketplace_ids)
        else:
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
    messages.success(
        request,
        f"Amazon authorized: Seller ID {credentials.seller_id} is connected through the "
        f"Selling Partner API ({', '.join(credentials.marketplace_ids)}).",
    )
    return _after_authorize(result.tenant.id, result.return_to)


# ---------------------------------------------------------------------------------------------
# Uninstall


@login_required
@require_http_methods(["GET", "POST"])
def uninstall(request: HttpRequest, tenant_id: int) -> HttpResponse:
    tenant = tenant_for_user(tenant_id=tenant_id, user=request.user, manage=True)
    if request.method == "POST":
        from installation.services.uninstall import tenant_uninstall

        name = tenant.name
        tenant_uninstall(tenant=tenant)
        messages.success(
            request, f"The Amazon Extension is uninstalled; everything stored for {name} is gone."
        )
        return redirect("home")
    ctx = page_context(request, tenant, inventory=uninstall_inventory(tenant=tenant))
    return render(request, "installation/uninstall.html", ctx)
