"""A tenant's data-protection settings: read (creating them, with a fresh buyer-key secret,
the first time they are needed) and saved from the Settings page."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction

from crm_sync.buyer_keys import BuyerKeyer, new_secret
from crm_sync.models.data_protection import (
    MAX_NON_PII_DAYS,
    MAX_RETENTION_DAYS,
    DataProtectionSettings,
)


def data_protection_settings(*, tenant_id: int) -> DataProtectionSettings:
    """The tenant's settings; created with Amazon's limits and a new secret if missing.
    Two workers creating them at once end with the same row (the unique tenant wins)."""
    found = DataProtectionSettings.objects.filter(tenant_id=tenant_id).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return DataProtectionSettings.objects.create(
                tenant_id=tenant_id, buyer_key_secret=new_secret()
            )
    except IntegrityError:
        return DataProtectionSettings.objects.get(tenant_id=tenant_id)


def keyer_for_tenant(*, tenant_id: int) -> BuyerKeyer:
    """The tenant's Contact keyer (its secret decrypted here, never logged)."""
    return _keyer(data_protection_settings(tenant_id=tenant_id))


@dataclass(frozen=True)
class StagingProtection:
    """What staging one batch needs of the settings, read once for the batch: the Contact
    keyer and how many days buyer data is kept after delivery."""

    keyer: BuyerKeyer
    retention_days: int


def staging_protection(*, tenant_id: int) -> StagingProtection:
    """The tenant's keyer and retention, from one read of its settings (three plain values,
    no model instance; created first if missing)."""
    columns = ("buyer_key_secret", "anonymous_contacts", "retention_days")
    read = DataProtectionSettings.objects.filter(tenant_id=tenant_id).values_list(*columns)
    found = read.first()
    if found is None:
        data_protection_settings(tenant_id=tenant_id)  # creates them
        found = read.get()
    secret, anonymous, retention_days = found
    return StagingProtection(
        keyer=BuyerKeyer(secret.reveal(), anonymous), retention_days=retention_days
    )


def _keyer(found: DataProtectionSettings) -> BuyerKeyer:
    return BuyerKeyer(found.buyer_key_secret.reveal(), found.anonymous_contacts)


def data_protection_settings_save(
    *, tenant_id: int, retention_days: int, non_pii_days: int, anonymous_contacts: str
) -> DataProtectionSettings:
    """Save what the seller chose. Longer than Amazon allows is refused, not shortened
    silently (the form says so first)."""
    if not 1 <= retention_days <= MAX_RETENTION_DAYS:
        raise ValueError(
            f"Keep buyer data between 1 and {MAX_RETENTION_DAYS} days after delivery: "
            "Amazon's Data Protection Policy allows no longer."
        )
    if not 30 <= non_pii_days <= MAX_NON_PII_DAYS:
        raise ValueError(
            f"Keep order history between 30 and {MAX_NON_PII_DAYS} days (18 months, Amazon's "
            "limit for non-PII data)."
        )
    found = data_protection_settings(tenant_id=tenant_id)
    found.retention_days = retention_days
    found.non_pii_days = non_pii_days
    found.anonymous_contacts = DataProtectionSettings.Anonymous(anonymous_contacts).value
    found.save(update_fields=["retention_days", "non_pii_days", "anonymous_contacts", "updated_at"])
    return found
