"""The demo on any ports: demo_setup keeps the demo organisation's id across restarts and
prints the stand-in seller's credentials for a second organisation by hand; a Zoho record
link (ZOHO_CRM_WEB_URL pointed at the Zoho stand-in, as scripts/demo does) opens the record."""

from __future__ import annotations

import io

import pytest
import requests
from django.core.management import call_command

from crm_sync.services.runs import sync_run_start
from crm_sync.tasks import execute_sync_run
from crm_sync.templatetags.zoho_links import zoho_record_url
from history.models import OrderEvent
from sandbox.amazon.standin import demo_seller
from tenants.models import Tenant
from tests.web.test_demo_setup import wired  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def _demo(amazon, zoho, org) -> str:
    out = io.StringIO()
    call_command(
        "demo_setup",
        "--zoho-admin-email",
        org.admin_email,
        "--amazon-url",
        amazon.url,
        "--zoho-accounts-url",
        zoho.accounts_url,
        stdout=out,
    )
    return out.getvalue()


def test_the_demo_organisation_keeps_its_id_and_the_credentials_are_printed(wired):  # noqa: F811
    amazon, zoho, org = wired
    _demo(amazon, zoho, org)
    first = Tenant.objects.get(name="Demo Outdoor Co").pk
    out = _demo(amazon, zoho, org)
    assert list(Tenant.objects.values_list("pk", flat=True)) == [first]
    assert f"/orgs/{first}/schedules/" in out and f"(id {first})" in out
    seller = demo_seller()
    for value in (
        seller.seller_id,
        seller.access_key,
        seller.secret_key,
        seller.mws_auth_token,
        seller.lwa_client_id,
        seller.lwa_client_secret,
        seller.refresh_token,
        *seller.marketplace_ids,
    ):
        assert value in out


@pytest.mark.django_db(transaction=True)
def test_a_zoho_record_link_opens_the_record_in_the_standin(connected_tenant, settings):
    connected = connected_tenant
    settings.ZOHO_CRM_WEB_URL = connected.zoho.api_url
    run = sync_run_start(tenant=connected.tenant, schedule="sync_amazon_record", trigger="manual")
    execute_sync_run.apply(args=[run.pk])
    event = OrderEvent.objects.filter(run=run).exclude(zoho_record_id="").first()
    tenant = Tenant.objects.get(pk=connected.tenant.pk)
    url = zoho_record_url(tenant, "Sales_Orders", event.zoho_record_id)
    assert url.startswith(f"{connected.zoho.api_url}/crm/org")
    page = requests.get(url, timeout=5)
    assert page.status_code == 200
    assert f"Amazon order {event.amazon_order_id}" in page.text
    assert requests.get(url[:-3] + "999", timeout=5).status_code == 404
