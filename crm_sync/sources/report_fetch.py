"""The Amazon side of a backfill chunk: its orders, from an order report (SP-API) or from the
order listing (MWS).

``ReportFetcher`` requests the reports of the chunks ahead from a background thread, as fast
as createReport's quota allows (burst 15, then one a minute), so Amazon prepares them while
the current chunk is written; the worker thread saves nothing (the report ids it obtained
are saved by the main thread, so a lost id costs one more report, never a wrong one). For
the current chunk it polls getReport (2/s burst 15, every ``POLL_SECONDS`` Amazon-seconds),
and then:

* DONE → getReportDocument → download (a fresh URL on each try) → parsed orders, streamed;
* CANCELLED → ``None``: Amazon had no orders in the range;
* FATAL → wait ``FATAL_RETRY_SECONDS`` and ask for a new report, up to ``FATAL_ATTEMPTS``
  reports, then :class:`ChunkFailedError` naming the chunk.

A DONE report is reused as long as Amazon keeps it (30 days): a preview's reports serve the
backfill it previews, and a resumed backfill does not ask again for reports it has.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC

from django.conf import settings

from amazon_ext.amazon.errors import AmazonError
from amazon_ext.amazon.spapi.order_report import ReportFormatError, parse_order_report
from amazon_ext.amazon.spapi.reports import ReportsApi, document_lines
from amazon_ext.amazon.types import Order, UnreadableOrder
from crm_sync.models import BackfillChunk

logger = logging.getLogger(__name__)

POLL_SECONDS = 15.0  # Amazon-seconds between getReport calls for the chunk in hand
FATAL_RETRY_SECONDS = 120.0
FATAL_ATTEMPTS = 3
DOWNLOAD_ATTEMPTS = 3


class ChunkFailedError(AmazonError):
    """Amazon could not produce a chunk's report; the message names the chunk."""

    retryable = False


def _scale() -> float:
    return float(getattr(settings, "AMAZON_QUOTA_TIME_SCALE", 1.0) or 1.0)


def describe(chunk: BackfillChunk) -> str:
    return (
        f"{chunk.marketplace_id} {chunk.start.astimezone(UTC):%Y-%m-%d}–"
        f"{chunk.end.astimezone(UTC):%Y-%m-%d}"
    )


