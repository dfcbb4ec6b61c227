"""Extension Settings with both Amazon connections, and *Authorize with Amazon* round-tripping
through the Amazon stand-in's consent page (Django test client for our pages, ``requests``
for Amazon's)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.core.cache import cache

from amazon_ext.models import AmazonCredentials
from tests.fixtures.amazon import AMAZON_APPLICATION_ID


@pytest.fixture
def spapi_settings(settings, amazon_standin, amazon_seller):
    cache.clear()
    settings.AMAZON_SPAPI_ENDPOINT_OVERRIDE = amazon_standin.url
    settings.AMAZON_LWA_TOKEN_URL = f"{amazon_standin.url}/auth/o2/token"
    settings.AMAZON_SPAPI_CONSENT_URL = amazon_standin.url
    settings.AMAZON_SPAPI_APP_ID = AMAZON_APPLICATION_ID
    settings.AMAZON_LWA_CLIENT_ID = amazon_seller.lwa_client_id
    settings.AMAZON_LWA_CLIENT_SECRET = amazon_seller.lwa_client_secret
    settings.AMAZON_QUOTA_TIME_SCALE = amazon_standin.time_scale
    return settings


def checked(html: str, kind: str) -> bool:
    return re.search(rf'name="kind" value="{kind}"[^>]*checked', html) is not None


def spapi_post(seller, **overrides) -> dict[str, str]:
    data = {
        "kind": "spapi",
        "lwa_client_id": seller.lwa_client_id,
        "lwa_client_secret": seller.lwa_client_secret,
        "lwa_refresh_token": seller.refresh_token,
        "seller_id": seller.seller_id,
        "marketplace_id_1": seller.marketplace_ids[0],
        "marketplace_id_2": seller.marketplace_ids[1],
        "save": "1",
    }
    data.update(overrides)
    return data


def test_the_wizard_offers_both_connections(admin_client, installed, spapi_settings):
    html = admin_client.get(f"/orgs/{installed.id}/install/settings/").content.decode()
    for text in (
        "Amazon MWS",
        "Selling Partner API",
        "Aws Accesskey",
        "MWS Authtoken",
        "LWA client id",
        "LWA client secret",
        "LWA refresh token",
        "Authorize with Amazon",
        f'formaction="/orgs/{installed.id}/amazon/authorize"',
    ):
        assert text in html, text
    assert checked(html, "spapi") and not checked(html, "mws")  # SP-API is pre-selected
    assert "Amazon MWS (the manual&#x27;s legacy connection, kept for existing set-ups)" in html
    # The Marketplace IDs come before Authorize with Amazon, which takes them along.
    assert html.index('name="marketplace_id_1"') < html.index("Authorize with Amazon</button>")
    assert html.index("Authorize with Amazon</button>") < html.index('name="lwa_client_id"')


def test_authorize_is_disabled_without_an_sp_api_app(admin_client, installed, settings):
    settings.AMAZON_SPAPI_APP_ID = ""
    html = admin_client.get(f"/orgs/{installed.id}/settings/").content.decode()
    assert '<button type="button" disabled>Authorize with Amazon</button>' in html
    assert "AMAZON_SPAPI_APP_ID" in html


def test_spapi_credentials_errors_land_on_the_field_at_fault(
    admin_client, installed, spapi_settings, amazon_seller
):
    # A seller's own SP-API app (not this installation's, whose secret comes from settings).
    spapi_settings.AMAZON_LWA_CLIENT_ID = "amzn1.application-oa2-client.installationapp"
    url = f"/orgs/{installed.id}/install/settings/"
    resp = admin_client.post(url, spapi_post(amazon_seller, lwa_refresh_token="not-a-token"))
    assert resp.status_code == 200
    assert "starts with Atzr|" in resp.context["form"].errors["lwa_refresh_token"][0]
    assert checked(resp.content.decode(), "spapi")

    # Amazon (the stand-in) refuses the client secret: the error is on that field.
    resp = admin_client.post(url, spapi_post(amazon_seller, lwa_client_secret="wrong-secret-1"))
    assert "LWA client id and client secret" in resp.context["form"].errors["lwa_client_secret"][0]
    assert "wrong-secret-1" not in resp.content.decode()

    # A marketplace of the region that the seller does not sell in names its field.
    resp = admin_client.post(url, spapi_post(amazon_seller, marketplace_id_2="A2EUQ1WTGCTBG2"))
    assert "A2EUQ1WTGCTBG2" in resp.context["form"].errors["marketplace_id_2"][0]
    assert not AmazonCredentials.objects.filter(tenant=installed).exists()

    resp = admin_client.post(url, spapi_post(amazon_seller))
    assert resp.status_code == 302, resp.context["form"].errors
    creds = AmazonCredentials.objects.get(tenant=installed)
    assert creds.kind == "spapi" and creds.verified_at is not None
    assert creds.lwa_refresh_token.reveal() == amazon_seller.refresh_token

    html = admin_client.get(f"/orgs/{installed.id}/settings/").content.decode()
    assert checked(html, "spapi")
    for secret in (amazon_seller.refresh_token, amazon_seller.lwa_client_secret):
        assert secret not in html and secret[-8:] not in html
    assert amazon_seller.lwa_client_id in html  # identifiers are shown


def test_authorize_with_amazon_round_trip(
    admin_client, installed, spapi_settings, amazon_standin, amazon_seller
):
    resp = admin_client.post(
        f"/orgs/{installed.id}/amazon/authorize",
        {
            "kind": "spapi",
            "marketplace_id_1": "ATVPDKIKX0DER",
            "marketplace_id_2": "A2Q3Y263D00KWC",
            "return_to": "settings",
        },
    )
    assert resp.status_code == 302
    consent = urlsplit(resp["Location"])
    assert f"{consent.scheme}://{consent.netloc}" == amazon_standin.url
    assert consent.path == "/apps/authorize/consent"
    query = parse_qs(consent.query)
    assert query["application_id"] == [AMAZON_APPLICATION_ID]
    assert query["version"] == ["beta"]
    state = query["state"][0]

    page = requests.get(resp["Location"], timeout=10)
    assert page.status_code == 200 and "Authorize" in page.text
    approved = requests.post(
        f"{amazon_standin.url}/apps/authorize/consent",
        data={
            "application_id": AMAZON_APPLICATION_ID,
            "state": state,
            "selling_partner_id": amazon_seller.seller_id,
            "decision": "approve",
        },
        allow_redirects=False,
        timeout=10,
    )
    assert approved.status_code == 302
    callback = urlsplit(approved.headers["Location"])
    assert callback.path == "/amazon/callback"
    assert parse_qs(callback.query)["state"] == [state]

    grants_before = amazon_standin.stats.token_grants
    done = admin_client.get(f"{callback.path}?{callback.query}")
    assert done.status_code == 302
    assert done["Location"] == f"/orgs/{installed.id}/settings/#credentials"
    creds = AmazonCredentials.objects.get(tenant=installed)
    assert creds.kind == "spapi"
    assert creds.seller_id == amazon_seller.seller_id
    assert creds.marketplace_ids == ["ATVPDKIKX0DER", "A2Q3Y263D00KWC"]
    assert creds.lwa_client_id == amazon_seller.lwa_client_id
    refresh = creds.lwa_refresh_token.reveal()
    assert refresh.startswith("Atzr|") and refresh != amazon_seller.refresh_token  # a new grant
    assert creds.verified_at is not None  # checked with Amazon before saving
    assert amazon_standin.stats.token_grants > grants_before
    html = admin_client.get(done["Location"]).content.decode()
    assert "Amazon authorized" in html
    assert refresh not in html

    # The state is single use.
    again = admin_client.get(f"{callback.path}?{callback.query}")
    assert again.status_code == 400


def test_authorize_from_the_wizard_goes_on_to_zoho_and_denial_changes_nothing(
    admin_client, installed, spapi_settings, amazon_standin, amazon_seller
):
    def start() -> str:
        resp = admin_client.post(
            f"/orgs/{installed.id}/amazon/authorize",
            {"marketplace_id_1": "ATVPDKIKX0DER", "return_to": "wizard"},
        )
        return parse_qs(urlsplit(resp["Location"]).query)["state"][0]

    denied = requests.post(
        f"{amazon_standin.url}/apps/authorize/consent",
        data={"application_id": AMAZON_APPLICATION_ID, "state": start(), "decision": "deny"},
        allow_redirects=False,
        timeout=10,
    )
    back = urlsplit(denied.headers["Location"])
    resp = admin_client.get(f"{back.path}?{back.query}", follow=True)
    assert "Amazon access was not granted" in resp.content.decode()
    assert not AmazonCredentials.objects.filter(tenant=installed).exists()

    approved = requests.post(
        f"{amazon_standin.url}/apps/authorize/consent",
        data={
            "application_id": AMAZON_APPLICATION_ID,
            "state": start(),
            "selling_partner_id": amazon_seller.seller_id,
        },
        allow_redirects=False,
        timeout=10,
    )
    back = urlsplit(approved.headers["Location"])
    resp = admin_client.get(f"{back.path}?{back.query}")
    assert resp["Location"] == f"/orgs/{installed.id}/install/zoho/"
    assert AmazonCredentials.objects.get(tenant=installed).kind == "spapi"


def test_authorize_needs_marketplaces_and_an_administrator(
    client, admin_client, standard_user, installed, spapi_settings
):
    resp = admin_client.post(
        f"/orgs/{installed.id}/amazon/authorize",
        {"marketplace_id_1": "ATVPDKIKX0DER", "marketplace_id_2": "A1PA6795UKMFR9"},
        follow=True,
    )
    assert "one SP-API region" in resp.content.decode()
    client.force_login(standard_user)
    resp = client.post(
        f"/orgs/{installed.id}/amazon/authorize", {"marketplace_id_1": "ATVPDKIKX0DER"}
    )
    assert resp.status_code == 403


def test_a_forged_state_is_refused(admin_client, installed, spapi_settings):
    resp = admin_client.get(
        "/amazon/callback?state=forged&spapi_oauth_code=x&selling_partner_id=A1"
    )
    assert resp.status_code == 400
    assert not AmazonCredentials.objects.filter(tenant=installed).exists()


def test_the_mws_choice_survives_a_validation_error(admin_client, installed, spapi_settings):
    resp = admin_client.post(
        f"/orgs/{installed.id}/install/settings/",
        {"kind": "mws", "seller_id": "A1SANDBOXSELLER", "marketplace_id_1": "ATVPDKIKX0DER"},
    )
    assert resp.status_code == 200 and resp.context["form"].errors
    html = resp.content.decode()
    assert checked(html, "mws") and not checked(html, "spapi")
    assert 'value="A1SANDBOXSELLER"' in html
