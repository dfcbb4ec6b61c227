"""The Schedules page's running row: "312 of 1,500 orders · 300 created · 12 updated" once
the total is known, a backfill's reports beside its orders, and the finished run's summary
by its badge (the progress fragment the page polls every 2 s)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from crm_sync.models import Backfill, BackfillChunk, StagedRecord
from crm_sync.pipeline.job import Counts
from crm_sync.services.progress import RunProgress, run_progress
from history.models import SyncRun
from tests.crm_sync.test_run_progress_total import _run, _stage, _words


@pytest.mark.django_db
def test_a_backfill_shows_its_reports_beside_the_orders(admin_client, installed):
    run = _run(installed, trigger=SyncRun.Trigger.BACKFILL, orders_fetched=250)
    start = timezone.now() - timedelta(days=75)
    backfill = Backfill.objects.create(
        tenant=installed, run=run, start=start, end=start + timedelta(days=70)
    )
    for position, status in enumerate(["processed", "ready", "requested"], 1):
        BackfillChunk.objects.create(
            backfill=backfill,
            position=position,
            marketplace_id="ATVPDKIKX0DER",
            start=start,
            end=start + timedelta(days=30),
            status=status,
        )
    # A backfill's orders_expected (set by nothing today) is not its whole backfill's total.
    SyncRun.objects.filter(pk=run.pk).update(orders_expected=10)
    run.refresh_from_db()
    assert run_progress(run) == RunProgress(done=250, reports_done=1, reports_total=3)
    html = admin_client.get(f"/orgs/{installed.id}/schedules/progress/").content.decode()
    assert _words(html).startswith(
        "Running: 250 orders processed so far · 0 created · 0 updated · 1 of 3 reports"
    )


@pytest.mark.django_db
def test_the_fragment_says_of_n_and_the_finished_summary_stays(admin_client, installed):
    run = _run(installed)
    url = f"/orgs/{installed.id}/schedules/progress/"
    Counts(orders_fetched=1500).save_to(run.pk)
    assert "Running: 1,500 orders processed so far" in _words(
        admin_client.get(url).content.decode()
    )
    SyncRun.objects.filter(pk=run.pk).update(orders_expected=1500)
    _stage(run, 1188)
    Counts(orders_created=300, orders_updated=12).save_to(run.pk)
    words = _words(admin_client.get(url).content.decode())
    assert words.startswith("Running: 312 of 1,500 orders · 300 created · 12 updated"), words
    StagedRecord.objects.filter(run=run).delete()
    Counts(orders_created=1176, orders_updated=12).save_to(run.pk)
    words = _words(admin_client.get(url).content.decode())
    assert words.startswith("Running: 1,500 of 1,500 orders · 1,476 created · 24 updated"), words
    SyncRun.objects.filter(pk=run.pk).update(outcome="success", finished_at=timezone.now())
    html = admin_client.get(url).content.decode()
    assert 'class="progress"' not in html
    assert "1,500 orders · 1,476 created · 24 updated" in html  # the summary by the badge
