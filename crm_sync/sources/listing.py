"""The scheduled listing: both daily jobs walk Amazon's order list from a saved cursor.

* *Sync Amazon Record* lists orders by creation time (``CreatedAfter``): new orders.
* *Update Order Status* lists them by last-update time (``LastUpdatedAfter``): changes to
  orders we already hold.

The walk goes in windows of at most SYNC_WINDOW_DAYS, so a stopped run re-lists one window,
not the whole backlog. The cursor (``SyncCursor``) moves only to the end of a window listed
to its last page, and never past an order that failed to be written: the next run lists it
again. An order that could not be *read* does not hold the cursor: it is quarantined, and
after the listing the run re-reads the tenant's quarantined orders by id (up to
``AUTO_RETRY_ATTEMPTS`` times each; then they wait for a Replay).

A NextToken Amazon refuses in the middle of a window (MWS ``NextTokenCorrupted``, SP-API 400
on the token: expired, or garbled on the way) would end the run; instead the window is
listed again from its start, once. Orders already taken from the window are not taken twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from amazon_ext.amazon.base import AmazonOrdersClient
from amazon_ext.amazon.errors import AmazonRequestError
from amazon_ext.amazon.types import OrderPage
from crm_sync.models import ScheduleKind, SyncCursor
from crm_sync.sources import FailedOrder, SourceBatch
from crm_sync.sources.replay import ReplaySource
from history.quarantine import quarantined_to_retry

logger = logging.getLogger(__name__)

# Re-read a little before the cursor: Amazon's window edges are not exact.
CURSOR_OVERLAP = timedelta(minutes=5)
FIRST_RUN_LOOKBACK = timedelta(days=getattr(settings, "SYNC_FIRST_RUN_LOOKBACK_DAYS", 30))
# Amazon serves orders only once they are two minutes old.
AMAZON_LAG = timedelta(minutes=2)
# Re-reads of a quarantined order by the scheduled runs before it waits for a Replay.
AUTO_RETRY_ATTEMPTS = 3
# Quarantined orders one run re-reads (GetOrder quotas are small; the rest wait a run).
AUTO_RETRY_PER_RUN = 50
# How Amazon refuses a NextToken: MWS's own code, SP-API's 400 on the token page.
REFUSED_TOKEN_CODES = frozenset({"NextTokenCorrupted", "InvalidInput", "InvalidNextToken"})


class ListingSource:
    """One schedule's listing for one tenant and marketplace group."""

    def __init__(
        self,
        *,
        amazon: AmazonOrdersClient,
        tenant_id: int,
        schedule: str,
        marketplace_ids: list[str],
        now: Callable[[], datetime] = timezone.now,
    ) -> None:
        self.amazon = amazon
        self.tenant_id = tenant_id
        self.schedule = schedule
        self.cursor_key = ",".join(sorted(marketplace_ids))
        self.creates_new_orders = schedule == ScheduleKind.SYNC_RECORDS
        self._now = now
        # The earliest listing date of an order that failed: the cursor must not pass it.
        self.held: datetime | None = None

    def batches(self) -> Iterator[SourceBatch]:
        """Each page, then (position only) the end of each window walked to its last page,
        as Amazon echoed it: it may end earlier than asked. Then the quarantined orders due
        for another try, re-read by id."""
        # An adapter whose orders carry their items (Orders v2026) says so.
        items_included = bool(getattr(self.amazon, "items_included", False))
        # Chosen before this run quarantines anything: a new one waits for the next run.
        retry = quarantined_to_retry(
            tenant_id=self.tenant_id, below_attempts=AUTO_RETRY_ATTEMPTS, limit=AUTO_RETRY_PER_RUN
        )
        for start, end in listing_windows(self._since(), self._now() - AMAZON_LAG):
            echoed = None
            for page in self._window_pages(start, end):
                yield SourceBatch(
                    orders=tuple(page.orders),
                    items_included=items_included,
                    unreadable=tuple(page.unreadable),
                )
                echoed = page.window_end or echoed
            yield SourceBatch(position=min(echoed, end) if echoed else end)
        still_open = set(quarantined_to_retry(tenant_id=self.tenant_id, ids=retry)) if retry else ()
        if still_open:
            ids = [order_id for order_id in retry if order_id in still_open]
            yield from ReplaySource(amazon=self.amazon, amazon_order_ids=ids).batches()

    def hold(self, failed: FailedOrder) -> None:
        listed_at = (
            failed.purchase_date
            if self.schedule == ScheduleKind.SYNC_RECORDS
            else failed.last_update_date
        )
        self.held = min(listed_at, self.held or listed_at)

    def commit(self, position: datetime) -> None:
        watermark = min(position, self.held or position)
        with transaction.atomic():
            cursor, created = SyncCursor.objects.select_for_update().get_or_create(
                tenant_id=self.tenant_id,
                schedule=self.schedule,
                marketplace_key=self.cursor_key,
                defaults={"watermark": watermark},
            )
            if not created and watermark > cursor.watermark:
                cursor.watermark = watermark
                cursor.save(update_fields=["watermark", "updated_at"])

    def _since(self) -> datetime:
        cursor = SyncCursor.objects.filter(
            tenant_id=self.tenant_id, schedule=self.schedule, marketplace_key=self.cursor_key
        ).first()
        return (cursor.watermark if cursor else self._now() - FIRST_RUN_LOOKBACK) - CURSOR_OVERLAP

    def _window_pages(self, start: datetime, end: datetime) -> Iterator[OrderPage]:
        """The window's pages; listed again from ``start`` (once) if Amazon refuses one of
        its NextTokens, without handing out an order (or unreadable order) twice."""
        seen: set[tuple] = set()
        relisted = False
        while True:
            pages = 0
            try:
                for page in self._pages(start, end):
                    pages += 1
                    orders = [
                        o
                        for o in page.orders
                        if (o.amazon_order_id, o.last_update_date) not in seen
                    ]
                    unreadable = [
                        u for u in page.unreadable if ("?", u.amazon_order_id, u.reason) not in seen
                    ]
                    seen.update((o.amazon_order_id, o.last_update_date) for o in orders)
                    seen.update(("?", u.amazon_order_id, u.reason) for u in unreadable)
                    yield replace(page, orders=tuple(orders), unreadable=tuple(unreadable))
                return
            except AmazonRequestError as exc:
                if relisted or pages == 0 or exc.code not in REFUSED_TOKEN_CODES:
                    raise
                relisted = True
                logger.warning(
                    "tenant %s: Amazon refused a NextToken (%s); listing the window from %s again",
                    self.tenant_id,
                    exc.code,
                    start.isoformat(),
                )

    def _pages(self, start: datetime, end: datetime):
        if self.schedule == ScheduleKind.SYNC_RECORDS:
            return self.amazon.iter_order_pages(created_after=start, before=end)
        return self.amazon.iter_order_pages(last_updated_after=start, before=end)


def listing_windows(since: datetime, until: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Consecutive windows of at most SYNC_WINDOW_DAYS."""
    size = timedelta(days=settings.SYNC_WINDOW_DAYS)
    start = since
    while start < until:
        end = min(start + size, until)
        yield start, end
        start = end
