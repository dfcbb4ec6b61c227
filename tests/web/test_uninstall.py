"""Uninstall: the confirmation says what will be deleted; afterwards nothing is left."""

from __future__ import annotations

import pytest
from django_celery_beat.models import PeriodicTask

from amazon_ext.models import AmazonCredentials
from crm_sync.models import TenantSchedule
from history.models import OrderEvent, SyncRun
from tenants.models import Membership, Tenant
from tests.factories import MwsCredentialsFactory
from tests.web.conftest import make_runs

pytestmark = pytest.mark.django_db


def test_confirmation_lists_what_goes_and_post_deletes_it(admin_client, installed, other_tenant):
    MwsCredentialsFactory(tenant=installed)
    make_runs(installed, 3, events_per_run=4)
    make_runs(other_tenant, 1, events_per_run=2)
    url = f"/orgs/{installed.id}/uninstall/"
    html = admin_client.get(url).content.decode()
    assert "the Amazon credentials" in html
    assert "3 Amazon Sync History records" in html
    assert "12 Order History records" in html
    assert "2 schedules" in html
    assert "Okay, uninstall" in html

    resp = admin_client.post(url)
    assert resp.status_code == 302 and resp["Location"] == "/"
    assert not Tenant.objects.filter(pk=installed.pk).exists()
    for model in (AmazonCredentials, TenantSchedule, SyncRun, OrderEvent, Membership):
        assert not model.objects.filter(tenant_id=installed.pk).exists(), model
    assert not PeriodicTask.objects.filter(name__startswith=f"tenant {installed.pk}:").exists()
    # The other organisation is untouched.
    assert SyncRun.objects.filter(tenant=other_tenant).count() == 1
    assert admin_client.get(url).status_code == 404
