"""The install-scope helper and tenant isolation."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from tenants.access import may_use_extension, tenant_for_user
from tenants.models import InstallScope
from tests.factories import MembershipFactory


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("scope", "allowed_profiles", "profile", "allowed"),
    [
        (InstallScope.ADMINS_ONLY, [], "Administrator", True),
        (InstallScope.ADMINS_ONLY, [], "Standard", False),
        (InstallScope.ALL_USERS, [], "Standard", True),
        (InstallScope.ALL_USERS, [], "Sales", True),
        (InstallScope.CHOSEN_PROFILES, ["Sales"], "Sales", True),
        (InstallScope.CHOSEN_PROFILES, ["Sales"], "Standard", False),
        (InstallScope.CHOSEN_PROFILES, ["Sales"], "Administrator", True),
    ],
)
def test_install_scope(tenant, scope, allowed_profiles, profile, allowed):
    tenant.install_scope = scope
    tenant.allowed_profiles = allowed_profiles
    tenant.save()
    membership = MembershipFactory(tenant=tenant, profile=profile)
    assert may_use_extension(tenant=tenant, membership=membership) is allowed


@pytest.mark.django_db
def test_user_of_another_tenant_gets_404(tenant, other_admin):
    with pytest.raises(Http404):
        tenant_for_user(tenant_id=tenant.pk, user=other_admin)


@pytest.mark.django_db
def test_standard_user_under_admins_only_is_refused_with_reason(tenant, standard_user):
    with pytest.raises(PermissionDenied, match="not installed for your profile"):
        tenant_for_user(tenant_id=tenant.pk, user=standard_user)


@pytest.mark.django_db
def test_standard_user_may_use_but_not_manage(tenant, standard_user):
    tenant.install_scope = InstallScope.ALL_USERS
    tenant.save()
    assert tenant_for_user(tenant_id=tenant.pk, user=standard_user) == tenant
    with pytest.raises(PermissionDenied, match="Only administrators"):
        tenant_for_user(tenant_id=tenant.pk, user=standard_user, manage=True)
