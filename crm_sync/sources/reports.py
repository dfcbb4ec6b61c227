"""The backfill source: a chosen date range, read through Amazon's order reports (SP-API) or
through the order listing (MWS), one chunk (report) of at most 30 days at a time.

For each chunk, in order (``report_fetch.ReportFetcher`` does the Amazon side):
createReport → getReport until DONE → getReportDocument → download → parse, streamed. The
reports of the chunks ahead are requested in the background as fast as createReport's quota
allows, so Amazon prepares them while this one is written.

* **Resume**: a chunk is ``processed`` only when ``commit`` says everything up to it is
  checkpointed (each chunk ends with a position batch that asks the pipeline to flush). A
  resumed backfill starts at the first chunk not processed; re-reading part of a chunk
  writes nothing twice (the pipeline skips orders it holds as they are).
* **Merge**: an order whose report row is not newer than what polling or live updates wrote
  (``AmazonOrderState.last_update_date``) is left out: an older report never overwrites
  newer data. Report orders carry no buyer: they go to the anonymous contact, except an
  order we hold as Pending that the report shows complete, inside the buyer-data window:
  that one is read again with getOrder (v2026, items included) so its buyer is not lost.
* **Turns**: the source writes ``BATCH_ORDERS`` orders per turn (``BackfillTurn``), and
  between turns lets the tenant's daily runs go first.
* **Cancel**: asked between batches; what is written stays written; the run ends Cancelled.
* **Task budget**: after ``BACKFILL_TASK_SECONDS`` the source stops after its current chunk
  (``continues``) and the run goes on in a task of its own (``services.execute``).
* **Preview** (``preview=True``): no turns, no commits, no status changes but the report ids
  (so the real run reuses the reports Amazon already prepared).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.db.models import F, Sum
from django.utils import timezone

from amazon_ext.amazon.types import Order, UnreadableOrder
from crm_sync.models import Backfill, BackfillChunk
from crm_sync.sources import FailedOrder, SourceBatch
from crm_sync.sources.report_fetch import (
    BackfillStopped,
    ChunkFailedError,
    ListingFetcher,
    ReportFetcher,
)
from crm_sync.sources.reports_commit import last_chunk_without_waiting
from crm_sync.sources.reports_merge import merge_with_held
from history.models import SyncRun

logger = logging.getLogger(__name__)

PAGE = 100  # orders per pipeline batch (one Zoho write each, once staged)
# Orders per turn (crm_sync.services.backfill_turn): a daily run waits at most this long.
BATCH_ORDERS = int(getattr(settings, "BACKFILL_BATCH_ORDERS", 2000))


class BackfillSource:
    """One backfill's chunks not yet processed. ``turn`` enters and leaves batches (None in
    a preview); ``fetcher`` reads one chunk's orders (reports or listing)."""

    creates_new_orders = True

    def __init__(
        self,
        *,
        backfill: Backfill,
        fetcher: ReportFetcher | ListingFetcher,
        amazon=None,
        turn=None,
        preview: bool = False,
        now: Callable = timezone.now,
    ) -> None:
        self.backfill = backfill
        self.fetcher = fetcher
        self.amazon = amazon
        self.turn = turn
        self.preview = preview
        self._now = now
        self.failed = 0
        self.completed_by_get_order = 0
        self.stale_skipped = 0
        self.cancelled = False
        self.continues = False  # stopped at the task budget: the run goes on in a new task
        self._started = time.monotonic()
        self._pending: list[tuple[int, Order]] = []  # (chunk position, order) to write
        self._unreadable: list[UnreadableOrder] = []
        self._in_turn = 0
        self._last: int | None = None  # the last chunk read to its end

    # ---- the protocol ------------------------------------------------------------------

    def batches(self) -> Iterator[SourceBatch]:
        chunks = list(
            self.backfill.chunks.exclude(
                status__in=[BackfillChunk.Status.PROCESSED, BackfillChunk.Status.NO_DATA]
            ).order_by("position")
        )
        if self.turn is not None and self.turn.inside:
            # Held while run_pipeline cleared the tenant's staged rows; not while Amazon
            # prepares the first report.
            self.turn.leave()
        if not self.preview:
            self._count_earlier_chunks()
        self.fetcher.should_stop = self._cancelled
        self.fetcher.request_ahead(chunks)
        try:
            for n, chunk in enumerate(chunks):
                if self._cancelled():
                    break
                yield from self._chunk(chunk)
                following = chunks[n + 1] if n + 1 < len(chunks) else None
                if following is not None and self._over_budget():
                    yield from self._rest()  # all read so far written; the next task goes on
                    self.continues = True
                    break
                if following is not None and not self.fetcher.ready(following):
                    # Amazon is still preparing the next report: write what is staged and
                    # give the tenant back while we wait.
                    yield SourceBatch(position=self._committable(), flush=not self.preview)
                    self._next_turn()
            else:
                yield from self._rest()
                self._finished()
        finally:
            self.fetcher.close()
            if self.turn is not None and self.turn.inside:
                self.turn.leave()
        if self._cancelled():
            self.cancelled = True  # the run ends "Cancelled" (services.execute)
            self._set_status(Backfill.Status.CANCELLED)

    def hold(self, failed: FailedOrder) -> None:
        """A backfill holds no cursor before a failed order: it is in Order History as
        failed, and a Replay brings it in; the chunk still counts as processed."""
        self.failed += 1

    def commit(self, position: Any) -> None:
        if self.preview or not position:
            return
        BackfillChunk.objects.filter(backfill=self.backfill, position__lte=position).exclude(
            status=BackfillChunk.Status.NO_DATA
        ).update(status=BackfillChunk.Status.PROCESSED)

    def commit_before_waiting(self, position: Any, *, run_id: int) -> None:
        """Some of the run's orders still wait staged: commit up to the chunk before them."""
        if position:
            last = last_chunk_without_waiting(
                backfill=self.backfill, run_id=run_id, position=position
            )
            self.commit(last)

    # ---- one chunk -----------------------------------------------------------------------

    def _chunk(self, chunk: BackfillChunk) -> Iterator[SourceBatch]:
        """The chunk's orders to write, in batches of exactly ``PAGE`` (a remainder waits in
        ``_pending`` for the next chunk's orders, so every Zoho write but the last is full),
        with a flush every ``BATCH_ORDERS`` orders; ``batches`` flushes too when the next
        report is not ready, and gives up the turn while Amazon prepares it. A chunk's
        position is committed only once none of its orders waits any more."""
        try:
            orders = self.fetcher.orders(chunk)
        except ChunkFailedError as exc:
            self._fail(chunk, str(exc))
            raise
        except BackfillStopped:
            return  # cancelled while Amazon prepared the report
        if orders is None:  # CANCELLED by Amazon: no orders in this range
            if not self.preview:
                chunk.status = BackfillChunk.Status.NO_DATA
                chunk.save(update_fields=["status", "updated_at"])
            self._last = chunk.position
            return
        self._enter()
        count = 0
        raw: list[Order] = []
        for order in orders:
            if isinstance(order, UnreadableOrder):
                self._unreadable.append(order)
                continue
            if order.marketplace_id not in self.backfill.marketplace_ids:
                continue
            raw.append(order)
            count += 1
            if len(raw) == PAGE:
                yield from self._take(raw, chunk.position)
                raw = []
                if self._cancelled():
                    return
        yield from self._take(raw, chunk.position)
        chunk.orders = count
        if not self.preview:
            chunk.save(update_fields=["orders", "updated_at"])
        self._last = chunk.position

    def _take(self, raw: list[Order], position: int) -> Iterator[SourceBatch]:
        merged = self._merge(raw)
        self._pending += [(position, order) for order in merged]
        while len(self._pending) >= PAGE:
            batch, self._pending = self._pending[:PAGE], self._pending[PAGE:]
            yield self._batch([order for _, order in batch])
            self._in_turn += PAGE
            if self._in_turn >= BATCH_ORDERS:
                yield SourceBatch(position=self._committable(), flush=not self.preview)
                self._next_turn()
                self._enter()

    def _committable(self) -> int | None:
        """The last chunk none of whose orders waits in ``_pending``."""
        if self._pending:
            return self._pending[0][0] - 1 or None
        return self._last

    def _rest(self) -> Iterator[SourceBatch]:
        """After the last chunk: what still waits, then the final position."""
        if self._pending or self._unreadable:
            self._enter()
            yield self._batch([order for _, order in self._pending])
            self._pending = []
        yield SourceBatch(position=self._last, flush=not self.preview)

    def _batch(self, orders: list[Order]) -> SourceBatch:
        unreadable, self._unreadable = self._unreadable, []
        return SourceBatch(
            orders=tuple(orders),
            items_included=self.fetcher.items_included,
            unreadable=tuple(unreadable),
            creates_new_orders=True,
        )

    def _merge(self, orders: list[Order]) -> list[Order]:
        merged = merge_with_held(
            orders, tenant_id=self.backfill.tenant_id, amazon=self.amazon, now=self._now()
        )
        self.stale_skipped += merged.stale_skipped
        self.completed_by_get_order += merged.completed_by_get_order
        return merged.orders

    # ---- turns, status -------------------------------------------------------------------

    def _enter(self) -> None:
        if self.turn is not None and not self.turn.inside:
            self.turn.enter()

    def _next_turn(self) -> None:
        """After a checkpoint: let the tenant's other runs go first."""
        self._in_turn = 0
        if self.turn is not None and self.turn.inside:
            self.turn.leave()

    def _over_budget(self) -> bool:
        if self.preview:
            return False
        return time.monotonic() - self._started >= settings.BACKFILL_TASK_SECONDS

    def _cancelled(self) -> bool:
        if self.preview:
            return False
        status = Backfill.objects.filter(pk=self.backfill.pk).values_list("status", flat=True)
        return status.first() in (Backfill.Status.CANCELLING, Backfill.Status.CANCELLED)

    def _set_status(self, status: str, error: str = "") -> None:
        if self.preview:
            return
        Backfill.objects.filter(pk=self.backfill.pk).update(
            status=status, error=error, finished_at=timezone.now(), in_batch_since=None
        )

    def _finished(self) -> None:
        self._set_status(Backfill.Status.FINISHED)

    def _fail(self, chunk: BackfillChunk, message: str) -> None:
        if self.preview:
            return
        chunk.status = BackfillChunk.Status.FAILED
        chunk.error = message
        chunk.save(update_fields=["status", "error", "updated_at"])
        self._set_status(Backfill.Status.FAILED, message)

    def _count_earlier_chunks(self) -> None:
        """A resumed run starts its count at zero (run_pipeline): add the orders of the
        chunks processed before it, so the run shows the whole backfill."""
        done = self.backfill.chunks.filter(status=BackfillChunk.Status.PROCESSED).aggregate(
            n=Sum("orders")
        )["n"]
        if done and self.backfill.run_id:
            SyncRun.objects.filter(pk=self.backfill.run_id).update(
                orders_fetched=F("orders_fetched") + done
            )
