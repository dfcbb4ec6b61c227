"""How far a backfill may mark its chunks processed while some of its orders still wait
staged: a mid-run flush writes full batches only (``crm_sync.pipeline.write``), so an order
of an early chunk may wait for a later flush. A chunk is processed only once none of its
orders waits; a resumed run reads it again (the orders written meanwhile are skipped)."""

from __future__ import annotations

from django.db.models import Min

from crm_sync.models import Backfill, StagedRecord
from crm_sync.zoho.modules import SALES_ORDERS

ALL_MARKETPLACES = "all"  # a listing chunk (MWS) covers every marketplace


def last_chunk_without_waiting(*, backfill: Backfill, run_id: int, position: int) -> int:
    """The last chunk position ≤ ``position`` before the first chunk that holds an order of
    the run still staged (0: none). Report chunks are ranges of purchase dates per
    marketplace; an order on a boundary counts for the earlier chunk."""
    waiting = dict(
        StagedRecord.objects.filter(run_id=run_id, module=SALES_ORDERS)
        .exclude(action="verify")
        .values("marketplace_id")
        .annotate(first=Min("purchase_date"))
        .values_list("marketplace_id", "first")
    )
    if not waiting:
        return position
    chunks = backfill.chunks.filter(position__lte=position).order_by("position")
    for chunk in chunks.only("position", "marketplace_id", "end"):
        firsts = (
            waiting.values()
            if chunk.marketplace_id == ALL_MARKETPLACES
            else [waiting.get(chunk.marketplace_id)]
        )
        if any(first is not None and first <= chunk.end for first in firsts):
            return chunk.position - 1
    return position
