"""The Schedules page: the manual's table, the status switch, Run Now twice then refused,
and the progress fragment the page polls while a run is going."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages

from crm_sync.models import TenantSchedule
from crm_sync.services.runs import sync_run_finish
from history.models import SyncRun

pytestmark = pytest.mark.django_db


def _messages(resp) -> list[str]:
    return [str(m) for m in get_messages(resp.wsgi_request)]


def test_table_has_the_manuals_columns_and_rows(
    admin_client, installed, setup_complete, django_assert_max_num_queries
):
    with django_assert_max_num_queries(16):  # + the set-up check (credentials, Zoho)
        resp = admin_client.get(f"/orgs/{installed.id}/schedules/")
    html = resp.content.decode()
    for text in ("SCHEDULE NAME", "LAST RUN", "NEXT RUN", "FREQUENCY", "STATUS"):
        assert text in html
    assert "Sync Amazon Record" in html and "Update Order Status" in html
    assert html.count("Daily") == 2
    assert html.count("2 of 2 manual runs left today") == 2
    assert 'role="switch" aria-checked="true"' in html


def test_status_switch_turns_a_schedule_off_and_on(admin_client, installed):
    url = f"/orgs/{installed.id}/schedules/update_order_status/status/"
    resp = admin_client.post(url, {"enabled": "off"})
    assert resp.status_code == 302
    schedule = TenantSchedule.objects.get(tenant=installed, kind="update_order_status")
    assert not schedule.enabled and schedule.next_run_at is None  # the dispatcher skips it
    html = admin_client.get(f"/orgs/{installed.id}/schedules/").content.decode()
    assert 'aria-checked="false"' in html
    admin_client.post(url, {"enabled": "on"})
    schedule.refresh_from_db()
    assert schedule.enabled and schedule.next_run_at is not None


def test_unknown_schedule_is_404(admin_client, installed):
    assert admin_client.post(f"/orgs/{installed.id}/schedules/nope/run/").status_code == 404


def test_run_now_twice_then_refused_with_when(
    admin_client, installed, setup_complete, eager_celery, django_capture_on_commit_callbacks
):
    url = f"/orgs/{installed.id}/schedules/sync_amazon_record/run/"
    for left in (1, 0):
        with django_capture_on_commit_callbacks(execute=False):
            resp = admin_client.post(url)
        assert any("started" in m for m in _messages(resp)), _messages(resp)
        # The run ends (with nothing to do) before the next click: a run that *failed*
        # before writing anything would give its slot back (crm_sync.services.retry).
        started = SyncRun.objects.filter(tenant=installed, outcome="running").get()
        sync_run_finish(run_id=started.pk)
        html = admin_client.get(f"/orgs/{installed.id}/schedules/").content.decode()
        if left:
            assert "1 of 2 manual run left today" in html
    runs = SyncRun.objects.filter(tenant=installed, trigger="manual")
    assert runs.count() == 2
    assert all(r.outcome == "no_orders" for r in runs)
    assert "No manual runs left today; allowed again" in html
    assert "disabled" in html
    resp = admin_client.post(url)
    assert any("Run Now refused" in m and "allowed again" in m for m in _messages(resp))
    assert SyncRun.objects.filter(tenant=installed, trigger="manual").count() == 2
    # The other schedule keeps its own two.
    assert "2 of 2 manual runs left today" in html


def test_progress_fragment_shows_a_running_run(admin_client, installed, setup_complete):
    from django.utils import timezone

    SyncRun.objects.create(
        tenant=installed,
        schedule="sync_amazon_record",
        trigger="manual",
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
        orders_fetched=42,
        orders_created=40,
    )
    page = admin_client.get(f"/orgs/{installed.id}/schedules/").content.decode()
    assert 'data-running="true"' in page
    resp = admin_client.get(f"/orgs/{installed.id}/schedules/progress/")
    assert resp.status_code == 200
    assert resp["Cache-Control"] == "no-store"
    html = resp.content.decode()
    assert "<html" not in html
    assert "42</strong> orders processed so far" in html
    assert "A run is in progress." in html
    assert "Another schedule is running; one run at a time." in html
