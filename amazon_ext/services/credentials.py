"""Saving and reading a tenant's Amazon credentials."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from django.db import transaction
from django.utils import timezone

from amazon_ext.models import AmazonCredentials
from amazon_ext.validation import CredentialsInput, CredentialsInvalidError, clean_credentials
from tenants.models import Tenant

# Called with the would-be credentials before anything is saved; raises CredentialsInvalidError
# (e.g. after asking Amazon with ListMarketplaceParticipations).
Verifier = Callable[[AmazonCredentials], None]


def credentials_for(*, tenant: Tenant) -> AmazonCredentials | None:
    return AmazonCredentials.objects.filter(tenant=tenant).first()


def credentials_save(
    *,
    tenant: Tenant,
    data: Mapping[str, str],
    kind: str = "mws",
    verify: Verifier | None = None,
) -> AmazonCredentials:
    """Validate, optionally verify with Amazon, then save all fields or none.

    A secret field left blank keeps the stored value (the form never shows secrets back).
    """
    existing = credentials_for(tenant=tenant)
    same_kind = existing is not None and existing.kind == kind
    cleaned: CredentialsInput = clean_credentials(data, kind=kind, has_stored_secrets=same_kind)
    credentials = existing or AmazonCredentials(tenant=tenant)
    credentials.kind = kind
    credentials.seller_id = cleaned.seller_id
    credentials.marketplace_ids = cleaned.marketplace_ids
    credentials.lwa_client_id = cleaned.lwa_client_id
    for name in AmazonCredentials.SECRET_FIELDS:
        value = getattr(cleaned, name)
        if value is not None:
            setattr(credentials, name, value)
        elif not same_kind:
            setattr(credentials, name, "")
    if verify is not None:
        verify(credentials)
        credentials.verified_at = timezone.now()
    with transaction.atomic():
        credentials.save()
    return credentials


def credentials_as_form_initial(*, credentials: AmazonCredentials | None) -> dict[str, str]:
    """What the settings form may show: identifiers, never secrets (only whether one is set)."""
    if credentials is None:
        return {}
    initial = {"seller_id": credentials.seller_id, "lwa_client_id": credentials.lwa_client_id}
    for pos, marketplace_id in enumerate(credentials.marketplace_ids, 1):
        initial[f"marketplace_id_{pos}"] = marketplace_id
    return initial


__all__ = [
    "CredentialsInvalidError",
    "credentials_as_form_initial",
    "credentials_for",
    "credentials_save",
]
