"""The source of a Backfill run: its backfill's chunks, through order reports (SP-API) or the
order listing (MWS), taking turns with the tenant's other runs."""

from __future__ import annotations

from crm_sync.models import Backfill
from crm_sync.services.backfill_turn import BackfillTurn
from crm_sync.sources.report_fetch import ListingFetcher, ReportFetcher
from crm_sync.sources.reports import BackfillSource
from history.models import SyncRun


def fetcher_for(*, backfill: Backfill, amazon) -> ReportFetcher | ListingFetcher:
    if backfill.via == Backfill.Via.REPORTS:
        return ReportFetcher(amazon)
    return ListingFetcher(amazon)


def backfill_source_for_run(*, run: SyncRun, amazon) -> BackfillSource:
    """Enters the first turn before returning: ``run_pipeline`` starts by clearing the
    tenant's staged rows, which must not happen while another run of the tenant writes."""
    backfill = Backfill.objects.get(run=run)
    # Waits for a running daily run to end (never given up half-way: a cancel takes effect
    # at the backfill's next batch).
    turn = BackfillTurn(backfill_id=backfill.pk, tenant_id=run.tenant_id)
    turn.enter()
    return BackfillSource(
        backfill=backfill,
        fetcher=fetcher_for(backfill=backfill, amazon=amazon),
        amazon=amazon,
        turn=turn,
    )
