"""The install wizard through the test client: Terms (enforced on the server), Choose Users/
Profiles, Extension Settings (Skip, field errors, secrets never echoed), Connect Zoho CRM."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from django.contrib.messages import get_messages

from crm_sync.models import TenantSchedule
from tenants.models import InstallScope
from tests.factories import MwsCredentialsFactory, TenantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def fresh(admin_user):
    """A tenant whose administrator has not installed the extension yet."""
    from tenants.services import membership_add

    tenant = TenantFactory(name="Fresh Org", installed_at=None)
    membership_add(tenant=tenant, user=admin_user, profile="Administrator")
    return tenant


def test_tenant_home_and_schedules_send_an_uninstalled_tenant_to_the_wizard(admin_client, fresh):
    for url in (f"/orgs/{fresh.id}/", f"/orgs/{fresh.id}/schedules/"):
        resp = admin_client.get(url)
        assert resp.status_code == 302
        assert resp["Location"] == f"/orgs/{fresh.id}/install/"


def test_terms_page_shows_the_manuals_details(admin_client, fresh):
    html = admin_client.get(f"/orgs/{fresh.id}/install/").content.decode()
    for text in ("Amazon Extension", "Extension Details", "Version", "40", "Terms of Service"):
        assert text in html
    assert "I have agreed to the" in html
    assert "data-requires-terms" in html  # the script keeps Install disabled until checked


def test_install_without_agreeing_is_refused_on_the_server(admin_client, fresh):
    resp = admin_client.post(f"/orgs/{fresh.id}/install/", {})
    assert resp.status_code == 200
    assert "Agree to the Terms of Service to install" in resp.content.decode()
    # Skipping straight to step 2 does not work either.
    resp = admin_client.post(
        f"/orgs/{fresh.id}/install/users/", {"install_scope": "all"}, follow=True
    )
    assert resp.redirect_chain[0][0] == f"/orgs/{fresh.id}/install/"
    fresh.refresh_from_db()
    assert fresh.installed_at is None and fresh.terms_accepted_at is None


def test_whole_wizard_installs_with_chosen_profiles_and_skips_credentials(admin_client, fresh):
    resp = admin_client.post(f"/orgs/{fresh.id}/install/", {"agree": "on"})
    assert resp["Location"] == f"/orgs/{fresh.id}/install/users/"
    html = admin_client.get(resp["Location"]).content.decode()
    for label in ("Choose Users/ Profiles", "Install for admins only", "Install for all users"):
        assert label in html
    # "Choose profiles" needs at least one profile.
    resp = admin_client.post(f"/orgs/{fresh.id}/install/users/", {"install_scope": "profiles"})
    assert "Name at least one profile" in resp.content.decode()
    resp = admin_client.post(
        f"/orgs/{fresh.id}/install/users/",
        {"install_scope": "profiles", "allowed_profiles": "Sales, Support"},
    )
    assert resp["Location"] == f"/orgs/{fresh.id}/install/settings/"
    fresh.refresh_from_db()
    assert fresh.is_installed and fresh.terms_accepted_at is not None
    assert fresh.install_scope == InstallScope.CHOSEN_PROFILES
    assert fresh.allowed_profiles == ["Sales", "Support"]
    assert TenantSchedule.objects.filter(tenant=fresh).count() == 2

    html = admin_client.get(resp["Location"]).content.decode()
    for label in (
        "Extension Settings",
        "Aws Accesskey",
        "Seller ID",
        "Secret Key",
        "MWS Authtoken",
        "MarketplaceID 1",
        "MarketplaceID 2",
        "MarketplaceID 3",
        "Skip",
        "Save",
        "Settings → User Permissions",
        "View your credentials",
        "Authorize a Developer",
    ):
        assert label in html, label
    resp = admin_client.post(f"/orgs/{fresh.id}/install/settings/", {"skip": "1"})
    assert resp["Location"] == f"/orgs/{fresh.id}/install/zoho/"
    html = admin_client.get(resp["Location"]).content.decode()
    assert "Connect Zoho CRM" in html
    assert f'href="/orgs/{fresh.id}/zoho/connect"' in html


def test_credentials_errors_land_on_the_field_at_fault(admin_client, installed):
    resp = admin_client.post(
        f"/orgs/{installed.id}/install/settings/",
        {
            "kind": "mws",
            "seller_id": "A2X13Y8357WGYA",
            "access_key": "SANDBOXACCESSKEY0001",
            "secret_key": "short",
            "mws_auth_token": "amzn.mws.4ea38b7b-f563-7709-4bae-87aeaEXAMPLE",
            "marketplace_id_1": "NOTAMARKET",
            "save": "1",
        },
    )
    assert resp.status_code == 200
    form = resp.context["form"]
    assert "Secret Key is 20 to 128" in form.errors["secret_key"][0]
    assert "not an Amazon marketplace ID" in form.errors["marketplace_id_1"][0]
    html = resp.content.decode()
    assert 'aria-invalid="true"' in html
    assert "short" not in html  # a typed secret is not sent back either


def test_settings_never_send_a_stored_secret_back(admin_client, installed):
    creds = MwsCredentialsFactory(tenant=installed)
    secret = creds.secret_key.reveal()
    resp = admin_client.get(f"/orgs/{installed.id}/settings/")
    html = resp.content.decode()
    assert resp.status_code == 200
    for name in ("access_key", "secret_key", "mws_auth_token"):
        plain = getattr(creds, name).reveal()
        assert plain not in html
        assert plain[-8:] not in html
    assert secret[-4:] in html  # only the "stored: ••••1a2b" hint
    assert "••••" in html
    assert 'type="password"' in html and 'value="sandbox' not in html
    assert "A2X13Y8357WGYA" in html  # identifiers are shown


def test_settings_change_time_zone_emails_and_scope(admin_client, installed):
    resp = admin_client.post(
        f"/orgs/{installed.id}/settings/",
        {
            "time_zone": "Europe/Berlin",
            "notification_emails": "ops@acme.example, boss@acme.example",
            "install_scope": "all",
        },
    )
    assert resp.status_code == 302
    installed.refresh_from_db()
    assert installed.time_zone == "Europe/Berlin"
    assert installed.email_recipients() == ["ops@acme.example", "boss@acme.example"]
    assert installed.install_scope == InstallScope.ALL_USERS
    schedule = TenantSchedule.objects.filter(tenant=installed)[0]
    local = schedule.next_run_at.astimezone(ZoneInfo("Europe/Berlin"))
    assert (local.hour, local.minute) == (23, 55)
    msgs = [str(m) for m in get_messages(resp.wsgi_request)]
    assert "Settings saved." in msgs


def test_settings_reject_a_bad_email(admin_client, installed):
    resp = admin_client.post(
        f"/orgs/{installed.id}/settings/",
        {"time_zone": "UTC", "notification_emails": "ops@acme, x", "install_scope": "admins"},
    )
    assert resp.status_code == 200
    assert "Not an email address" in resp.content.decode()


def test_settings_show_zoho_needs_reconnecting(admin_client, installed):
    from crm_sync.models import ZohoConnection

    ZohoConnection.objects.create(
        tenant=installed,
        status=ZohoConnection.Status.BROKEN,
        status_reason="Zoho refused the saved authorisation.",
        accounts_server="https://accounts.zoho.eu",
        api_domain="https://www.zohoapis.eu",
        refresh_token="1000.refresh-token-secret-value",
        location="eu",
        org_name="Acme GmbH",
    )
    html = admin_client.get(f"/orgs/{installed.id}/settings/").content.decode()
    assert "Needs reconnecting" in html
    assert "Reconnect Zoho CRM" in html
    assert "refresh-token-secret-value" not in html
