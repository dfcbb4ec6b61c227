"""Issue 15 defect 12: the Seller ID on Amazon's callback (``selling_partner_id``, which the
browser carries and could alter) is checked against what Amazon says about the refresh token
before anything is saved: the Sellers API's getMarketplaceParticipations must list every
Marketplace ID, and the seller id Amazon's fee estimate names must be the callback's. Real
HTTP through the Amazon stand-in (which binds each token to its seller)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from amazon_ext.models import AmazonCredentials
from tests.fixtures.amazon import AMAZON_APPLICATION_ID, make_amazon_seller
from tests.web.test_spapi_credentials import spapi_settings  # noqa: F401

MARKETPLACES = ["ATVPDKIKX0DER", "A2Q3Y263D00KWC"]


def callback_of(admin_client, installed, standin, seller, marketplaces=MARKETPLACES):
    """Run Authorize with Amazon up to Amazon's redirect back; its (path, query dict)."""
    data = {"kind": "spapi", "return_to": "settings"}
    data.update({f"marketplace_id_{n}": m for n, m in enumerate(marketplaces, 1)})
    resp = admin_client.post(f"/orgs/{installed.id}/amazon/authorize", data)
    state = parse_qs(urlsplit(resp["Location"]).query)["state"][0]
    approved = requests.post(
        f"{standin.url}/apps/authorize/consent",
        data={
            "application_id": AMAZON_APPLICATION_ID,
            "state": state,
            "selling_partner_id": seller.seller_id,
            "decision": "approve",
        },
        allow_redirects=False,
        timeout=10,
    )
    callback = urlsplit(approved.headers["Location"])
    return callback.path, {k: v[0] for k, v in parse_qs(callback.query).items()}


def finish(admin_client, path, query):
    done = admin_client.get(f"{path}?{urlencode(query)}", follow=True)
    return done, [str(m) for m in done.context["messages"]] if done.context else []


def test_a_tampered_selling_partner_id_is_refused_and_nothing_saved(
    admin_client,
    installed,
    spapi_settings,  # noqa: F811
    amazon_standin,
    amazon_seller,
):
    # Another real seller of the same marketplaces (say, another organisation's).
    other = make_amazon_seller("A2OTHERSELLER01", n=2)
    amazon_standin.register_seller(other)
    path, query = callback_of(admin_client, installed, amazon_standin, amazon_seller)
    assert query["selling_partner_id"] == amazon_seller.seller_id
    query["selling_partner_id"] = other.seller_id  # edited on its way through the browser

    _, shown = finish(admin_client, path, query)

    assert not AmazonCredentials.objects.filter(tenant=installed).exists()
    assert any("is not the seller Amazon authorized" in m for m in shown), shown
    assert amazon_standin.stats.calls["getMyFeesEstimateForASIN"] >= 1


def test_an_honest_callback_is_checked_then_saved(
    admin_client,
    installed,
    spapi_settings,  # noqa: F811
    amazon_standin,
    amazon_seller,
):
    path, query = callback_of(admin_client, installed, amazon_standin, amazon_seller)
    _, shown = finish(admin_client, path, query)
    creds = AmazonCredentials.objects.get(tenant=installed)
    assert creds.seller_id == amazon_seller.seller_id and creds.verified_at is not None
    assert any("Amazon authorized" in m for m in shown), shown
    assert amazon_standin.stats.calls["getMarketplaceParticipations"] == 1
    assert amazon_standin.stats.calls["getMyFeesEstimateForASIN"] == 1


def test_a_marketplace_the_token_does_not_sell_in_is_refused(
    admin_client,
    installed,
    spapi_settings,  # noqa: F811
    amazon_standin,
):
    # A seller of the US marketplace only, authorizing for US + BR.
    us_only = make_amazon_seller("A3USONLYSELLER1", n=3, marketplace_ids=["ATVPDKIKX0DER"])
    amazon_standin.register_seller(us_only)
    path, query = callback_of(admin_client, installed, amazon_standin, us_only)
    _, shown = finish(admin_client, path, query)
    assert not AmazonCredentials.objects.filter(tenant=installed).exists()
    assert any("A2Q3Y263D00KWC" in m for m in shown), shown


def test_without_the_pricing_role_the_id_is_not_compared_but_marketplaces_are(
    admin_client,
    installed,
    spapi_settings,  # noqa: F811
    amazon_standin,
    amazon_seller,
):
    # Amazon answers 403 to the fee estimate of an app without the Pricing role (twice: the
    # client tries once more with a fresh token).
    amazon_standin.faults.inject(403, 2, operation="getMyFeesEstimateForASIN")
    path, query = callback_of(admin_client, installed, amazon_standin, amazon_seller)
    finish(admin_client, path, query)
    creds = AmazonCredentials.objects.get(tenant=installed)
    assert creds.seller_id == amazon_seller.seller_id
    assert amazon_standin.stats.calls["getMarketplaceParticipations"] == 1
