"""A burst of triggers while a run is live makes one Skipped row per tenant, schedule and live
run, counting them (issue 15, defect 19: one burst of clicks wrote 45–49 rows)."""

from __future__ import annotations

import threading

import pytest
from django.db import close_old_connections

from crm_sync.models import ManualRunSlot
from crm_sync.services.run_now import run_now
from crm_sync.services.runs import sync_run_finish, sync_run_start
from history.models import SyncRun
from tests.crm_sync.test_schedules_and_runs import installed  # noqa: F401 - fixture
from tests.fixtures.tenants import complete_setup


def skipped(tenant, schedule: str):
    return SyncRun.objects.filter(tenant=tenant, schedule=schedule, outcome="skipped")


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_run_now_clicks_makes_one_skipped_row_that_counts_them(installed):  # noqa: F811
    tenant, admin = installed
    complete_setup(tenant)  # Run Now is refused while set-up is incomplete
    live = sync_run_start(tenant=tenant, schedule="sync_amazon_record", trigger="scheduled")
    assert live.outcome == "running"

    def click() -> None:
        try:
            run_now(tenant=tenant, kind="sync_amazon_record", user=admin)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=click) for _ in range(45)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    (row,) = skipped(tenant, "sync_amazon_record")
    assert row.error.startswith("Skipped 45 times: already running (Sync Amazon Record started")
    assert not ManualRunSlot.objects.filter(tenant=tenant).exists()  # no slot used up
    # The other schedule's clicks are their own row; the live run is untouched.
    run_now(tenant=tenant, kind="update_order_status", user=admin)
    (other,) = skipped(tenant, "update_order_status")
    assert other.error.startswith("Skipped: already running (Sync Amazon Record started")
    live.refresh_from_db()
    assert live.outcome == "running"


@pytest.mark.django_db(transaction=True)
def test_a_new_live_run_starts_a_new_skipped_row(installed):  # noqa: F811
    tenant, _ = installed
    first = sync_run_start(tenant=tenant, schedule="sync_amazon_record", trigger="scheduled")
    for _ in range(3):
        sync_run_start(tenant=tenant, schedule="update_order_status", trigger="scheduled")
    (row,) = skipped(tenant, "update_order_status")
    assert row.error.startswith("Skipped 3 times: already running")
    sync_run_finish(run_id=first.pk)

    second = sync_run_start(tenant=tenant, schedule="sync_amazon_record", trigger="scheduled")
    assert second.outcome == "running"
    sync_run_start(tenant=tenant, schedule="update_order_status", trigger="scheduled")
    assert skipped(tenant, "update_order_status").count() == 2
