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
from dataclasses import dataclass

from django.conf import settings

from amazon_ext.amazon.errors import AmazonError, AmazonServiceError
from amazon_ext.amazon.spapi.order_report import ReportFormatError, parse_order_report
from amazon_ext.amazon.spapi.reports import ReportsApi, document_lines
from amazon_ext.amazon.types import Order, UnreadableOrder
from crm_sync.models import BackfillChunk
from crm_sync.sources.chunk_fetch import (  # noqa: F401  (ListingFetcher: public here too)
    BackfillStopped,
    ChunkFailedError,
    ListingFetcher,
    describe,
)

logger = logging.getLogger(__name__)

POLL_SECONDS = 5.0  # Amazon-seconds between getReport calls (its quota: 2/s, burst 15)
FATAL_RETRY_SECONDS = 120.0
FATAL_ATTEMPTS = 3
DOWNLOAD_ATTEMPTS = 3


def _scale() -> float:
    return float(getattr(settings, "AMAZON_QUOTA_TIME_SCALE", 1.0) or 1.0)


@dataclass
class _Prepared:
    """What the preparing thread found for one chunk."""

    report_id: str = ""
    status: str = ""
    document_id: str = ""
    content: object = None  # the downloaded document (a temporary file), DONE only
    fatal_count: int = 0
    error: BaseException | None = None


