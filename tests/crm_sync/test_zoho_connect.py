"""Connecting Zoho CRM through the browser: the whole OAuth dance over real HTTP, through the
Django test client and the stand-in's consent page."""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.contrib.messages import get_messages
from django.http import HttpResponse
from django.urls import include, path

from crm_sync.models import ZohoConnection
from crm_sync.zoho import services
from crm_sync.zoho.tokens import reveal
from tenants import oauth_state
from tests.crm_sync.test_zoho_support import add_member, make_tenant, use_standin
from tests.fixtures.zoho import TEST_CLIENT_SECRET, zoho_authorize


def _page(request, **kwargs):
    return HttpResponse("stand-in page")


# The project's config/urls.py includes the Zoho URLs the same way; the named stand-in pages
# are what the shared 403/404 templates link to.
urlpatterns = [
    path("", include("crm_sync.zoho.urls")),
    path("", _page, name="home"),
    path("login/", _page, name="login"),
    path("logout/", _page, name="logout"),
]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


@pytest.fixture(autouse=True)
def _zoho_settings(settings, zoho_standin):
    use_standin(settings, zoho_standin)


def _start(client, tenant) -> str:
    resp = client.get(f"/orgs/{tenant.id}/zoho/connect")
    assert resp.status_code == 302
    return resp["Location"]


def _finish(client, callback_url: str):
    parts = urlsplit(callback_url)
    assert parts.path == "/zoho/callback"
    return client.get(parts.path, dict(parse_qsl(parts.query)))


def _messages(resp) -> list[str]:
    return [str(m) for m in get_messages(resp.wsgi_request)]


@pytest.mark.parametrize("dc", ["com", "eu"])
def test_connect_dance_uses_the_callbacks_accounts_server_and_api_domain(
    client, zoho_standin, dc, caplog
):
    caplog.set_level(logging.DEBUG)
    org = zoho_standin.create_org(
        dc=dc, edition="enterprise", company_name=f"Acme {dc}", admin_email=f"boss@{dc}.example"
    )
    tenant, admin = make_tenant()
    client.force_login(admin)

    authorize = _start(client, tenant)
    query = dict(parse_qsl(urlsplit(authorize).query))
    # Every tenant starts at the configured (US) accounts server, whatever its data centre.
    assert authorize.startswith(f"{zoho_standin.accounts_url}/oauth/v2/auth?")
    assert query["access_type"] == "offline"
    assert query["prompt"] == "consent"
    assert query["response_type"] == "code"
    # Records, fields, users and the org: nothing more than the client calls.
    assert set(query["scope"].split(",")) == {
        "ZohoCRM.modules.ALL",
        "ZohoCRM.settings.ALL",
        "ZohoCRM.users.READ",
        "ZohoCRM.org.READ",
    }
    assert query["redirect_uri"] == "http://testserver/zoho/callback"
    assert query["state"]

    callback = zoho_authorize(zoho_standin, authorize, f"boss@{dc}.example")
    zoho_standin.stats.reset()
    resp = _finish(client, callback)

    assert resp.status_code == 302
    assert resp["Location"] == f"/orgs/{tenant.id}/settings/"
    assert any(m.startswith("Zoho CRM connected: Acme " + dc) for m in _messages(resp))

    accounts_url, api_url = zoho_standin.dc_urls[dc]
    connection = ZohoConnection.objects.get(tenant=tenant)
    assert connection.status == ZohoConnection.Status.CONNECTED
    assert connection.location == dc
    assert connection.accounts_server == accounts_url
    assert connection.api_domain == api_url
    assert connection.org_id == org.crm_id
    assert connection.edition == "enterprise"
    assert connection.connected_by == admin
    assert reveal(connection.refresh_token).startswith("1000.")
    # Tokens are stored encrypted: the column holds Fernet ciphertext, not the token.
    assert connection.refresh_token.ciphertext != reveal(connection.refresh_token)

    # The code was exchanged at the callback's accounts server, every API call went to
    # that data centre's API host, and nothing reached the other one.
    token_calls = [e for e in zoho_standin.stats.log if e["route"].startswith("token:")]
    assert [(e["route"], e["dc"]) for e in token_calls] == [("token:authorization_code", dc)]
    accounts_routes = ("token:", "serverinfo", "revoke")
    api_calls = [e for e in zoho_standin.stats.log if not e["route"].startswith(accounts_routes)]
    assert api_calls
    assert {e["dc"] for e in api_calls} == {dc}

    tenant.refresh_from_db()
    assert tenant.super_admin_email == f"boss@{dc}.example"
    # Field setup ran as part of connecting.
    assert connection.fields_ready_at is not None
    assert connection.field_api_names["Products"]["ASIN No"] == zoho_standin.field_api_name(
        org.org_id, "Products", "ASIN No"
    )

    secrets = [
        reveal(connection.refresh_token),
        reveal(connection.access_token),
        TEST_CLIENT_SECRET,
        dict(parse_qsl(urlsplit(callback).query))["code"],
    ]
    for secret in secrets:
        assert secret not in caplog.text
        assert secret not in repr(connection)
        assert secret not in str(connection)


