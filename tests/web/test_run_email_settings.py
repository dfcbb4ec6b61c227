"""Who receives the run emails: the address typed at set-up survives connecting Zoho CRM
(whose super administrator is shown beside it), "Send test email", and muting the emails of
runs that find no orders."""

from __future__ import annotations

import pytest
from django.core import mail
from django.utils import timezone

from crm_sync.services.notifications import run_email_send
from history.models import SyncRun
from installation.services.install import tenant_install
from tests.factories import MembershipFactory, TenantFactory, UserFactory
from tests.fixtures.sync import connect_tenant

pytestmark = pytest.mark.django_db


@pytest.fixture
def typed(wired_settings, zoho_standin):
    zoho_standin.create_org(
        edition="enterprise", company_name="Acme Inc", admin_email="admin@acme.example"
    )
    tenant = TenantFactory(name="Acme Outdoor", super_admin_email="orders@acme-shop.example")
    admin = UserFactory(username="acme-admin", email="admin@acme.example")
    MembershipFactory(tenant=tenant, user=admin, profile="Administrator")
    tenant_install(tenant=tenant, user=admin, install_scope="admins")
    connect_tenant(
        tenant=tenant, admin=admin, zoho_standin=zoho_standin, admin_email="admin@acme.example"
    )
    tenant.refresh_from_db()
    return tenant, admin


def _run(tenant, outcome) -> SyncRun:
    now = timezone.now()
    return SyncRun.objects.create(
        tenant=tenant,
        schedule="sync_amazon_record",
        trigger="scheduled",
        started_at=now,
        finished_at=now,
        outcome=outcome,
        error="Amazon refused the credentials." if outcome == "failed" else "",
    )


def test_the_address_typed_at_set_up_is_kept_and_both_are_shown(typed, client):
    tenant, admin = typed
    assert tenant.email_recipients() == ["orders@acme-shop.example"]
    assert tenant.super_admin_email == "admin@acme.example"  # Zoho's, recorded beside it
    client.force_login(admin)
    page = client.get(f"/orgs/{tenant.id}/settings/").content.decode()
    assert "super administrator: admin@acme.example" in page
    assert "<strong>orders@acme-shop.example</strong>" in page

    run_email_send(run=_run(tenant, "success"))
    assert mail.outbox[-1].to == ["orders@acme-shop.example"]


def test_send_test_email_goes_to_the_recipients_and_says_so(typed, client):
    tenant, admin = typed
    client.force_login(admin)
    page = client.post(f"/orgs/{tenant.id}/settings/test-email", follow=True).content.decode()
    assert "Test email sent to orders@acme-shop.example." in page
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["orders@acme-shop.example"]
    assert mail.outbox[0].subject == "Amazon sync: test email for Acme Outdoor"


def test_send_test_email_without_recipients_says_what_to_do(db, client):
    tenant = TenantFactory(name="Empty Co", super_admin_email="")
    admin = UserFactory(username="empty-admin")
    MembershipFactory(tenant=tenant, user=admin, profile="Administrator")
    tenant_install(tenant=tenant, user=admin, install_scope="admins")
    client.force_login(admin)
    page = client.post(f"/orgs/{tenant.id}/settings/test-email", follow=True).content.decode()
    assert "Nobody receives the run emails yet" in page
    assert mail.outbox == []


def test_muted_no_orders_emails_are_not_sent_but_failures_are(typed, client):
    tenant, admin = typed
    client.force_login(admin)
    response = client.post(
        f"/orgs/{tenant.id}/settings/",
        {
            "time_zone": tenant.time_zone,
            "notification_emails": "orders@acme-shop.example",
            "mute_no_orders_emails": "on",
            "install_scope": "admins",
            "allowed_profiles": "",
        },
    )
    assert response.status_code == 302
    tenant.refresh_from_db()
    assert tenant.mute_no_orders_emails

    assert run_email_send(run=_run(tenant, "no_orders")) == 0
    assert mail.outbox == []
    run_email_send(run=_run(tenant, "failed"))
    assert [m.subject for m in mail.outbox] == ["Amazon sync: Sync Amazon Record failed"]
