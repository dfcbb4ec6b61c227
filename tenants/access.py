"""The one place that decides who may use a tenant's extension.

Every view and service that takes a user goes through ``tenant_for_user``. Non-members get a
404 (we do not confirm that another organisation exists); members outside the install scope
get a 403 that says why.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from tenants.models import ADMINISTRATOR_PROFILE, InstallScope, Membership, Tenant


def may_use_extension(*, tenant: Tenant, membership: Membership | None) -> bool:
    """Install scope from the manual's "Choose Users/Profiles" step.

    Administrators may always use it (they installed it and manage it); others depend on the
    scope: nobody else for "admins only", every member for "all users", and members whose
    profile is listed for "choose profiles".
    """
    if membership is None or membership.tenant_id != tenant.id:
        return False
    if membership.profile == ADMINISTRATOR_PROFILE:
        return True
    if tenant.install_scope == InstallScope.ALL_USERS:
        return True
    if tenant.install_scope == InstallScope.CHOSEN_PROFILES:
        return membership.profile in (tenant.allowed_profiles or [])
    return False


def membership_for(*, tenant_id: int, user) -> Membership | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        Membership.objects.select_related("tenant")
        .filter(tenant_id=tenant_id, user_id=user.pk)
        .first()
    )


def tenant_for_user(*, tenant_id: int, user, manage: bool = False) -> Tenant:
    """Fetch the tenant and check access in one step.

    ``manage=True`` is for settings, credentials, Run Now and uninstall: administrators only.
    """
    membership = membership_for(tenant_id=tenant_id, user=user)
    if membership is None:
        raise Http404("No such organisation.")
    tenant = membership.tenant
    if manage and not membership.is_administrator:
        raise PermissionDenied("Only administrators of this organisation can change this.")
    if not may_use_extension(tenant=tenant, membership=membership):
        raise PermissionDenied(
            "The Amazon extension is not installed for your profile "
            f"({membership.profile}) in {tenant.name}. Ask an administrator."
        )
    return tenant


def tenants_for_user(*, user) -> list[Tenant]:
    """The organisations this user may open, for the organisation picker."""
    memberships = Membership.objects.select_related("tenant").filter(user_id=user.pk)
    return [m.tenant for m in memberships if may_use_extension(tenant=m.tenant, membership=m)]


def membership_profile(*, tenant: Tenant, user) -> str:
    """The user's profile in the tenant ("Administrator", "Standard", ...), or ""."""
    membership = Membership.objects.filter(tenant=tenant, user_id=user.pk).only("profile").first()
    return membership.profile if membership else ""
