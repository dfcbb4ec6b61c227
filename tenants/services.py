"""Creating tenants and memberships."""

from __future__ import annotations

from django.db import transaction

from tenants.models import InstallScope, Membership, Tenant


@transaction.atomic
def tenant_create(
    *,
    name: str,
    time_zone: str = "UTC",
    install_scope: str = InstallScope.ADMINS_ONLY,
    super_admin_email: str = "",
    admin_user=None,
) -> Tenant:
    tenant = Tenant(
        name=name,
        time_zone=time_zone,
        install_scope=install_scope,
        super_admin_email=super_admin_email,
    )
    tenant.full_clean()
    tenant.save()
    if admin_user is not None:
        membership_add(tenant=tenant, user=admin_user, profile="Administrator")
    return tenant


def membership_add(*, tenant: Tenant, user, profile: str = "Standard") -> Membership:
    membership, _ = Membership.objects.update_or_create(
        tenant=tenant, user=user, defaults={"profile": profile}
    )
    return membership
