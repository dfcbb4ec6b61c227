"""Preview: what a schedule's next run, or a backfill, would write to Zoho — computed by the
pipeline up to the write step (crm_sync.pipeline.preview) with zero Zoho writes, no cursor
moved and no Run Now allowance used.

``preview_request`` records a ``SyncPreview`` and sends ``crm_sync.tasks.run_preview`` on
commit; ``preview_execute`` (the task's body) builds the tenant's Amazon client and the
source the real run would use (the schedule's listing from its saved cursor, or the
backfill's reports), runs the preview and saves its summary. The Zoho connection is used
only for the organisation's field names: no Zoho call is made. Previews older than a day
are deleted when a new one is asked for (a listing's sample contacts hold buyer data).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import current_app
from django.db import transaction
from django.utils import timezone

from amazon_ext.amazon.errors import AmazonCredentialError, AmazonError
from amazon_ext.amazon.factory import orders_client_for
from amazon_ext.models import AmazonCredentials
from crm_sync.models import Backfill, ScheduleKind, SyncPreview, ZohoConnection
from crm_sync.pipeline.job import SyncJob
from crm_sync.pipeline.preview import preview_pipeline
from crm_sync.sources.backfill_for_run import fetcher_for
from crm_sync.sources.listing import ListingSource
from crm_sync.sources.reports import BackfillSource
from history.models import SyncRun
from tenants.models import Tenant

logger = logging.getLogger(__name__)

RUN_PREVIEW = "crm_sync.tasks.run_preview"
KEEP_PREVIEWS = timedelta(days=1)


class PreviewRefusedError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def preview_request(
    *, tenant: Tenant, user, schedule: str = "", backfill: Backfill | None = None
) -> SyncPreview:
    if backfill is None:
        schedule = ScheduleKind(schedule).value
    elif backfill.tenant_id != tenant.pk:
        raise PreviewRefusedError("This backfill belongs to another organisation.")
    connection = ZohoConnection.objects.filter(tenant=tenant).first()
    if connection is None or not connection.field_api_names:
        raise PreviewRefusedError(
            "Connect Zoho CRM first (Settings → Connect Zoho CRM): the preview shows records "
            "with your organisation's field names."
        )
    if not AmazonCredentials.objects.filter(tenant=tenant).exists():
        raise PreviewRefusedError(
            "Amazon is not connected yet. Enter the credentials in Settings → Extension Settings."
        )
    with transaction.atomic():
        SyncPreview.objects.filter(
            tenant=tenant, created_at__lt=timezone.now() - KEEP_PREVIEWS
        ).delete()
        preview = SyncPreview.objects.create(
            tenant=tenant,
            schedule="" if backfill else schedule,
            backfill=backfill,
            created_by=user,
        )
        transaction.on_commit(lambda: current_app.tasks[RUN_PREVIEW].delay(preview.pk))
    return preview


def _finish(preview: SyncPreview, *, summary: dict | None = None, error: str = "") -> None:
    preview.status = SyncPreview.Status.FAILED if error else SyncPreview.Status.DONE
    preview.summary = summary or {}
    preview.error = error
    preview.finished_at = timezone.now()
    preview.save(update_fields=["status", "summary", "error", "finished_at"])


def preview_execute(*, preview_id: int) -> SyncPreview | None:
    preview = SyncPreview.objects.select_related("tenant", "backfill").filter(pk=preview_id).first()
    if preview is None or preview.status != SyncPreview.Status.RUNNING:
        return preview
    tenant = preview.tenant
    credentials = AmazonCredentials.objects.filter(tenant=tenant).first()
    connection = ZohoConnection.objects.filter(tenant=tenant).first()
    if credentials is None or connection is None:
        _finish(preview, error="Amazon or Zoho CRM is no longer connected; connect it again.")
        return preview
    amazon = orders_client_for(credentials)
    # An unsaved run: the job's tenant and schedule; nothing is recorded under it.
    run = SyncRun(
        tenant=tenant,
        schedule=preview.schedule or ScheduleKind.SYNC_RECORDS,
        trigger=SyncRun.Trigger.BACKFILL if preview.backfill_id else SyncRun.Trigger.MANUAL,
    )
    job = SyncJob(run=run, amazon=amazon, zoho=None, names=connection.field_api_names)
    if preview.backfill_id:
        source = BackfillSource(
            backfill=preview.backfill,
            fetcher=fetcher_for(backfill=preview.backfill, amazon=amazon),
            amazon=amazon,
            preview=True,
        )
    else:
        source = ListingSource(
            amazon=amazon,
            tenant_id=tenant.pk,
            schedule=preview.schedule,
            marketplace_ids=list(credentials.marketplace_ids),
        )
    try:
        summary = preview_pipeline(job, source)
    except AmazonCredentialError as exc:
        _finish(preview, error=f"Amazon credential problem: {exc}. Fix it in Settings.")
    except AmazonError as exc:
        _finish(preview, error=f"Amazon error: {exc}. Try the preview again later.")
    except Exception:
        logger.exception("preview %s failed", preview_id)
        _finish(
            preview,
            error=f"An internal error stopped the preview (reference: preview {preview_id}).",
        )
    else:
        _finish(preview, summary=summary.as_json())
    finally:
        close = getattr(amazon, "close", None)
        if close is not None:
            close()
    return preview