def test_super_admin_is_the_primary_contact_not_any_administrator(client, zoho_standin):
    org = zoho_standin.create_org(
        dc="com", company_name="Acme", admin_email="first@acme.example", second_admin=True
    )
    # Make the org's primary contact the *second* administrator listed.
    ops = next(u for u in org.users if u["email"] == "ops.admin@acme.example")
    org.org.primary_zuid = ops["zuid"]
    tenant, admin = make_tenant()
    client.force_login(admin)

    _finish(client, zoho_authorize(zoho_standin, _start(client, tenant), "first@acme.example"))

    tenant.refresh_from_db()
    assert tenant.super_admin_email == "ops.admin@acme.example"


def test_standard_edition_is_refused_with_a_clear_message(client, zoho_standin):
    org = zoho_standin.create_org(
        dc="com", edition="standard", company_name="Small Co", admin_email="boss@small.example"
    )
    tenant, admin = make_tenant()
    client.force_login(admin)

    callback = zoho_authorize(zoho_standin, _start(client, tenant), "boss@small.example")
    resp = _finish(client, callback)

    assert resp.status_code == 302
    assert resp["Location"] == f"/orgs/{tenant.id}/settings/"
    assert (
        "Your Zoho CRM edition (standard) has no Sales Orders module; "
        "the extension needs Professional or above."
    ) in _messages(resp)
    assert not ZohoConnection.objects.filter(tenant=tenant).exists()
    # The grant we are not keeping was given back to Zoho.
    assert all(rt.revoked for rt in zoho_standin.oauth.refresh.values() if rt.org_id == org.org_id)


def test_state_replay_is_refused(client, zoho_standin):
    zoho_standin.create_org(dc="com", company_name="Acme", admin_email="boss@acme.example")
    tenant, admin = make_tenant()
    client.force_login(admin)
    callback = zoho_authorize(zoho_standin, _start(client, tenant), "boss@acme.example")
    assert _finish(client, callback).status_code == 302

    again = _finish(client, callback)

    assert again.status_code == 400
    assert "already used" in again.content.decode()


def test_state_from_another_session_is_refused(client, zoho_standin, django_user_model):
    zoho_standin.create_org(dc="com", company_name="Acme", admin_email="boss@acme.example")
    tenant, admin = make_tenant()
    client.force_login(admin)
    callback = zoho_authorize(zoho_standin, _start(client, tenant), "boss@acme.example")

    # Another administrator of the same tenant, in their own browser session, is handed the
    # callback URL (login CSRF / a leaked link): the state is not theirs.
    other = add_member(tenant, "second@acme.example", profile="Administrator")
    from django.test import Client

    other_browser = Client()
    other_browser.force_login(other)
    resp = _finish(other_browser, callback)

    assert resp.status_code == 400
    assert not ZohoConnection.objects.filter(tenant=tenant).exists()


def test_forged_or_expired_state_is_refused(client, zoho_standin, monkeypatch):
    zoho_standin.create_org(dc="com", company_name="Acme", admin_email="boss@acme.example")
    tenant, admin = make_tenant()
    client.force_login(admin)
    callback = zoho_authorize(zoho_standin, _start(client, tenant), "boss@acme.example")
    params = dict(parse_qsl(urlsplit(callback).query))

    forged = client.get("/zoho/callback", {**params, "state": params["state"][:-2] + "xx"})
    assert forged.status_code == 400

    monkeypatch.setattr(oauth_state, "MAX_AGE_SECONDS", -1)
    expired = client.get("/zoho/callback", params)
    assert expired.status_code == 400
    assert "10 minutes" in expired.content.decode()
    assert not ZohoConnection.objects.filter(tenant=tenant).exists()


