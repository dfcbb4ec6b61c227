"""The history dashboard: filters, keyset paging, run detail with its Order History, search by
Amazon Order ID, charts — with a bounded number of queries whatever the history size."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from history.models import SyncRun
from history.selectors import (
    RunFilters,
    decode_cursor,
    orders_synced_per_day,
    sync_runs_for_tenant,
)
from tests.web.conftest import make_runs

pytestmark = pytest.mark.django_db

# Session, user, membership (access), membership (profile for the layout), then the page's own.
MAX_QUERIES = 10


def _run_ids(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'/history/runs/(\d+)/">#', html)]


def test_dashboard_pages_with_keyset_cursors_and_bounded_queries(
    admin_client, installed, django_assert_max_num_queries
):
    runs = make_runs(installed, 60, events_per_run=2)
    url = f"/orgs/{installed.id}/history/"
    with django_assert_max_num_queries(MAX_QUERIES):
        resp = admin_client.get(url)
    html = resp.content.decode()
    first = _run_ids(html)
    assert first == [r.pk for r in reversed(runs)][:25]
    assert "Orders synced per day" in html and "<svg" in html and "Run outcomes" in html
    seen = list(first)
    cursor = re.search(r'after=([^"&]+)"', html).group(1)
    while cursor:
        with django_assert_max_num_queries(MAX_QUERIES):
            html = admin_client.get(url, {"after": cursor}).content.decode()
        seen += _run_ids(html)
        match = re.search(r'after=([^"&]+)" rel="next"', html)
        cursor = match.group(1) if match else None
    assert seen == [r.pk for r in reversed(runs)]


def test_runs_with_the_same_start_are_neither_lost_nor_repeated(installed):
    moment = timezone.now().replace(microsecond=0)
    runs = SyncRun.objects.bulk_create(
        [
            SyncRun(
                tenant=installed,
                schedule="sync_amazon_record",
                trigger="manual",
                started_at=moment,
                outcome="success",
            )
            for _ in range(7)
        ]
    )
    seen, cursor = [], None
    while True:
        page = sync_runs_for_tenant(tenant=installed, filters=RunFilters(), cursor=cursor, limit=3)
        seen += [r.pk for r in page.items]
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert seen == sorted((r.pk for r in runs), reverse=True)


def test_filters_by_schedule_outcome_and_dates(admin_client, installed):
    make_runs(installed, 3, outcome=SyncRun.Outcome.FAILED, schedule="update_order_status")
    old = make_runs(installed, 2, start=timezone.now() - timedelta(days=20))
    ok = make_runs(installed, 4)
    url = f"/orgs/{installed.id}/history/"
    html = admin_client.get(url, {"outcome": "failed"}).content.decode()
    assert len(_run_ids(html)) == 3
    html = admin_client.get(url, {"schedule": "sync_amazon_record"}).content.decode()
    assert len(_run_ids(html)) == 6
    since = (timezone.now() - timedelta(days=3)).date().isoformat()
    html = admin_client.get(url, {"date_from": since}).content.decode()
    ids = _run_ids(html)
    assert {r.pk for r in ok} <= set(ids) and not {r.pk for r in old} & set(ids)
    html = admin_client.get(url, {"date_from": "2026-02-02", "date_to": "2026-01-01"}).content
    assert b"The end date is before the start date." in html


def test_run_detail_lists_its_order_history(admin_client, installed, django_assert_max_num_queries):
    run = make_runs(installed, 1, events_per_run=30)[0]
    url = f"/orgs/{installed.id}/history/runs/{run.pk}/"
    with django_assert_max_num_queries(MAX_QUERIES):
        html = admin_client.get(url).content.decode()
    assert html.count(f">111-{run.pk:07d}-") == 25
    assert "Order History" in html and "Created in Zoho" in html
    cursor = re.search(r'after=([^"&]+)" rel="next"', html).group(1)
    html = admin_client.get(url, {"after": cursor}).content.decode()
    assert html.count(f">111-{run.pk:07d}-") == 5


def test_run_of_another_tenant_is_404(admin_client, installed, other_tenant):
    theirs = make_runs(other_tenant, 1)[0]
    assert admin_client.get(f"/orgs/{installed.id}/history/runs/{theirs.pk}/").status_code == 404


def test_order_history_search_by_amazon_order_id(
    admin_client, installed, other_tenant, django_assert_max_num_queries
):
    run = make_runs(installed, 3, events_per_run=5)[1]
    make_runs(other_tenant, 1, events_per_run=5)
    wanted = f"111-{run.pk:07d}-0000003"
    url = f"/orgs/{installed.id}/history/orders/"
    with django_assert_max_num_queries(MAX_QUERIES):
        html = admin_client.get(url, {"q": f"  {wanted} "}).content.decode()
    # The heading names the order once; the table has its one event.
    assert html.count(">111-") == html.count(f">{wanted}<") == 2
    html = admin_client.get(url, {"q": "999-0000000-0000000"}).content.decode()
    assert "No Order History for this Amazon Order ID." in html
    with django_assert_max_num_queries(MAX_QUERIES):
        html = admin_client.get(url).content.decode()
    assert html.count(f'href="/orgs/{installed.id}/history/runs/') == 15


def test_orders_per_day_sums_runs_in_the_tenants_days(installed):
    make_runs(installed, 3, events_per_run=4)
    days = orders_synced_per_day(tenant=installed, days=30)
    assert len(days) == 30
    assert sum(d.orders for d in days) == 12


def test_a_forged_cursor_is_ignored(admin_client, installed):
    make_runs(installed, 2)
    assert decode_cursor("not-a-cursor") is None
    resp = admin_client.get(f"/orgs/{installed.id}/history/", {"after": "%%%"})
    assert resp.status_code == 200
    assert len(_run_ids(resp.content.decode())) == 2


@pytest.mark.skipif(
    "sqlite" not in __import__("django.conf").conf.settings.DATABASES["default"]["ENGINE"],
    reason="reads SQLite's EXPLAIN QUERY PLAN",
)
def test_history_queries_use_the_indexes(installed, django_assert_max_num_queries):
    """With a million Order History rows a page must come from an index, never a scan."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from history.selectors import order_events_for_run, order_events_for_tenant

    run = make_runs(installed, 2, events_per_run=3)[0]
    calls = {
        "runs": lambda: sync_runs_for_tenant(tenant=installed, filters=RunFilters()),
        "tenant_events": lambda: order_events_for_tenant(tenant=installed),
        "search": lambda: order_events_for_tenant(
            tenant=installed, amazon_order_id="111-0000000-0000000"
        ),
        "run_events": lambda: order_events_for_run(tenant=installed, run=run),
    }
    expected = {
        "runs": "USING INDEX run_tenant_started",
        "tenant_events": "USING INDEX event_tenant_created",
        "search": "USING INDEX event_tenant_order",
        "run_events": "USING INDEX history_orderevent_run_id",
    }
    for name, call in calls.items():
        with CaptureQueriesContext(connection) as ctx:
            call()
        (query,) = ctx.captured_queries
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + query["sql"])
            plan = " ".join(row[-1] for row in cursor.fetchall())
        assert expected[name] in plan, (name, plan)
        assert "SCAN" not in plan.replace("USING INDEX", ""), (name, plan)
