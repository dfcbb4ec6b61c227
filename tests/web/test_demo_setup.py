"""``manage.py demo_setup`` against the stand-ins: installed, credentials verified, Zoho
connected through the consent POST; running it again leaves one fresh demo organisation."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from amazon_ext.models import AmazonCredentials
from crm_sync.models import TenantSchedule, ZohoConnection
from tenants.models import Tenant
from tests.fixtures.zoho import TEST_CLIENT_ID, TEST_CLIENT_SECRET

pytestmark = pytest.mark.django_db


@pytest.fixture
def wired(settings, amazon_standin, zoho_standin, zoho_org):
    settings.AMAZON_MWS_ENDPOINT_OVERRIDE = amazon_standin.url
    settings.AMAZON_QUOTA_TIME_SCALE = amazon_standin.time_scale
    settings.ZOHO_ACCOUNTS_URL = zoho_standin.accounts_url
    settings.ZOHO_CLIENT_ID = TEST_CLIENT_ID
    settings.ZOHO_CLIENT_SECRET = TEST_CLIENT_SECRET
    settings.ZOHO_REDIRECT_URI = "http://127.0.0.1/zoho/callback"
    return amazon_standin, zoho_standin, zoho_org


def _run(amazon, zoho, org) -> str:
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


def test_demo_setup_is_ready_and_idempotent(wired, client):
    amazon, zoho, org = wired
    first = _run(amazon, zoho, org)
    second = _run(amazon, zoho, org)
    tenant = Tenant.objects.get()
    assert tenant.name == "Demo Outdoor Co" and tenant.is_installed
    assert AmazonCredentials.objects.get(tenant=tenant).verified_at is not None
    connection = ZohoConnection.objects.get(tenant=tenant)
    assert connection.status == "connected" and connection.fields_ready_at
    assert TenantSchedule.objects.filter(tenant=tenant).count() == 2
    for out in (first, second):
        assert "Sign in     demo / demo-password" in out
        assert "/_sandbox/" in out
    assert f"/orgs/{tenant.id}/schedules/" in second
    assert client.login(username="demo", password="demo-password")
    assert client.get(f"/orgs/{tenant.id}/schedules/").status_code == 200