def test_forged_accounts_server_gets_no_client_secret(client, zoho_standin):
    zoho_standin.create_org(dc="com", company_name="Acme", admin_email="boss@acme.example")
    tenant, admin = make_tenant()
    client.force_login(admin)
    callback = zoho_authorize(zoho_standin, _start(client, tenant), "boss@acme.example")
    params = dict(parse_qsl(urlsplit(callback).query))

    resp = client.get(
        "/zoho/callback", {**params, "accounts-server": "https://accounts.evil.example"}
    )

    assert resp.status_code == 302
    assert any("accounts server we do not recognise" in m for m in _messages(resp))
    assert not ZohoConnection.objects.filter(tenant=tenant).exists()


def test_only_administrators_may_connect(client, zoho_standin):
    tenant, _ = make_tenant()
    member = add_member(tenant, "clerk@acme.example", profile="Standard")
    client.force_login(member)
    assert client.get(f"/orgs/{tenant.id}/zoho/connect").status_code == 403

    _, outsider = make_tenant(name="Other Co", admin_email="x@other.example")
    client.force_login(outsider)
    assert client.get(f"/orgs/{tenant.id}/zoho/connect").status_code == 404


def test_consent_denied_changes_nothing(client, zoho_standin):
    zoho_standin.create_org(dc="com", company_name="Acme", admin_email="boss@acme.example")
    tenant, admin = make_tenant()
    client.force_login(admin)

    callback = zoho_authorize(
        zoho_standin, _start(client, tenant), "boss@acme.example", approve=False
    )
    resp = _finish(client, callback)

    assert resp.status_code == 302
    assert any("not granted" in m for m in _messages(resp))
    assert not ZohoConnection.objects.filter(tenant=tenant).exists()


def test_reconnecting_replaces_the_connection_and_revokes_the_old_token(
    client, zoho_standin, django_capture_on_commit_callbacks
):
    zoho_standin.create_org(dc="com", company_name="Acme", admin_email="boss@acme.example")
    tenant, admin = make_tenant()
    client.force_login(admin)
    _finish(client, zoho_authorize(zoho_standin, _start(client, tenant), "boss@acme.example"))
    first = ZohoConnection.objects.get(tenant=tenant)
    old_token = reveal(first.refresh_token)
    zoho_standin.stats.reset()

    with django_capture_on_commit_callbacks(execute=True):
        _finish(client, zoho_authorize(zoho_standin, _start(client, tenant), "boss@acme.example"))

    second = ZohoConnection.objects.get(tenant=tenant)
    assert second.pk == first.pk
    assert reveal(second.refresh_token) != old_token
    assert zoho_standin.oauth.refresh[old_token].revoked
    # Same org: the fields exist, so the second setup created none.
    assert zoho_standin.stats.count("create_fields", "POST") == 0


def test_disconnect_revokes_the_grant_and_forgets_the_connection(client, zoho_standin):
    zoho_standin.create_org(dc="eu", company_name="Acme", admin_email="boss@acme.example")
    tenant, admin = make_tenant()
    client.force_login(admin)
    _finish(client, zoho_authorize(zoho_standin, _start(client, tenant), "boss@acme.example"))
    token = reveal(ZohoConnection.objects.get(tenant=tenant).refresh_token)

    assert services.disconnect(tenant=tenant) is True

    assert zoho_standin.oauth.refresh[token].revoked
    assert not ZohoConnection.objects.filter(tenant=tenant).exists()


@pytest.mark.parametrize(
    "server", ["https://accounts.zoho.com:99999999", "https://accounts.zoho.com:x"]
)
def test_accounts_server_with_a_bad_port_is_refused_not_a_500(client, zoho_standin, server):
    zoho_standin.create_org(dc="com", company_name="Acme", admin_email="boss@acme.example")
    tenant, admin = make_tenant()
    client.force_login(admin)
    client.raise_request_exception = False
    callback = zoho_authorize(zoho_standin, _start(client, tenant), "boss@acme.example")
    params = dict(parse_qsl(urlsplit(callback).query))

    resp = client.get("/zoho/callback", {**params, "accounts-server": server})

    assert resp.status_code == 302
    assert any("accounts server we do not recognise" in m for m in _messages(resp))
    assert not ZohoConnection.objects.filter(tenant=tenant).exists()
