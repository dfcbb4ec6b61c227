"""Reads for the Backfill page: the tenant's latest backfill and its live progress."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count

from crm_sync.models import Backfill, BackfillChunk, SyncPreview
from crm_sync.services.backfill import backfill_settle
from history.models import SyncRun
from tenants.models import Tenant


@dataclass(frozen=True)
class BackfillProgress:
    """Reports requested / ready / processed (and without orders, failed), orders written."""

    reports: int
    requested: int
    ready: int
    processed: int
    no_data: int
    failed: int
    orders_read: int
    orders_written: int
    records_failed: int
    waiting_for_tenant: bool

    @property
    def done(self) -> int:
        return self.processed + self.no_data

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.reports) if self.reports else 0


def latest_backfill(*, tenant: Tenant) -> Backfill | None:
    backfill = Backfill.objects.filter(tenant=tenant).select_related("run").first()
    return backfill_settle(backfill=backfill) if backfill else None


def backfill_for_tenant(*, tenant: Tenant, backfill_id: int) -> Backfill | None:
    backfill = Backfill.objects.filter(tenant=tenant, pk=backfill_id).select_related("run").first()
    return backfill_settle(backfill=backfill) if backfill else None


def backfill_progress(*, backfill: Backfill) -> BackfillProgress:
    counts = dict(
        backfill.chunks.values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    status = BackfillChunk.Status
    processed = counts.get(status.PROCESSED, 0)
    run: SyncRun | None = backfill.run
    read = sum(backfill.chunks.filter(status=status.PROCESSED).values_list("orders", flat=True))
    return BackfillProgress(
        reports=sum(counts.values()),
        # Every report asked for counts as requested; ready ones are also "ready".
        requested=sum(
            counts.get(s, 0)
            for s in (status.REQUESTED, status.READY, status.PROCESSED, status.NO_DATA)
        ),
        ready=counts.get(status.READY, 0) + processed + counts.get(status.NO_DATA, 0),
        processed=processed,
        no_data=counts.get(status.NO_DATA, 0),
        failed=counts.get(status.FAILED, 0),
        orders_read=read,
        orders_written=(run.orders_created + run.orders_updated) if run else 0,
        records_failed=run.records_failed if run else 0,
        waiting_for_tenant=bool(
            run
            and run.outcome == SyncRun.Outcome.RUNNING
            and backfill.in_batch_since is None
            and SyncRun.objects.filter(
                tenant_id=backfill.tenant_id, outcome=SyncRun.Outcome.RUNNING
            )
            .exclude(pk=run.pk)
            .exists()
        ),
    )


def preview_for_tenant(*, tenant: Tenant, preview_id: int) -> SyncPreview | None:
    return SyncPreview.objects.filter(tenant=tenant, pk=preview_id).first()
