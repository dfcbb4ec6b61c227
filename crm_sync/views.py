"""The Schedules page (as Zoho's: name, last run, next run, frequency, status, Run Now), its
status switch, Run Now, and the progress fragment the page polls while a run is going."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from crm_sync.models import ScheduleKind
from tenants.access import tenant_for_user
from tenants.pages import not_installed_redirect, page_context

POLL_SECONDS = 2


def _kind(kind: str) -> str:
    if kind not in ScheduleKind.values:
        raise Http404("No such schedule.")
    return kind


def _rows(tenant):
    from crm_sync.services.schedules import schedules_for_tenant

    rows = schedules_for_tenant(tenant=tenant)
    return rows, any(row.running is not None for row in rows)


def _setup_problems(tenant):
    from crm_sync.services.setup import setup_problems

    return setup_problems(tenant=tenant)


@login_required
@require_GET
def schedules(request: HttpRequest, tenant_id: int) -> HttpResponse:
    tenant = tenant_for_user(tenant_id=tenant_id, user=request.user)
    if (response := not_installed_redirect(request, tenant)) is not None:
        return response
    rows, running = _rows(tenant)
    ctx = page_context(
        request,
        tenant,
        rows=rows,
        running=running,
        poll_seconds=POLL_SECONDS,
        setup_problems=_setup_problems(tenant),
    )
    return render(request, "crm_sync/schedules.html", ctx)


@login_required
@require_GET
def schedules_progress(request: HttpRequest, tenant_id: int) -> HttpResponse:
    """The table body alone; ``data-running`` on it tells the page whether to keep polling."""
    tenant = tenant_for_user(tenant_id=tenant_id, user=request.user)
    if not tenant.is_installed:
        raise Http404("The extension is not installed.")
    rows, running = _rows(tenant)
    ctx = page_context(
        request, tenant, rows=rows, running=running, setup_problems=_setup_problems(tenant)
    )
    response = render(request, "crm_sync/_schedule_rows.html", ctx)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def schedule_status(request: HttpRequest, tenant_id: int, kind: str) -> HttpResponse:
    from crm_sync.services.schedules import schedule_set_enabled

    tenant = tenant_for_user(tenant_id=tenant_id, user=request.user, manage=True)
    kind = _kind(kind)
    enabled = request.POST.get("enabled") == "on"
    schedule_set_enabled(tenant=tenant, kind=kind, enabled=enabled)
    label = ScheduleKind(kind).label
    messages.success(request, f"{label} is {'on' if enabled else 'off'}.")
    return redirect("crm_sync:schedules", tenant_id=tenant.id)


@login_required
@require_POST
def schedule_run_now(request: HttpRequest, tenant_id: int, kind: str) -> HttpResponse:
    from crm_sync.services.run_now import RunNowRefusedError, run_now

    tenant = tenant_for_user(tenant_id=tenant_id, user=request.user, manage=True)
    kind = _kind(kind)
    label = ScheduleKind(kind).label
    try:
        run = run_now(tenant=tenant, kind=kind, user=request.user)
    except RunNowRefusedError as exc:
        messages.error(request, f"Run Now refused: {exc.message}")
    else:
        if run.outcome == run.Outcome.SKIPPED:
            messages.warning(request, run.error or f"{label} was skipped.")
        else:
            messages.success(request, f"{label} started (run #{run.pk}); progress shows below.")
    return redirect("crm_sync:schedules", tenant_id=tenant.id)


@login_required
@require_POST
def run_retry(request: HttpRequest, tenant_id: int, run_id: int) -> HttpResponse:
    """A failed run's Retry button: its schedule again, tracked, no Run Now allowance used."""
    from crm_sync.services.retry import RetryRefusedError
    from crm_sync.services.retry import run_retry as retry_start
    from history.selectors import sync_run_for_tenant

    tenant = tenant_for_user(tenant_id=tenant_id, user=request.user, manage=True)
    run = sync_run_for_tenant(tenant=tenant, run_id=run_id)
    try:
        retry = retry_start(tenant=tenant, user=request.user, run=run)
    except RetryRefusedError as exc:
        messages.error(request, f"Retry refused: {exc.message}")
        return redirect("history:run_detail", tenant_id=tenant.id, run_id=run.pk)
    return _started(request, tenant, retry, f"Retry of run #{run.pk}")


@login_required
@require_POST
def run_replay(request: HttpRequest, tenant_id: int, run_id: int) -> HttpResponse:
    """A run's Replay button: its failed and quarantined orders, re-read from Amazon."""
    from crm_sync.services.replay import ReplayRefusedError, replay_run_failures
    from history.selectors import sync_run_for_tenant

    tenant = tenant_for_user(tenant_id=tenant_id, user=request.user, manage=True)
    run = sync_run_for_tenant(tenant=tenant, run_id=run_id)
    try:
        replay = replay_run_failures(tenant=tenant, user=request.user, run=run)
    except ReplayRefusedError as exc:
        messages.error(request, f"Replay refused: {exc.message}")
        return redirect("history:run_detail", tenant_id=tenant.id, run_id=run.pk)
    return _started(request, tenant, replay, f"Replay of run #{run.pk}'s failed orders")


@login_required
@require_POST
def order_replay(request: HttpRequest, tenant_id: int) -> HttpResponse:
    """Order History's Replay button for one order."""
    from crm_sync.services.replay import ReplayRefusedError, replay_order

    tenant = tenant_for_user(tenant_id=tenant_id, user=request.user, manage=True)
    order_id = (request.POST.get("amazon_order_id") or "").strip()[:32]
    try:
        replay = replay_order(tenant=tenant, user=request.user, amazon_order_id=order_id)
    except ReplayRefusedError as exc:
        messages.error(request, f"Replay refused: {exc.message}")
        return redirect("history:order_history", tenant_id=tenant.id)
    return _started(request, tenant, replay, f"Replay of order {order_id}")


def _started(request: HttpRequest, tenant, run, what: str) -> HttpResponse:
    if run.outcome == run.Outcome.SKIPPED:
        messages.warning(request, f"{what} was not started. {run.error}")
    else:
        messages.success(request, f"{what} started (run #{run.pk}); its result shows here.")
    return redirect("history:run_detail", tenant_id=tenant.id, run_id=run.pk)
