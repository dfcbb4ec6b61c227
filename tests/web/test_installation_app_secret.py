"""Issue 15 defect 13 (part): when the LWA client id typed in Settings is this installation's
own SP-API app, its client secret comes from the installation (settings), so the form says
so instead of "accepting" a typed secret that would never be used (Django test client)."""

from __future__ import annotations

import pytest

from amazon_ext.models import AmazonCredentials
from installation.forms.credentials import INSTALLATION_APP_MESSAGE
from tests.web.test_spapi_credentials import spapi_post, spapi_settings  # noqa: F401


@pytest.fixture
def installation_app(spapi_settings):  # noqa: F811
    # The stand-in seller's app plays the installation's own app.
    return spapi_settings


def test_a_typed_secret_for_the_installations_app_is_refused(
    admin_client, installed, installation_app, amazon_seller
):
    url = f"/orgs/{installed.id}/install/settings/"
    resp = admin_client.post(url, spapi_post(amazon_seller, lwa_client_secret="typed-secret-1"))
    assert resp.status_code == 200
    assert resp.context["form"].errors["lwa_client_secret"] == [INSTALLATION_APP_MESSAGE]
    assert "typed-secret-1" not in resp.content.decode()
    assert not AmazonCredentials.objects.filter(tenant=installed).exists()


def test_the_installations_app_without_a_secret_is_saved_with_the_installations(
    admin_client, installed, installation_app, amazon_seller
):
    html = admin_client.get(f"/orgs/{installed.id}/settings/").content.decode()
    assert "Leave it blank when the LWA client id is this installation&#x27;s own app" in html
    url = f"/orgs/{installed.id}/install/settings/"
    resp = admin_client.post(url, spapi_post(amazon_seller, lwa_client_secret=""))
    assert resp.status_code == 302, resp.context["form"].errors
    creds = AmazonCredentials.objects.get(tenant=installed)
    assert creds.lwa_client_id == installation_app.AMAZON_LWA_CLIENT_ID
    assert creds.verified_at is not None  # Amazon (the stand-in) took the installation's secret


def test_a_sellers_own_app_still_needs_and_keeps_its_secret(
    admin_client, installed, installation_app, amazon_seller
):
    installation_app.AMAZON_LWA_CLIENT_ID = "amzn1.application-oa2-client.installationapp"
    url = f"/orgs/{installed.id}/install/settings/"
    resp = admin_client.post(url, spapi_post(amazon_seller, lwa_client_secret=""))
    assert "LWA client secret" in resp.context["form"].errors["lwa_client_secret"][0]
    resp = admin_client.post(url, spapi_post(amazon_seller))
    assert resp.status_code == 302, resp.context["form"].errors
    creds = AmazonCredentials.objects.get(tenant=installed)
    assert creds.lwa_client_secret.reveal() == amazon_seller.lwa_client_secret
