"""A cancelled backfill's run ends "Cancelled" (not Success / No orders), in Amazon Sync
History, its outcome filter and its email."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from crm_sync.models import Backfill
from crm_sync.services.backfill import backfill_cancel
from crm_sync.tasks import execute_sync_run
from history.models import SyncRun
from tests.crm_sync.test_backfill import (  # noqa: F401 (fixtures)
    amazon_book,
    spapi_tenant,
    started_not_executed,
)


@pytest.mark.django_db(transaction=True)
def test_a_cancelled_backfill_run_is_cancelled_in_history_filters_and_email(spapi_tenant):  # noqa: F811
    connected = spapi_tenant
    backfill = started_not_executed(connected)
    backfill_cancel(backfill=backfill)
    mail.outbox.clear()
    execute_sync_run.apply(args=[backfill.run_id])
    run = SyncRun.objects.get(pk=backfill.run_id)
    assert run.outcome == SyncRun.Outcome.CANCELLED
    assert run.get_outcome_display() == "Cancelled"
    assert Backfill.objects.get(pk=backfill.pk).status == Backfill.Status.CANCELLED
    assert [m.subject for m in mail.outbox] == ["Amazon sync: Sync Amazon Record cancelled"]
    assert "cancelled; what it wrote before stays in Zoho CRM" in mail.outbox[0].body

    client = Client()
    client.force_login(connected.admin)
    history = f"/orgs/{connected.tenant.pk}/history/"
    page = client.get(history, {"outcome": "cancelled"}).content.decode()
    assert 'class="badge outcome-cancelled"' in page
    assert f"/history/runs/{run.pk}/" in page
    assert (
        f"/history/runs/{run.pk}/"
        not in client.get(history, {"outcome": "success"}).content.decode()
    )
