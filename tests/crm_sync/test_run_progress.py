"""A run waiting for Amazon's quota says so on the Schedules page's running row."""

from __future__ import annotations

import time

import pytest
from django.utils import timezone

from crm_sync.services.progress import quota_wait_reporter
from crm_sync.templatetags.run_progress import quota_wait, wait_words
from history.models import SyncRun
from tests.factories import TenantFactory


def test_wait_words():
    assert wait_words(160) == "2 min 40 s"
    assert wait_words(44.2) == "45 s"
    assert wait_words(3900) == "1 h 5 min"
    assert wait_words(120) == "2 min"


@pytest.mark.django_db
def test_the_reporter_writes_the_wait_on_the_run_and_clears_it():
    tenant = TenantFactory()
    now = timezone.now()
    run = SyncRun.objects.create(
        tenant=tenant, schedule="sync_amazon_record", trigger="manual", started_at=now
    )
    report = quota_wait_reporter(run_id=run.pk)
    report("searchOrders", time.time() + 160.4)
    run.refresh_from_db()
    assert quota_wait(run) == "waiting for Amazon's quota: next page in 2 min 41 s"
    report("getOrderItems", time.time() + 9)  # item calls wait in a pool: not recorded
    run.refresh_from_db()
    assert run.quota_wait_for == "next page"
    report("searchOrders", None)
    run.refresh_from_db()
    assert run.quota_wait_until is None and quota_wait(run) == ""
