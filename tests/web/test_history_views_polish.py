"""What a user sees in the history pages: Order History filtered by status, change and date
and searched by the beginning of an id; CSV exports whose rows equal the pages' (all pages,
same filters, tenant-scoped); run detail's API calls table, "39 s" durations and Zoho record
links per data centre; the running row's counts as each checkpoint saves them."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from crm_sync.models import ZohoConnection
from crm_sync.pipeline.job import Counts
from history.models import OrderEvent, SyncRun
from history.templatetags.history_format import duration_words
from tenants.encryption import Secret
from tests.factories import TenantFactory
from tests.web.conftest import make_runs

pytestmark = pytest.mark.django_db


def _csv(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def _page_order_ids(html: str) -> list[str]:
    import re

    return re.findall(r"\?q=([0-9-]{19})\">", html)


def test_order_history_filters_and_partial_search(admin_client, installed):
    runs = make_runs(installed, 3, events_per_run=4)
    OrderEvent.objects.filter(run=runs[0]).update(new_status="Canceled")
    base = f"/orgs/{installed.id}/history/orders/"

    page = admin_client.get(base, {"status": "Canceled"}).content.decode()
    assert sorted(_page_order_ids(page)) == sorted(
        OrderEvent.objects.filter(run=runs[0]).values_list("amazon_order_id", flat=True)
    )
    prefix = f"111-{runs[1].pk:07d}"
    page = admin_client.get(base, {"q": prefix}).content.decode()
    assert len(_page_order_ids(page)) == 4
    assert all(i.startswith(prefix) for i in _page_order_ids(page))
    assert "beginning <strong>" in page

    tomorrow = (timezone.localdate() + timedelta(days=2)).isoformat()
    page = admin_client.get(base, {"date_from": tomorrow}).content.decode()
    assert _page_order_ids(page) == []
    page = admin_client.get(base, {"date_from": "2026-01-05", "date_to": "2026-01-01"})
    assert "The end date is before the start date." in page.content.decode()


def test_exports_equal_the_pages_rows_across_all_pages(admin_client, installed):
    make_runs(installed, 40, events_per_run=2)  # 40 runs, 80 rows: more than one page each
    rows = _csv(admin_client.get(f"/orgs/{installed.id}/history/orders.csv"))
    assert rows[0][:2] == ["Amazon Order ID", "What changed"]
    expected = list(
        OrderEvent.objects.filter(tenant=installed)
        .order_by("-created_at", "-id")
        .values_list("amazon_order_id", flat=True)
    )
    assert [r[0] for r in rows[1:]] == expected
    # The first page's rows are the export's first rows, in the same order.
    first_page = _page_order_ids(
        admin_client.get(f"/orgs/{installed.id}/history/orders/").content.decode()
    )
    assert [r[0] for r in rows[1 : 1 + len(first_page)]] == first_page

    runs = _csv(admin_client.get(f"/orgs/{installed.id}/history/runs.csv", {"outcome": "success"}))
    assert runs[0][0] == "Run" and len(runs) == 41
    assert [int(r[0]) for r in runs[1:]] == list(
        SyncRun.objects.filter(tenant=installed)
        .order_by("-started_at", "-id")
        .values_list("pk", flat=True)
    )
    assert len(_csv(admin_client.get(f"/orgs/{installed.id}/history/runs.csv?outcome=failed"))) == 1


def test_exports_are_tenant_scoped(admin_client, installed):
    other = TenantFactory(name="Someone Else")
    make_runs(other, 2, events_per_run=1)
    assert admin_client.get(f"/orgs/{other.id}/history/orders.csv").status_code in (403, 404)
    assert admin_client.get(f"/orgs/{other.id}/history/runs.csv").status_code in (403, 404)


def test_run_detail_shows_api_calls_as_a_table_durations_and_zoho_links(
    admin_client, installed, settings
):
    settings.ZOHO_CRM_WEB_URL = ""
    (run,) = make_runs(installed, 1, events_per_run=1)
    SyncRun.objects.filter(pk=run.pk).update(
        finished_at=run.started_at + timedelta(seconds=39),
        api_calls={
            "amazon": {"ListOrders": 3},
            "zoho": {"POST /Sales_Orders/upsert": 1},
            "amazon_throttled": 2,
            "zoho_writes": 1,
        },
    )
    ZohoConnection.objects.create(
        tenant=installed,
        location="eu",
        accounts_server="https://accounts.zoho.eu",
        api_domain="https://www.zohoapis.eu",
        refresh_token=Secret.from_plaintext("r-token"),
        access_token=Secret.from_plaintext("a-token"),
        org_id="20012345",
        domain_name="org649525316",
    )
    html = admin_client.get(f"/orgs/{installed.id}/history/runs/{run.pk}/").content.decode()
    assert "(39 s)" in html
    assert "{'amazon'" not in html and "ListOrders: 3" not in html
    assert '<td>Amazon</td><td>ListOrders</td><td class="num">3</td>' in html
    assert "Throttled" in html
    event = OrderEvent.objects.get(run=run)
    url = f"https://crm.zoho.eu/crm/org649525316/tab/SalesOrders/{event.zoho_record_id}"
    assert f'href="{url}"' in html


def test_duration_words():
    assert duration_words(timedelta(seconds=39)) == "39 s"
    assert duration_words(timedelta(seconds=125)) == "2 min 5 s"
    assert duration_words(timedelta(seconds=3780)) == "1 h 3 min"
    assert duration_words(None) == ""


def test_running_row_counts_move_with_each_checkpoint(admin_client, installed):
    run = SyncRun.objects.create(
        tenant=installed,
        schedule="sync_amazon_record",
        trigger="manual",
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )
    url = f"/orgs/{installed.id}/schedules/progress/"
    Counts(orders_fetched=100, orders_created=100).save_to(run.pk)  # what a checkpoint saves
    assert "100</strong> orders processed so far" in admin_client.get(url).content.decode()
    Counts(orders_fetched=1400, orders_created=1388, orders_updated=12).save_to(run.pk)
    html = admin_client.get(url).content.decode()
    assert "1,500</strong> orders processed so far" in html
    assert "· 1,488 created · 12 updated" in html

    SyncRun.objects.filter(pk=run.pk).update(outcome="success", finished_at=timezone.now())
    html = admin_client.get(url).content.decode()
    assert "1,500 orders · 1,488 created · 12 updated" in html  # the summary by the badge
