"""Install and uninstall (manual §1.1 and §1.3)."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from crm_sync.models import ZohoConnection
from crm_sync.services.schedules import schedules_delete, schedules_install
from tenants.models import InstallScope, Tenant

logger = logging.getLogger(__name__)


@transaction.atomic
def tenant_install(
    *, tenant: Tenant, user, install_scope: str, allowed_profiles: list[str] | None = None
) -> Tenant:
    """Record the Terms of Service acceptance and the chosen scope; add the schedules."""
    scope = InstallScope(install_scope)
    tenant.install_scope = scope.value
    tenant.allowed_profiles = (
        sorted({p.strip() for p in allowed_profiles or [] if p.strip()})
        if scope == InstallScope.CHOSEN_PROFILES
        else []
    )
    now = timezone.now()
    tenant.terms_accepted_at = tenant.terms_accepted_at or now
    tenant.installed_at = tenant.installed_at or now
    tenant.full_clean()
    tenant.save()
    schedules_install(tenant=tenant)
    logger.info("tenant %s installed by user %s", tenant.pk, getattr(user, "pk", None))
    return tenant


def tenant_uninstall(*, tenant: Tenant) -> dict:
    """Delete everything the extension stored for the organisation, after revoking the Zoho
    authorisation (a revocation failure is reported, never blocks the deletion)."""
    from crm_sync.services.zoho_history_purge import zoho_history_purge
    from crm_sync.zoho.oauth import revoke

    report = {"zoho_token_revoked": False}
    connection = ZohoConnection.objects.filter(tenant=tenant).first()
    # The history modules' records in Zoho (manual §1.3), while the token still works.
    report["zoho_history_deleted"] = zoho_history_purge(tenant=tenant)
    if connection is not None:
        try:
            report["zoho_token_revoked"] = bool(revoke(connection=connection))
        except Exception:  # uninstall must go on; the token dies with the data
            logger.warning("tenant %s: Zoho token revocation failed", tenant.pk)
    from crm_sync.services.live_subscription import live_updates_unsubscribe_now

    # Amazon stops sending this seller's ORDER_CHANGE notifications (never blocks).
    report["live_updates_unsubscribed"] = live_updates_unsubscribe_now(tenant_id=tenant.pk)
    with transaction.atomic():
        report["schedules_deleted"] = schedules_delete(tenant=tenant)
        _, per_model = Tenant.objects.filter(pk=tenant.pk).delete()
    report["rows_deleted"] = per_model
    logger.info("tenant %s uninstalled", tenant.pk)
    return report
