"""The operator admin: every list opens, history is read-only, tokens and keys show masked."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from crm_sync.models import ZohoConnection
from tests.factories import MwsCredentialsFactory
from tests.web.conftest import make_runs

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client):
    user = get_user_model().objects.create_superuser("root", "root@example.test", "pw-12345678")
    client.force_login(user)
    return client


def test_admin_lists_open_and_secrets_stay_masked(superuser_client, installed):
    creds = MwsCredentialsFactory(tenant=installed)
    connection = ZohoConnection.objects.create(
        tenant=installed,
        accounts_server="https://accounts.zoho.com",
        api_domain="https://www.zohoapis.com",
        refresh_token="1000.zoho-refresh-token-plaintext",
        access_token="1000.zoho-access-token-plaintext",
        org_name="Acme Inc",
    )
    run = make_runs(installed, 1, events_per_run=3)[0]
    pages = [
        "/admin/crm_sync/zohoconnection/",
        f"/admin/crm_sync/zohoconnection/{connection.pk}/change/",
        "/admin/crm_sync/tenantschedule/",
        "/admin/crm_sync/manualrunslot/",
        "/admin/crm_sync/zoholink/",
        "/admin/crm_sync/amazonorderstate/",
        "/admin/crm_sync/synccursor/",
        "/admin/history/syncrun/",
        f"/admin/history/syncrun/{run.pk}/change/",
        "/admin/history/orderevent/?q=" + f"111-{run.pk:07d}-0000001",
        "/admin/amazon_ext/amazoncredentials/",
        f"/admin/amazon_ext/amazoncredentials/{creds.pk}/change/",
    ]
    for url in pages:
        resp = superuser_client.get(url)
        assert resp.status_code == 200, url
        html = resp.content.decode()
        for plain in ("zoho-refresh-token-plaintext", "zoho-access-token-plaintext"):
            assert plain not in html, url
        assert creds.secret_key.reveal() not in html, url
    html = superuser_client.get(f"/admin/crm_sync/zohoconnection/{connection.pk}/change/").content
    assert "••••".encode() in html
    # History is read-only.
    assert superuser_client.get("/admin/history/syncrun/add/").status_code == 403
