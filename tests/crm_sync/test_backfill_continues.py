"""A backfill longer than one task's budget (BACKFILL_TASK_SECONDS) goes on in a task of
its own after each report, so no task nears the time limit and no Resume by hand is needed."""

from __future__ import annotations

import pytest
from celery.signals import task_prerun
from django.core import mail

from crm_sync.models import Backfill
from history.models import SyncRun
from tests.crm_sync.test_backfill import (  # noqa: F401 (fixtures)
    amazon_book,
    assert_zoho_equals_book,
    run_backfill,
    spapi_tenant,
)


@pytest.mark.django_db(transaction=True)
def test_a_backfill_past_its_task_budget_goes_on_by_itself(spapi_tenant, settings):  # noqa: F811
    """BACKFILL_TASK_SECONDS=0: each task takes one turn and sends the next (eagerly here);
    the one run ends Success, every report read once, Zoho equal to the book."""
    connected = spapi_tenant
    settings.BACKFILL_TASK_SECONDS = 0
    tasks = []

    def count(sender=None, task_id=None, task=None, args=None, **kwargs):
        if task.name == "crm_sync.tasks.execute_sync_run":
            tasks.append(args[0])

    task_prerun.connect(count, weak=False)
    try:
        backfill, run = run_backfill(connected)
    finally:
        task_prerun.disconnect(count)
    assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
    assert backfill.status == Backfill.Status.FINISHED
    chunks = backfill.chunks.count()
    # One task per report, each sent by the one before (run_backfill's own apply after the
    # eager start is one more, which finds the run over).
    assert tasks == [run.pk] * (chunks + 1)
    assert not mail.outbox[1:]  # one email, when the run ended
    assert run.api_calls["amazon"]["createReport"] == chunks
    assert SyncRun.objects.filter(tenant=connected.tenant).count() == 1
    assert_zoho_equals_book(connected, buyers_from_listing=set())
