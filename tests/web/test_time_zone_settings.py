"""Settings' time zone: a searchable picker (an input with a datalist of the IANA zones, no
script), the Zoho organisation's zone adopted when a new organisation connects, and a zone
change that keeps today's used Run Nows used."""

from __future__ import annotations

import pytest

from crm_sync.models import ManualRunSlot
from crm_sync.services.schedules import schedules_for_tenant, tenant_today
from installation.services.install import tenant_install
from tests.crm_sync.test_zoho_support import make_tenant
from tests.fixtures.sync import connect_tenant

pytestmark = pytest.mark.django_db


def _settings_form(tenant, **changes) -> dict:
    data = {
        "time_zone": tenant.time_zone,
        "notification_emails": "",
        "install_scope": "admins",
        "allowed_profiles": "",
    }
    return {**data, **changes}


def test_the_picker_is_an_input_with_the_zones_as_suggestions(client):
    tenant, admin = make_tenant()
    tenant_install(tenant=tenant, user=admin, install_scope="admins")
    client.force_login(admin)
    html = client.get(f"/orgs/{tenant.id}/settings/").content.decode()
    assert 'list="id_time_zone-options"' in html
    assert '<datalist id="id_time_zone-options">' in html
    assert '<option value="Europe/Berlin"></option>' in html
    assert "<select" not in html.split('id="id_time_zone"')[0][-200:]

    response = client.post(
        f"/orgs/{tenant.id}/settings/", _settings_form(tenant, time_zone="Mars/Olympus")
    )
    assert "Mars/Olympus is not an IANA time zone" in response.content.decode()
    client.post(f"/orgs/{tenant.id}/settings/", _settings_form(tenant, time_zone=" Europe/Berlin "))
    tenant.refresh_from_db()
    assert tenant.time_zone == "Europe/Berlin"


def test_a_new_organisation_takes_the_zoho_orgs_time_zone(wired_settings, zoho_standin, client):
    zoho_standin.create_org(
        company_name="Berlin GmbH", admin_email="chef@berlin.example", time_zone="Europe/Berlin"
    )
    tenant, admin = make_tenant(admin_email="chef@berlin.example")
    tenant_install(tenant=tenant, user=admin, install_scope="admins")
    assert tenant.time_zone == "UTC"
    connect_tenant(
        tenant=tenant, admin=admin, zoho_standin=zoho_standin, admin_email="chef@berlin.example"
    )
    tenant.refresh_from_db()
    assert tenant.time_zone == "Europe/Berlin"
    client.force_login(admin)
    html = client.get(f"/orgs/{tenant.id}/settings/").content.decode()
    assert "Your Zoho CRM organisation's time zone: Europe/Berlin." in html

    # A zone chosen by hand is never overwritten by a reconnect.
    client.post(f"/orgs/{tenant.id}/settings/", _settings_form(tenant, time_zone="Asia/Tokyo"))
    connect_tenant(
        tenant=tenant, admin=admin, zoho_standin=zoho_standin, admin_email="chef@berlin.example"
    )
    tenant.refresh_from_db()
    assert tenant.time_zone == "Asia/Tokyo"


def test_changing_the_zone_does_not_reset_todays_run_now_allowance(client):
    tenant, admin = make_tenant()
    tenant.time_zone = "Pacific/Pago_Pago"  # UTC-11: 25 hours from Kiritimati, another date
    tenant.save()
    tenant_install(tenant=tenant, user=admin, install_scope="admins")
    today = tenant_today(tenant=tenant)
    for slot in (1, 2):  # both of today's Run Nows of Sync Amazon Record used
        ManualRunSlot.objects.create(
            tenant=tenant, schedule="sync_amazon_record", local_date=today, slot=slot, used_by=admin
        )
    ManualRunSlot.objects.create(
        tenant=tenant, schedule="update_order_status", local_date=today, slot=1, used_by=admin
    )
    client.force_login(admin)
    client.post(
        f"/orgs/{tenant.id}/settings/", _settings_form(tenant, time_zone="Pacific/Kiritimati")
    )
    tenant.refresh_from_db()
    assert tenant.time_zone == "Pacific/Kiritimati"
    assert tenant_today(tenant=tenant) != today
    left = {row.kind: row.manual_runs_left for row in schedules_for_tenant(tenant=tenant)}
    assert left == {"sync_amazon_record": 0, "update_order_status": 1}
    # The old day's rows stay: going back to the old zone today finds them again.
    assert ManualRunSlot.objects.filter(tenant=tenant, local_date=today).count() == 3