class ReportFetcher:
    """Chunks' orders through the Reports API of ``client`` (an SpApiClient)."""

    items_included = True  # one report row per item

    def __init__(self, client, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.api = ReportsApi(client)
        self._sleep = sleep
        self._lock = threading.Lock()
        self._requested: dict[int, str] = {}  # chunk pk → reportId, from the worker thread
        self._queue: list[BackfillChunk] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    # ---- reports ahead (background) --------------------------------------------------------

    def request_ahead(self, chunks: list[BackfillChunk]) -> None:
        self._queue = [c for c in chunks if not c.report_id]
        if self._queue:
            self._thread = threading.Thread(target=self._request_all, daemon=True)
            self._thread.start()

    def _request_all(self) -> None:
        for chunk in self._queue:
            if self._stop.is_set():
                return
            try:
                report_id = self.api.create_order_report(
                    marketplace_id=chunk.marketplace_id, start=chunk.start, end=chunk.end
                )
            except BaseException as exc:  # handed to the main thread when it needs the id
                self._error = exc
                return
            with self._lock:
                self._requested[chunk.pk] = report_id

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=120)
        self.api.close()

    def _report_id(self, chunk: BackfillChunk) -> str:
        """The chunk's report id: saved, obtained ahead, or requested now."""
        if chunk.report_id:
            return chunk.report_id
        while self._thread is not None and self._thread.is_alive():
            with self._lock:
                if chunk.pk in self._requested:
                    break
            self._sleep(0.05)
        with self._lock:
            report_id = self._requested.pop(chunk.pk, None)
        if report_id is None:
            if self._error is not None:
                error, self._error = self._error, None
                raise error
            report_id = self.api.create_order_report(
                marketplace_id=chunk.marketplace_id, start=chunk.start, end=chunk.end
            )
        self._save(chunk, report_id=report_id, status=BackfillChunk.Status.REQUESTED)
        return report_id

    def saved_requested(self) -> None:
        """Save the report ids the worker obtained (progress: reports requested)."""
        with self._lock:
            ready = dict(self._requested)
        for pk, report_id in ready.items():
            BackfillChunk.objects.filter(pk=pk, report_id="").update(
                report_id=report_id, status=BackfillChunk.Status.REQUESTED
            )

    @staticmethod
    def _save(chunk: BackfillChunk, **fields) -> None:
        for name, value in fields.items():
            setattr(chunk, name, value)
        chunk.save(update_fields=[*fields, "updated_at"])

    # ---- the chunk in hand -------------------------------------------------------------

    def orders(self, chunk: BackfillChunk) -> Iterator[Order | UnreadableOrder] | None:
        """The chunk's orders (None: Amazon had none), once its report is DONE."""
        while True:
            report_id = self._report_id(chunk)
            status = self._wait(report_id)
            self.saved_requested()
            if status.processing_status == "CANCELLED":
                return None
            if status.processing_status == "DONE":
                self._save(
                    chunk,
                    report_document_id=status.report_document_id or "",
                    status=BackfillChunk.Status.READY,
                )
                return self._download(chunk)
            attempts = chunk.fatal_count + 1
            self._save(chunk, fatal_count=attempts, report_id="")
            if attempts >= FATAL_ATTEMPTS:
                raise ChunkFailedError(
                    f"Amazon could not prepare the order report for {describe(chunk)} "
                    f"({attempts} reports ended FATAL). Everything before it is in Zoho CRM; "
                    "press Resume on the Backfill page later to try this report again.",
                    code="ReportFatal",
                )
            logger.warning("backfill chunk %s: report %s FATAL; asking again", chunk.pk, report_id)
            self._sleep(FATAL_RETRY_SECONDS / _scale())

    def _wait(self, report_id: str):
        while True:
            status = self.api.get_report(report_id)
            if status.processing_status in ("DONE", "CANCELLED", "FATAL"):
                return status
            self.saved_requested()
            self._sleep(POLL_SECONDS / _scale())

    def _download(self, chunk: BackfillChunk) -> Iterator[Order | UnreadableOrder]:
        for attempt in range(1, DOWNLOAD_ATTEMPTS + 1):
            try:
                document = self.api.get_report_document(chunk.report_document_id)
                content = self.api.download(document)
                break
            except AmazonError as exc:
                if not exc.retryable or attempt == DOWNLOAD_ATTEMPTS:
                    raise
        return self._parsed(chunk, content)

    @staticmethod
    def _parsed(chunk: BackfillChunk, content) -> Iterator[Order | UnreadableOrder]:
        with content:
            try:
                yield from parse_order_report(
                    document_lines(content), marketplace_id=chunk.marketplace_id
                )
            except ReportFormatError as exc:
                raise ChunkFailedError(
                    f"Amazon's order report for {describe(chunk)} is not an order report "
                    f"({exc}). Press Resume on the Backfill page to ask for it again.",
                    code="BadReport",
                ) from None


class ListingFetcher:
    """MWS tenants: a chunk's orders through the order listing (by creation date), items
    fetched by the pipeline. Slower: ListOrders pages and one item call per order."""

    items_included = False

    def __init__(self, client) -> None:
        self.client = client

    def request_ahead(self, chunks: list[BackfillChunk]) -> None:
        """Nothing to prepare: the listing answers at once."""

    def close(self) -> None:
        """Nothing to release."""

    def orders(self, chunk: BackfillChunk) -> Iterator[Order | UnreadableOrder]:
        for page in self.client.iter_order_pages(created_after=chunk.start, before=chunk.end):
            yield from page.unreadable
            yield from page.orders
