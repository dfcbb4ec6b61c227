"""The history dashboard: Amazon Sync History (runs) with filters, paging and charts; one
run's detail with its Order History; Order History searchable by Amazon Order ID."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from history.charts import bar_chart, bars_svg, outcome_rows
from history.forms import OrderSearchForm, RunFilterForm
from history.models import SyncRun
from history.next_steps import next_steps_for_run
from history.quarantine import quarantined_count_for_run, replayable_ids_for_run
from history.run_rows import run_rows
from history.selectors import (
    order_events_for_run,
    order_events_for_tenant,
    orders_synced_per_day,
    run_outcomes,
    sync_run_for_tenant,
    sync_runs_for_tenant,
)
from tenants.access import tenant_for_user
from tenants.pages import not_installed_redirect, page_context

CHART_DAYS = 30


def _query_without_cursor(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("after", None)
    return params.urlencode()


@login_required
@require_GET
def dashboard(request: HttpRequest, tenant_id: int) -> HttpResponse:
    tenant = tenant_for_user(tenant_id=tenant_id, user=request.user)
    if (response := not_installed_redirect(request, tenant)) is not None:
        return response
    form = RunFilterForm(request.GET or None)
    page = sync_runs_for_tenant(
        tenant=tenant, filters=form.filters(), cursor=request.GET.get("after")
    )
    per_day = orders_synced_per_day(tenant=tenant, days=CHART_DAYS)
    outcomes = run_outcomes(tenant=tenant, days=CHART_DAYS)
    labels = dict(SyncRun.Outcome.choices)
    ctx = page_context(
        request,
        tenant,
        form=form,
        page=page,
        query=_query_without_cursor(request),
        first_page=not request.GET.get("after"),
        run_rows=run_rows(page.items, tenant_id=tenant.id, time_zone=tenant.time_zone),
        per_day=per_day,
        per_day_rows=[(d.day.strftime("%b %-d"), d.orders) for d in per_day if d.orders],
        per_day_svg=bars_svg(
            bar_chart([(d.day.strftime("%b %-d"), d.orders) for d in per_day]), unit="order"
        ),
        per_day_total=sum(d.orders for d in per_day),
        outcomes=outcome_rows(outcomes, labels),
        chart_days=CHART_DAYS,
        search_form=OrderSearchForm(),
    )
    return render(request, "history/dashboard.html", ctx)


@login_required
@require_GET
def run_detail(request: HttpRequest, tenant_id: int, run_id: int) -> HttpResponse:
    tenant = tenant_for_user(tenant_id=tenant_id, user=request.user)
    run = sync_run_for_tenant(tenant=tenant, run_id=run_id)
    events = order_events_for_run(tenant=tenant, run=run, cursor=request.GET.get("after"))
    replayable = replayable_ids_for_run(run=run)
    quarantined = quarantined_count_for_run(run=run)
    ctx = page_context(
        request,
        tenant,
        run=run,
        events=events,
        replayable=replayable,
        next_steps=next_steps_for_run(run=run, quarantined=quarantined),
        can_retry=run.outcome == SyncRun.Outcome.FAILED,
        query=_query_without_cursor(request),
        first_page=not request.GET.get("after"),
    )
    return render(request, "history/run_detail.html", ctx)


@login_required
@require_GET
def order_history(request: HttpRequest, tenant_id: int) -> HttpResponse:
    tenant = tenant_for_user(tenant_id=tenant_id, user=request.user)
    if (response := not_installed_redirect(request, tenant)) is not None:
        return response
    form = OrderSearchForm(request.GET or None)
    q, filters = form.query()
    events = order_events_for_tenant(
        tenant=tenant, amazon_order_id=q, filters=filters, cursor=request.GET.get("after")
    )
    ctx = page_context(
        request,
        tenant,
        search_form=form,
        q=q,
        filtered=bool(filters),
        events=events,
        replay_buttons=True,
        query=_query_without_cursor(request),
        first_page=not request.GET.get("after"),
    )
    return render(request, "history/order_history.html", ctx)
