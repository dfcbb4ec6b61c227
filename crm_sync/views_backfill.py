"""Backfill (set up a range, see the estimate, Preview, Start; live progress, Cancel,
Resume) and Preview (of a backfill or of a schedule's next run). Thin: services decide."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from crm_sync.backfill_selectors import (
    backfill_for_tenant,
    backfill_progress,
    latest_backfill,
    preview_for_tenant,
)
from crm_sync.models import Backfill, ScheduleKind
from tenants.access import tenant_for_user
from tenants.pages import not_installed_redirect, page_context

POLL_SECONDS = 3
DEFAULT_DAYS = 730


def _marketplaces(tenant) -> list[str]:
    credentials = getattr(tenant, "amazon_credentials", None)
    return list(credentials.marketplace_ids or []) if credentials else []


def _day(text: str, zone: ZoneInfo, *, end: bool) -> datetime:
    """A date of the form in the tenant's zone: the start of that day, or the end of it."""
    if len(text) != 10:  # fromisoformat would also take "20250131"
        raise ValueError(text)
    day = date.fromisoformat(text)
    moment = datetime.combine(day + timedelta(days=1) if end else day, time(0), tzinfo=zone)
    return min(moment, timezone.now()) if end else moment


@login_required
@require_GET
def backfill_page(request: HttpRequest, tenant_id: int) -> HttpResponse:
    tenant = tenant_for_user(tenant_id=tenant_id, user=request.user, manage=True)
    if (response := not_installed_redirect(request, tenant)) is not None:
        return response
    from crm_sync.services.backfill import backfill_estimate

    backfill = latest_backfill(tenant=tenant)
    zone = ZoneInfo(tenant.time_zone)
    today = timezone.localdate(timezone=zone)
    estimate = None
    if backfill is not None and backfill.status == Backfill.Status.DRAFT:
        estimate = backfill_estimate(
            tenant=tenant,
            start=backfill.start,
            end=backfill.end,
            marketplace_ids=list(backfill.marketplace_ids),
        )
    ctx = page_context(
        request,
        tenant,
        backfill=backfill,
        progress=backfill_progress(backfill=backfill) if backfill else None,
        estimate=estimate,
        marketplaces=_marketplaces(tenant),
        default_start=today - timedelta(days=DEFAULT_DAYS),
        default_end=today,
        poll_seconds=POLL_SECONDS,
        live=bool(backfill and backfill.status in ("running", "cancelling")),
    )
    template = (
        "crm_sync/_backfill_progress.html"
        if request.GET.get("fragment")
        else "crm_sync/backfill.html"
    )
    return render(request, template, ctx)


@login_required
@require_POST
def backfill_setup(request: HttpRequest, tenant_id: int) -> HttpResponse:
    from crm_sync.services.backfill import BackfillError, backfill_create

    tenant = tenant_for_user(tenant_id=tenant_id, user=request.user, manage=True)
    zone = ZoneInfo(tenant.time_zone)
    try:
        start = _day(request.POST.get("start", ""), zone, end=False)
        end = _day(request.POST.get("end", ""), zone, end=True)
    except ValueError:
        messages.error(request, "Enter both dates as YYYY-MM-DD, e.g. 2025-01-31.")
        return redirect("crm_sync:backfill", tenant_id=tenant.id)
    try:
        backfill_create(
            tenant=tenant,
            user=request.user,
            start=start,
            end=end,
            marketplace_ids=request.POST.getlist("marketplace_ids"),
        )
    except BackfillError as exc:
        messages.error(request, f"Backfill not set up: {exc.message}")
    return redirect("crm_sync:backfill", tenant_id=tenant.id)


def _backfill(request, tenant_id: int, backfill_id: int):
    tenant = tenant_for_user(tenant_id=tenant_id, user=request.user, manage=True)
    backfill = backfill_for_tenant(tenant=tenant, backfill_id=backfill_id)
    if backfill is None:
        raise Http404("No such backfill.")
    return tenant, backfill


@login_required
@require_POST
def backfill_action(
    request: HttpRequest, tenant_id: int, backfill_id: int, action: str
) -> HttpResponse:
    from crm_sync.services import backfill as service

    tenant, backfill = _backfill(request, tenant_id, backfill_id)
    try:
        if action == "start":
            run = service.backfill_start(backfill=backfill, user=request.user)
            messages.success(request, f"Backfill started (run #{run.pk}); progress shows below.")
        elif action == "resume":
            run = service.backfill_resume(backfill=backfill, user=request.user)
            messages.success(request, f"Backfill resumed (run #{run.pk}) from its last report.")
        elif action == "cancel":
            service.backfill_cancel(backfill=backfill)
            messages.success(request, "Cancelling: the backfill stops after its current batch.")
        else:
            raise Http404("No such action.")
    except service.BackfillError as exc:
        messages.error(request, exc.message)
    return redirect("crm_sync:backfill", tenant_id=tenant.id)


@login_required
@require_POST
def preview_start(request: HttpRequest, tenant_id: int) -> HttpResponse:
    """Preview a backfill (``backfill_id``) or a schedule's next run (``kind``)."""
    from crm_sync.services.preview import PreviewRefusedError, preview_request

    tenant = tenant_for_user(tenant_id=tenant_id, user=request.user, manage=True)
    backfill = None
    if request.POST.get("backfill_id", "").isdigit():
        backfill = backfill_for_tenant(tenant=tenant, backfill_id=int(request.POST["backfill_id"]))
        if backfill is None:
            raise Http404("No such backfill.")
    kind = request.POST.get("kind", "")
    if backfill is None and kind not in ScheduleKind.values:
        raise Http404("No such schedule.")
    try:
        preview = preview_request(
            tenant=tenant, user=request.user, schedule=kind, backfill=backfill
        )
    except PreviewRefusedError as exc:
        messages.error(request, f"Preview refused: {exc.message}")
        return redirect(
            "crm_sync:backfill" if backfill else "crm_sync:schedules", tenant_id=tenant.id
        )
    return redirect("crm_sync:preview", tenant_id=tenant.id, preview_id=preview.pk)


@login_required
@require_GET
def preview_page(request: HttpRequest, tenant_id: int, preview_id: int) -> HttpResponse:
    tenant = tenant_for_user(tenant_id=tenant_id, user=request.user, manage=True)
    preview = preview_for_tenant(tenant=tenant, preview_id=preview_id)
    if preview is None:
        raise Http404("No such preview.")
    what = (
        f"Backfill {preview.backfill.start:%d %b %Y}–{preview.backfill.end:%d %b %Y}"
        if preview.backfill
        else f"Next run of {ScheduleKind(preview.schedule).label}"
    )
    ctx = page_context(request, tenant, preview=preview, what=what, poll_seconds=POLL_SECONDS)
    return render(request, "crm_sync/backfill_preview.html", ctx)
