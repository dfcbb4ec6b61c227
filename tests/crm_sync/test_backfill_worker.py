"""A real Celery worker on Redis runs a backfill; SIGKILL in the middle, and the restarted
worker resumes from the last finished report: the reports already processed are neither
asked for nor downloaded again, and Zoho ends equal to the book with nothing twice."""

from __future__ import annotations

import signal
import time

import pytest

from crm_sync.models import Backfill, BackfillChunk
from crm_sync.services.backfill import backfill_create
from history.models import SyncRun
from tests.crm_sync.test_backfill import (  # noqa: F401 (fixtures)
    amazon_book,
    assert_zoho_equals_book,
    spapi_tenant,
    whole_range,
)
from tests.crm_sync.test_worker import (  # noqa: F401 (fixtures)
    REDIS_URL,
    finished,
    flushed_redis,
    send,
    start_worker,
    stop,
    wait_for,
)

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.skipif(not REDIS_URL, reason="needs TEST_REDIS_URL (scripts/test starts Redis)"),
]


@pytest.mark.django_db(transaction=True)
def test_sigkill_mid_backfill_resumes_from_the_last_finished_report(
    spapi_tenant,  # noqa: F811
    flushed_redis,  # noqa: F811
    tmp_path,
    monkeypatch,
):
    connected = spapi_tenant
    # Every flush writes what it has (part-full batches too) and moves the chunks on: this
    # small book never fills a batch of 100 before its end (pipeline.write).
    monkeypatch.setenv("SYNC_PARTIAL_WRITE_SECONDS", "0")
    reports = connected.amazon.spapi.reports
    # Each getReport takes a while, so the backfill spans seconds and several reports.
    connected.amazon.faults.inject("slow", count=10_000, operation="getReport", delay=0.4)
    start, end = whole_range(connected)
    backfill = backfill_create(
        tenant=connected.tenant,
        user=connected.admin,
        start=start,
        end=end,
        marketplace_ids=list(connected.tenant.amazon_credentials.marketplace_ids),
    )
    total = backfill.chunks.count()
    now = backfill.created_at
    run = SyncRun.objects.create(
        tenant=connected.tenant,
        schedule="sync_amazon_record",
        trigger=SyncRun.Trigger.BACKFILL,
        started_at=now,
        heartbeat_at=now,
    )
    Backfill.objects.filter(pk=backfill.pk).update(status=Backfill.Status.RUNNING, run=run)
    worker = start_worker(tmp_path, "w1")

    def processed() -> int:
        return backfill.chunks.filter(status=BackfillChunk.Status.PROCESSED).count()

    try:
        send(run)
        wait_for(lambda: processed() >= 2, timeout=120, what="two reports processed")
    finally:
        stop(worker, signal.SIGKILL)
    done_before = set(
        backfill.chunks.filter(status=BackfillChunk.Status.PROCESSED).values_list("pk", flat=True)
    )
    assert 2 <= len(done_before) < total, "killed mid-backfill"
    run.refresh_from_db()
    assert run.outcome == SyncRun.Outcome.RUNNING
    downloads_before = reports.documents.downloads
    created_before = connected.amazon.stats.calls["createReport"]

    connected.amazon.faults.clear()
    time.sleep(4)  # past the 3 s visibility timeout and lease
    restarted = start_worker(tmp_path, "w2")
    try:
        wait_for(lambda: finished(run), timeout=180, what="the resumed backfill to finish")
    finally:
        stop(restarted)
    assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
    backfill.refresh_from_db()
    assert backfill.status == Backfill.Status.FINISHED
    # Resumed, not restarted: only the reports not processed were downloaded again, and no
    # report was asked for twice.
    assert reports.documents.downloads - downloads_before <= total - len(done_before)
    assert connected.amazon.stats.calls["createReport"] == created_before == total
    assert_zoho_equals_book(connected, buyers_from_listing=set())
