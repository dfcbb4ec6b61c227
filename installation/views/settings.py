"""Settings: the tenant's settings form and the Amazon credentials form on one page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from amazon_ext.services.credentials import credentials_as_form_initial
from crm_sync.services.live_status import live_updates_status
from crm_sync.views_live import switch_live_updates
from installation.forms.credentials import CredentialsForm
from installation.forms.settings import TenantSettingsForm
from installation.selectors import tenant_connections
from installation.services.tenant_settings import tenant_settings_update
from installation.views.common import posted, save_credentials, zoho_connect_url
from tenants.access import tenant_for_user
from tenants.models import Tenant
from tenants.pages import not_installed_redirect, page_context


@login_required
@require_http_methods(["GET", "POST"])
def settings_page(request: HttpRequest, tenant_id: int) -> HttpResponse:
    tenant = tenant_for_user(tenant_id=tenant_id, user=request.user, manage=True)
    if (response := not_installed_redirect(request, tenant)) is not None:
        return response
    form = TenantSettingsForm(posted(request), initial=TenantSettingsForm.initial_for(tenant))
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
    if save_credentials(request, tenant, form):
        return redirect("installation:settings", tenant_id=tenant.id)
    return _render_settings(request, tenant, credentials_form=form)


@login_required
@require_POST
def settings_test_email(request: HttpRequest, tenant_id: int) -> HttpResponse:
    """ "Send test email": to the run emails' recipients, saying where it went."""
    from smtplib import SMTPException

    from crm_sync.services.email_test import NoRecipientError, email_test_send

    tenant = tenant_for_user(tenant_id=tenant_id, user=request.user, manage=True)
    try:
        sent_to = email_test_send(tenant=tenant)
    except NoRecipientError as exc:
        messages.error(request, str(exc))
    except (OSError, SMTPException):
        messages.error(
            request,
            "The test email could not be sent: the mail server refused or did not answer. "
            "Check the EMAIL_* settings of this installation, then send the test again.",
        )
    else:
        messages.success(request, f"Test email sent to {', '.join(sent_to)}.")
    return redirect("installation:settings", tenant_id=tenant.id)


@login_required
@require_POST
def settings_live_updates(request: HttpRequest, tenant_id: int) -> HttpResponse:
    """Live updates on or off (the same switch as on the Schedules page)."""
    tenant_id = switch_live_updates(request, tenant_id)
    return redirect(f"{reverse('installation:settings', args=[tenant_id])}#live-updates")


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
        live=live_updates_status(tenant_id=tenant.pk),
    )
    return render(request, "installation/settings.html", ctx)
