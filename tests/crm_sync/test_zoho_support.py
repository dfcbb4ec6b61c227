"""Helpers shared by the Zoho tests (this module holds no tests).

Tenants and users are made with the real services; connections either through the whole
OAuth dance (test_zoho_connect) or, for client tests, by exchanging a code at the stand-in's
token endpoint and saving the row the way ``connect_finish`` does.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from crm_sync.models import ZohoConnection
from tenants.encryption import Secret
from tenants.services import membership_add, tenant_create
from tests.fixtures.zoho import TEST_CLIENT_ID, TEST_CLIENT_SECRET, zoho_connect

REDIRECT_URI = "http://testserver/zoho/callback"


def use_standin(settings, standin) -> None:
    """Point the product's Zoho settings at the stand-in."""
    settings.ZOHO_ACCOUNTS_URL = standin.accounts_url
    settings.ZOHO_CLIENT_ID = TEST_CLIENT_ID
    settings.ZOHO_CLIENT_SECRET = TEST_CLIENT_SECRET
    settings.ZOHO_REDIRECT_URI = REDIRECT_URI
    settings.REDIS_URL = ""


def make_user(email: str):
    return get_user_model().objects.create_user(
        username=email, email=email, password="correct horse battery"
    )


def make_tenant(*, name: str = "Acme Outdoor Ltd", admin_email: str = "owner@acme.example"):
    """A tenant with one administrator; returns (tenant, admin user)."""
    admin = make_user(admin_email)
    tenant = tenant_create(name=name, admin_user=admin)
    return tenant, admin


def add_member(tenant, email: str, profile: str = "Standard"):
    user = make_user(email)
    membership_add(tenant=tenant, user=user, profile=profile)
    return user


def connect_directly(standin, org, tenant, *, redirect_uri: str = REDIRECT_URI) -> ZohoConnection:
    """A saved connection for ``org`` without going through the views."""
    tokens = zoho_connect(standin, org.admin_email, redirect_uri=redirect_uri)
    return ZohoConnection.objects.create(
        tenant=tenant,
        location=tokens["location"],
        accounts_server=tokens["accounts-server"],
        api_domain=tokens["api_domain"],
        scope=tokens["scope"],
        refresh_token=Secret.from_plaintext(tokens["refresh_token"]),
        access_token=Secret.from_plaintext(tokens["access_token"]),
        access_token_expires_at=timezone.now() + timedelta(seconds=int(tokens["expires_in"])),
        org_id=org.crm_id,
        org_name=org.company_name,
        edition=org.edition,
    )


def product(i: int, asin_field: str = "") -> dict:
    record = {"Product_Name": f"Trail Bottle {i:05d}", "Product_Code": f"SKU-{i:05d}"}
    if asin_field:
        record[asin_field] = f"B0{i:08d}"
    return record
