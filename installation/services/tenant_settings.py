"""Changing a tenant's settings: time zone, email recipients, install scope."""

from __future__ import annotations

from django.db import transaction

from tenants.models import Tenant


@transaction.atomic
def tenant_settings_update(
    *,
    tenant: Tenant,
    time_zone: str,
    notification_emails: list[str],
    install_scope: str,
    allowed_profiles: list[str],
    mute_no_orders_emails: bool = False,
) -> list[str]:
    """Save the settings; returns the names of the fields that changed.

    A new time zone moves both schedules to 11:55 PM in that zone.
    """
    tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
    new = {
        "time_zone": time_zone,
        "notification_emails": list(notification_emails),
        "install_scope": install_scope,
        "allowed_profiles": list(allowed_profiles),
        "mute_no_orders_emails": bool(mute_no_orders_emails),
    }
    changed = [name for name, value in new.items() if getattr(tenant, name) != value]
    if not changed:
        return []
    old_zone = tenant.time_zone
    for name in changed:
        setattr(tenant, name, new[name])
    # Validate what this form changes: a value stored from elsewhere (the super
    # administrator's email as Zoho gave it) must not make Settings unsavable.
    untouched = [f.name for f in Tenant._meta.concrete_fields if f.name not in changed]
    tenant.full_clean(exclude=untouched)
    tenant.save(update_fields=changed)
    if "time_zone" in changed:
        from crm_sync.services.run_now_zone import run_now_allowance_follow_zone
        from crm_sync.services.schedules import schedules_retime

        schedules_retime(tenant=tenant)
        # Today's used Run Nows count in the new zone's today too (not two fresh ones).
        run_now_allowance_follow_zone(tenant=tenant, old_zone=old_zone)
    return changed
