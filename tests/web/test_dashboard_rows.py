"""The dashboard's run rows and chart bars are formatted in Python (history.run_rows,
history.charts.bars_svg) for speed; each cell must read exactly as the template filters made
it: dates in the tenant's zone (``M j, Y H:i``, ``c``, ``H:i:s``), "—" while a run goes on,
the error cut by ``truncatechars:90`` and escaped, "N orders" with Django's pluralize."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.template import Context, Template
from django.urls import reverse

from history.charts import bar_chart, bars_svg
from history.models import SyncRun
from history.run_rows import run_rows

pytestmark = pytest.mark.django_db

FILTERS = Template(
    "{% load tz %}{% timezone zone %}{{ run.started_at|date:'c' }}|"
    '{{ run.started_at|date:"M j, Y H:i" }}|{{ run.finished_at|date:"H:i:s"|default:"—" }}|'
    "{{ run.error|truncatechars:90 }}{% endtimezone %}"
)


@pytest.mark.parametrize("zone", ["Europe/Berlin", "Australia/Sydney", "America/Santiago", "UTC"])
def test_run_cells_read_as_the_template_filters_made_them(installed, admin_user, zone):
    # Around Berlin's fall-back night, a single-digit day, a run still going, a long error.
    starts = [datetime(2026, 10, 25, 0, 30, tzinfo=UTC), datetime(2026, 3, 5, 9, 7, 3, tzinfo=UTC)]
    runs = [
        SyncRun.objects.create(
            tenant=installed,
            schedule="sync_amazon_record",
            trigger="manual",
            triggered_by=admin_user,
            started_at=starts[0],
            finished_at=starts[0] + timedelta(minutes=95, seconds=4),
            outcome="failed",
            error="Zoho <refused> & " + "é" * 120,
            orders_fetched=1,
            records_failed=3,
        ),
        SyncRun.objects.create(
            tenant=installed,
            schedule="update_order_status",
            trigger="scheduled",
            started_at=starts[1],
            outcome="running",
        ),
    ]
    rows = run_rows(runs, tenant_id=installed.id, time_zone=zone)
    for run, row in zip(runs, rows, strict=True):
        expected = FILTERS.render(Context({"run": run, "zone": zone})).split("|")
        shown = [
            row.started_iso,
            row.started,
            row.finished,
            str(Template("{{ e }}").render(Context({"e": row.error}))),
        ]
        assert shown == expected
        assert row.url == reverse("history:run_detail", args=[installed.id, run.id])
        assert (row.schedule, row.outcome_label) == (
            run.get_schedule_display(),
            run.get_outcome_display(),
        )
    assert rows[0].triggered_by == admin_user.get_username() and rows[1].triggered_by == ""
    assert rows[0].counts == "1 fetched · 0 created · 0 updated" and rows[0].failed == 3


def test_the_dashboard_shows_the_rows_and_bars(admin_client, installed):
    SyncRun.objects.create(
        tenant=installed,
        schedule="sync_amazon_record",
        trigger="scheduled",
        started_at=datetime.now(UTC) - timedelta(hours=1),
        finished_at=datetime.now(UTC),
        outcome="success",
        orders_fetched=1,
        orders_created=1,
    )
    html = admin_client.get(f"/orgs/{installed.id}/history/").content.decode()
    assert "1 fetched · 1 created · 0 updated" in html
    assert ": 1 order</title>" in html and 'class="bar"/>' in html


def test_bars_svg_escapes_labels_and_pluralizes_like_the_template():
    bars = bar_chart([("<b>", 1), ("Mar 2", 0), ("Mar 3", 5)])
    svg = bars_svg(bars, unit="order", tick_every=2)
    assert "<title>&lt;b&gt;: 1 order</title>" in svg
    assert "<title>Mar 2: 0 orders</title>" in svg and "<title>Mar 3: 5 orders</title>" in svg
    assert svg.count('class="tick"') == 2 and "<b>" not in svg
    assert f'<rect x="{bars[2].x}" y="{bars[2].y}" width="{bars[2].width}"' in svg
    assert date(2026, 3, 2).strftime("%b %-d") == "Mar 2"


def test_the_runs_export_streams_pieces_of_many_rows_with_every_row(admin_client, installed):
    """One piece per CSV line made the export's first 64 KiB cost the server hundreds of
    writes; the pieces now hold ~16 KiB each, and every row is still there once."""
    from tests.web.conftest import make_runs

    runs = make_runs(installed, 400)
    resp = admin_client.get(f"/orgs/{installed.id}/history/runs.csv")
    pieces = [p.decode() for p in resp.streaming_content]
    text = "".join(pieces)
    lines = text.removeprefix("\ufeff").splitlines()
    assert lines[0].startswith("Run,Schedule,Trigger")
    assert sorted(int(line.split(",", 1)[0]) for line in lines[1:]) == sorted(r.pk for r in runs)
    assert len(pieces) < 10 and all(len(p) >= 16 * 1024 for p in pieces[:-1])


def test_export_rows_read_as_the_models_display_them(admin_client, installed, admin_user):
    """The exports read plain values; each cell must still be what the model shows
    (get_*_display labels, the user name, local times, the run's counters and error)."""
    import csv
    import io
    from zoneinfo import ZoneInfo

    from history.models import OrderEvent
    from tests.web.conftest import make_runs

    runs = make_runs(installed, 250, events_per_run=1)
    SyncRun.objects.filter(pk=runs[0].pk).update(
        triggered_by=admin_user, trigger="manual", error='Zoho "no", twice\nsecond line'
    )
    tz = ZoneInfo(installed.time_zone)

    def local(value):
        return value.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S") if value else ""

    def read(url):
        body = b"".join(admin_client.get(url).streaming_content).decode()
        return list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))[1:]

    expected_runs = [
        [
            str(r.pk), r.get_schedule_display(), r.get_trigger_display(),
            r.triggered_by.get_username() if r.triggered_by else "",
            local(r.started_at), local(r.finished_at), r.get_outcome_display(),
            *(str(getattr(r, f)) for f in (
                "orders_fetched", "orders_created", "orders_updated", "products_created",
                "products_updated", "contacts_created", "contacts_updated", "records_failed",
            )),
            r.error,
        ]
        for r in SyncRun.objects.filter(tenant=installed).order_by("-started_at", "-id")
    ]  # fmt: skip
    assert read(f"/orgs/{installed.id}/history/runs.csv") == expected_runs
    events = OrderEvent.objects.filter(tenant=installed).order_by("-created_at", "-id")
    shown = read(f"/orgs/{installed.id}/history/orders.csv")
    assert len(shown) == events.count() == 250
    assert [row[:4] + row[7:10] for row in shown] == [
        [e.amazon_order_id, e.get_action_display(), e.old_status, e.new_status,
         e.zoho_record_id, local(e.created_at), str(e.run_id or "")]
        for e in events
    ]  # fmt: skip
