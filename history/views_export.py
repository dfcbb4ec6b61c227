"""CSV downloads of Amazon Sync History and Order History: the rows the page shows for the
same filters, streamed (a large tenant's export starts at once and holds one chunk)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from history.exports import order_events_csv, sync_runs_csv
from history.forms import OrderSearchForm, RunFilterForm
from tenants.access import tenant_for_user


def _download(lines, name: str, tenant) -> StreamingHttpResponse:
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{name}-{tenant.pk}-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def runs_export(request: HttpRequest, tenant_id: int) -> StreamingHttpResponse:
    tenant = tenant_for_user(tenant_id=tenant_id, user=request.user)
    filters = RunFilterForm(request.GET or None).filters()
    return _download(sync_runs_csv(tenant=tenant, filters=filters), "amazon-sync-history", tenant)


@login_required
@require_GET
def order_history_export(request: HttpRequest, tenant_id: int) -> StreamingHttpResponse:
    tenant = tenant_for_user(tenant_id=tenant_id, user=request.user)
    q, filters = OrderSearchForm(request.GET or None).query()
    return _download(
        order_events_csv(tenant=tenant, amazon_order_id=q, filters=filters),
        "order-history",
        tenant,
    )
