"""What the wizard and Settings pages share: binding POST data, saving the credentials form,
and the Zoho connect link."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, QueryDict
from django.urls import reverse

from amazon_ext.services.credentials import credentials_save
from amazon_ext.services.verification import credentials_verify_with_amazon
from amazon_ext.validation import CredentialsInvalidError
from crm_sync.services.live_subscription import live_updates_changed
from installation.forms.credentials import CredentialsForm
from tenants.models import Tenant


def posted(request: HttpRequest) -> QueryDict | None:
    """The POST data to bind a form to (even when empty), or None on GET."""
    return request.POST if request.method == "POST" else None


def save_credentials(request: HttpRequest, tenant: Tenant, form: CredentialsForm) -> bool:
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
    live_updates_changed(tenant_id=tenant.pk)  # subscribe (SP-API) or unsubscribe (MWS)
    return True


def zoho_connect_url(tenant: Tenant) -> str:
    """The Zoho connect view (crm_sync.zoho.urls) starts the OAuth redirect."""
    return reverse("zoho:connect", kwargs={"tenant_id": tenant.id})
