"""The dashboard at scale: every page's query count is fixed, whatever the history size, and
on PostgreSQL the deep keyset pages start from the index (no walk through newer rows)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from history.models import OrderEvent, SyncRun
from history.selectors import PAGE_SIZE, _encode_cursor
from tests.web.conftest import make_runs

pytestmark = pytest.mark.django_db

# Per page: session, user, tenant + membership (access), membership (layout), then the
# page's own reads. Counted with the other apps' additions to these pages as they are now.
EXPECTED_QUERIES = {
    "history_list": 7,  # + the page of runs, the orders-per-day and outcome charts
    "history_deep": 7,
    "history_filtered": 7,
    # + the run, its page of Order History, replay and quarantine reads, the Zoho connection
    # (its data centre and org, for the links to each Sales Order in Zoho CRM)
    "run_detail": 9,
    "run_detail_page2": 9,
    "order_history": 6,  # + one page of Order History, the Zoho connection
    "order_history_deep": 6,
    "order_search": 6,  # + that order's rows, the Zoho connection
}


def _pages(tenant) -> dict[str, str]:
    base = f"/orgs/{tenant.id}/history"
    runs = SyncRun.objects.filter(tenant=tenant).order_by("-started_at", "-id")
    deep_run = runs.values_list("started_at", "id")[PAGE_SIZE * 2]
    events = OrderEvent.objects.filter(tenant=tenant).order_by("-created_at", "-id")
    deep_event = events.values_list("created_at", "id")[PAGE_SIZE * 3]
    oldest = runs.last()
    run_cursor = (
        OrderEvent.objects.filter(run=oldest)
        .order_by("-id")
        .values_list("id", flat=True)[PAGE_SIZE - 1]
    )
    today = timezone.now().date()
    return {
        "history_list": f"{base}/",
        "history_deep": f"{base}/?after={_encode_cursor(*deep_run)}",
        "history_filtered": (
            f"{base}/?schedule=sync_amazon_record&outcome=success"
            f"&date_from={today - timedelta(days=30)}&date_to={today}"
        ),
        "run_detail": f"{base}/runs/{oldest.pk}/",
        "run_detail_page2": f"{base}/runs/{oldest.pk}/?after={run_cursor}",
        "order_history": f"{base}/orders/",
        "order_history_deep": f"{base}/orders/?after={_encode_cursor(*deep_event)}",
        "order_search": f"{base}/orders/?q={events.values_list('amazon_order_id', flat=True)[7]}",
    }


def _counts(admin_client, tenant) -> dict[str, int]:
    counts = {}
    for name, url in _pages(tenant).items():
        with CaptureQueriesContext(connection) as ctx:
            response = admin_client.get(url)
        assert response.status_code == 200, name
        counts[name] = len(ctx.captured_queries)
    return counts


def test_every_dashboard_page_makes_the_same_queries_at_any_size(admin_client, installed):
    make_runs(installed, 80, events_per_run=30, start=timezone.now() - timedelta(days=10))
    small = _counts(admin_client, installed)
    make_runs(installed, 400, events_per_run=30, start=timezone.now() - timedelta(days=60))
    large = _counts(admin_client, installed)
    assert small == large
    assert large == EXPECTED_QUERIES


@pytest.mark.skipif(connection.vendor != "postgresql", reason="reads PostgreSQL's EXPLAIN")
def test_deep_keyset_pages_start_from_the_index_on_postgresql(installed):
    """Page 20,000 of Order History must cost what page 2 costs: the cursor's time bound is
    an Index Cond of (tenant, -created_at, -id), not a filter applied while walking it."""
    from history.selectors import RunFilters, order_events_for_tenant, sync_runs_for_tenant

    make_runs(installed, 300, events_per_run=20)
    events = OrderEvent.objects.filter(tenant=installed).order_by("-created_at", "-id")
    runs = SyncRun.objects.filter(tenant=installed).order_by("-started_at", "-id")
    event_cursor = _encode_cursor(*events.values_list("created_at", "id")[100])
    run_cursor = _encode_cursor(*runs.values_list("started_at", "id")[30])
    calls = {
        "event_tenant_created": lambda: order_events_for_tenant(
            tenant=installed, cursor=event_cursor
        ),
        "run_tenant_started": lambda: sync_runs_for_tenant(
            tenant=installed, filters=RunFilters(), cursor=run_cursor
        ),
    }
    column = {"event_tenant_created": "created_at", "run_tenant_started": "started_at"}
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE history_orderevent")
        cursor.execute("ANALYZE history_syncrun")
        cursor.execute("SET enable_seqscan = off")  # tiny tables: judge the plan's shape
        try:
            for index, call in calls.items():
                with CaptureQueriesContext(connection) as ctx:
                    call()
                (query,) = ctx.captured_queries
                cursor.execute("EXPLAIN " + query["sql"])
                plan = "\n".join(row[0] for row in cursor.fetchall())
                # The bound is where the index walk starts (with one tenant the planner may
                # take the single-column time index instead; either has the start key).
                conds = [line for line in plan.splitlines() if "Index Cond" in line]
                assert any(f"{column[index]} <=" in cond for cond in conds), plan
        finally:
            cursor.execute("SET enable_seqscan = on")