class ReportFetcher:
    """Chunks' orders through the Reports API of ``client`` (an SpApiClient).

    Two background threads keep Amazon busy while the main thread writes to Zoho: one asks
    for the reports of every chunk, in order, as fast as createReport's quota allows; the
    other takes the chunks in order, polls getReport until the report is finished, asks
    again after a FATAL, and downloads a DONE report's document to a temporary file. Neither
    thread touches the database: the main thread saves what they found when it takes a
    chunk (a lost report id costs one more report, never a wrong one)."""

    items_included = True  # one report row per item

    def __init__(self, client, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.api = ReportsApi(client)
        self._sleep = sleep
        self._lock = threading.Lock()
        self._requested: dict[int, str] = {}  # chunk pk → reportId (creating thread)
        self._prepared: dict[int, _Prepared] = {}  # chunk pk → result (preparing thread)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._create_error: BaseException | None = None
        self.should_stop: Callable[[], bool] = lambda: False  # asked about every second
        self._creating_done = threading.Event()

    # ---- the background threads --------------------------------------------------------

    def request_ahead(self, chunks: list[BackfillChunk]) -> None:
        to_create = [c for c in chunks if not c.report_id]
        if not to_create:
            self._creating_done.set()
        targets = [(self._prepare_all, list(chunks))]
        if to_create:
            targets.append((self._create_all, to_create))
        for target, arg in targets:
            thread = threading.Thread(target=target, args=(arg,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _create_all(self, chunks: list[BackfillChunk]) -> None:
        try:
            for chunk in chunks:
                if self._stop.is_set():
                    return
                report_id = self._create(chunk)
                with self._lock:
                    self._requested[chunk.pk] = report_id
        except BaseException as exc:  # the preparing thread creates what is missing
            self._create_error = exc
        finally:
            self._creating_done.set()

    def _create(self, chunk: BackfillChunk) -> str:
        return self.api.create_order_report(
            marketplace_id=chunk.marketplace_id, start=chunk.start, end=chunk.end
        )

    def _report_id(self, chunk: BackfillChunk) -> str:
        if chunk.report_id:
            return chunk.report_id
        while not self._stop.is_set():
            with self._lock:
                if chunk.pk in self._requested:
                    return self._requested[chunk.pk]
            if self._creating_done.is_set():
                return self._create(chunk)
            self._sleep(0.02)
        raise _Stopped

    def _prepare_all(self, chunks: list[BackfillChunk]) -> None:
        for chunk in chunks:
            prepared = _Prepared(fatal_count=chunk.fatal_count)
            try:
                self._prepare(chunk, prepared)
            except _Stopped:
                return
            except BaseException as exc:
                prepared.error = exc
            with self._lock:
                self._prepared[chunk.pk] = prepared
            if prepared.error is not None or prepared.status == "FATAL":
                return

    def _prepare(self, chunk: BackfillChunk, prepared: _Prepared) -> None:
        report_id = self._report_id(chunk)
        while True:
            prepared.report_id = report_id
            status = self._wait(report_id)
            prepared.status = status.processing_status
            if prepared.status == "CANCELLED":
                return
            if prepared.status == "DONE":
                prepared.document_id = status.report_document_id or ""
                prepared.content = self._download(prepared.document_id)
                return
            prepared.fatal_count += 1
            if prepared.fatal_count >= FATAL_ATTEMPTS:
                return
            logger.warning("backfill chunk %s: report %s FATAL; asking again", chunk.pk, report_id)
            self._sleep(FATAL_RETRY_SECONDS / _scale())
            report_id = self._create(chunk)

    def _wait(self, report_id: str):
        while True:
            if self._stop.is_set():
                raise _Stopped
            status = self.api.get_report(report_id)
            if status.processing_status in ("DONE", "CANCELLED", "FATAL"):
                return status
            self._sleep(POLL_SECONDS / _scale())

    def _download(self, document_id: str):
        for attempt in range(1, DOWNLOAD_ATTEMPTS + 1):
            try:  # a fresh URL each try: they expire after five minutes
                return self.api.download(self.api.get_report_document(document_id))
            except AmazonError as exc:
                if not exc.retryable or attempt == DOWNLOAD_ATTEMPTS:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=120)
        with self._lock:
            for prepared in self._prepared.values():
                if prepared.content is not None:
                    prepared.content.close()
            self._prepared.clear()
        self.api.close()

    # ---- the main thread ---------------------------------------------------------------

    def ready(self, chunk: BackfillChunk) -> bool:
        """Has the chunk's report been prepared (so taking it now waits for nothing)?"""
        with self._lock:
            return chunk.pk in self._prepared

    def saved_requested(self) -> None:
        """Save the report ids obtained so far (progress: reports requested)."""
        with self._lock:
            found = dict(self._requested)
        for pk, report_id in found.items():
            BackfillChunk.objects.filter(pk=pk, report_id="").update(
                report_id=report_id, status=BackfillChunk.Status.REQUESTED
            )

    @staticmethod
    def _save(chunk: BackfillChunk, **fields) -> None:
        for name, value in fields.items():
            setattr(chunk, name, value)
        chunk.save(update_fields=[*fields, "updated_at"])

    def orders(self, chunk: BackfillChunk) -> Iterator[Order | UnreadableOrder] | None:
        """The chunk's orders (None: Amazon had none), once its report is prepared."""
        waited = 0.0
        while True:
            with self._lock:
                prepared = self._prepared.pop(chunk.pk, None)
            if prepared is not None:
                break
            if not any(t.is_alive() for t in self._threads):
                with self._lock:  # it may have finished just now
                    prepared = self._prepared.pop(chunk.pk, None)
                if prepared is not None:
                    break
                raise AmazonServiceError(
                    "The order reports stopped being prepared; the backfill will go on.",
                    code="ReportsStopped",
                )
            self._sleep(0.05)
            waited += 0.05
            if waited >= 1.0:
                self.saved_requested()
                waited = 0.0
                if self.should_stop():
                    raise BackfillStopped
        self.saved_requested()
        fields = {"report_id": prepared.report_id, "fatal_count": prepared.fatal_count}
        if prepared.error is not None:
            self._save(chunk, **fields)
            raise prepared.error
        if prepared.status == "FATAL":
            self._save(chunk, **fields)
            raise ChunkFailedError(
                f"Amazon could not prepare the order report for {describe(chunk)} "
                f"({prepared.fatal_count} reports ended FATAL). Everything before it is in Zoho "
                "CRM; press Resume on the Backfill page later to try this report again.",
                code="ReportFatal",
            )
        if prepared.status == "CANCELLED":
            self._save(chunk, **fields)
            return None
        self._save(
            chunk,
            **fields,
            report_document_id=prepared.document_id,
            status=BackfillChunk.Status.READY,
        )
        return self._parsed(chunk, prepared.content)

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


class _Stopped(Exception):  # noqa: N818 (a signal between our threads, never raised out)
    """The fetcher is closing: the threads end."""
