"""The Backfill page and Preview as an administrator uses them, against both stand-ins:
Schedules links to Backfill… and offers Preview next to Run Now; setting up a range shows the
estimate (reports needed, expected time); Preview shows what would be written; Start runs it
and the page shows the progress; other members may not open it."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from crm_sync.models import Backfill, ManualRunSlot
from history.models import SyncRun
from tests.crm_sync.test_backfill import amazon_book, spapi_tenant  # noqa: F401 (fixtures)
from tests.crm_sync.test_sync_flow import zoho_writes
from tests.factories import MembershipFactory, UserFactory


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db(transaction=True)
def test_backfill_setup_estimate_preview_start_progress(spapi_tenant):  # noqa: F811
    connected = spapi_tenant
    tenant = connected.tenant
    client = _client(connected.admin)
    schedules = client.get(reverse("crm_sync:schedules", args=[tenant.id])).content.decode()
    assert "Backfill…" in schedules and ">Preview</button>" in schedules

    page = reverse("crm_sync:backfill", args=[tenant.id])
    refused = client.post(
        reverse("crm_sync:backfill_setup", args=[tenant.id]),
        {"start": "2020-01-01", "end": "2024-01-01", "marketplace_ids": ["ATVPDKIKX0DER"]},
        follow=True,
    )
    assert "at most two years" in refused.content.decode()

    start = min(o.purchase_date for o in connected.amazon.book.all_orders()).date()
    client.post(
        reverse("crm_sync:backfill_setup", args=[tenant.id]),
        {
            "start": start.isoformat(),
            "end": "2100-01-01",  # later than today: the end is today
            "marketplace_ids": ["ATVPDKIKX0DER", "A2Q3Y263D00KWC"],
        },
    )
    backfill = Backfill.objects.get(tenant=tenant)
    html = client.get(page).content.decode()
    chunks = backfill.chunks.count()
    assert f"<strong>{chunks}</strong> order report" in html
    assert "Expected time at Amazon's quotas" in html

    writes = zoho_writes(connected.zoho)
    preview = client.post(
        reverse("crm_sync:preview_start", args=[tenant.id]),
        {"backfill_id": backfill.id},
        follow=True,
    ).content.decode()
    assert "nothing has been written" in preview and "Sales_Orders" in preview
    assert zoho_writes(connected.zoho) == writes

    client.post(reverse("crm_sync:backfill_action", args=[tenant.id, backfill.id, "start"]))
    backfill.refresh_from_db()
    assert backfill.run.trigger == SyncRun.Trigger.BACKFILL
    assert backfill.run.outcome == SyncRun.Outcome.SUCCESS, backfill.run.error
    done = client.get(page).content.decode()
    assert f'id="reports-processed">{chunks}' in done
    assert f'id="orders-written">{backfill.run.orders_created}' in done
    assert not ManualRunSlot.objects.filter(tenant=tenant).exists()  # no Run Now used


@pytest.mark.django_db(transaction=True)
def test_schedule_preview_button_and_members_refused(spapi_tenant):  # noqa: F811
    connected = spapi_tenant
    tenant = connected.tenant
    response = _client(connected.admin).post(
        reverse("crm_sync:preview_start", args=[tenant.id]),
        {"kind": "sync_amazon_record"},
        follow=True,
    )
    assert "Next run of Sync Amazon Record" in response.content.decode()
    member = UserFactory(username="bob")
    MembershipFactory(tenant=tenant, user=member, profile="Standard")
    assert _client(member).get(reverse("crm_sync:backfill", args=[tenant.id])).status_code == 403
