"""Reports API 2021-06-30 of the Amazon stand-in (``models/reports-api-model/
reports_2021-06-30.json``): createReport, getReport, getReportDocument for the order report
``GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL``, over the same order book.

* Rates of the model, per (seller, LWA client, operation), scaled by the stand-in's
  ``time_scale``: createReport and getReportDocument 0.0167/s burst 15, getReport 2/s burst 15
  (``RATE_LIMITS``, merged into the SP-API table).
* createReport answers **202** ``{"reportId"}``; 400 InvalidInput for an unknown report type,
  a marketplace the seller does not sell in, a start not before the end, an end in the
  future, or more than 31 days (order reports are asked for a month at a time).
* Lifecycle by the stand-in clock: IN_QUEUE for the first fifth of ``processing_seconds``
  (Amazon time, divided by ``time_scale``), then IN_PROGRESS, then DONE with a
  ``reportDocumentId`` — or CANCELLED when the range holds no order (Amazon's automatic
  cancellation), or whatever ``/_sandbox/reports`` queued: ``{"outcome": "FATAL" |
  "CANCELLED", "count": n}`` for the next n reports created.
* The content is rendered when the report is done (a snapshot of the book then), by
  :mod:`sandbox.amazon.report_documents`, which also serves the pre-signed download;
  ``{"compression": "gzip" | "none" | "mislabelled"}`` chooses how the next documents are
  stored (default gzip; mislabelled says GZIP and is not).
"""

from __future__ import annotations

import itertools
import json
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from werkzeug.wrappers import Request

from sandbox.amazon.records import iso_z
from sandbox.amazon.report_documents import DOCUMENT_PREFIX, DocumentStore, render_rows
from sandbox.amazon.sperror import SpError, parse_zulu

REPORTS_PREFIX = "/reports/2021-06-30/"
REPORTS_PATH = "/reports/2021-06-30/reports"
DOCUMENTS_PATH = "/reports/2021-06-30/documents/"
ORDER_REPORT = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"
CREATE_REPORT, GET_REPORT, GET_REPORT_DOCUMENT = "createReport", "getReport", "getReportDocument"
RATE_LIMITS = {
    CREATE_REPORT: (0.0167, 15, "0.0167"),
    GET_REPORT: (2.0, 15, "2.0"),
    GET_REPORT_DOCUMENT: (0.0167, 15, "0.0167"),
}
OPERATIONS = frozenset(RATE_LIMITS)
MAX_RANGE = timedelta(days=31)
DEFAULT_PROCESSING_SECONDS = 90.0


def owns(path: str) -> bool:
    return path.startswith((REPORTS_PREFIX, DOCUMENT_PREFIX))


def is_download(path: str) -> bool:
    return path.startswith(DOCUMENT_PREFIX)


def operation(method: str, path: str) -> tuple[str, str | None] | None:
    if path == REPORTS_PATH and method == "POST":
        return CREATE_REPORT, None
    if method != "GET":
        return None
    if path.startswith(REPORTS_PATH + "/"):
        rest = path[len(REPORTS_PATH) + 1 :]
        return (GET_REPORT, rest) if rest and "/" not in rest else None
    if path.startswith(DOCUMENTS_PATH):
        rest = path[len(DOCUMENTS_PATH) :]
        return (GET_REPORT_DOCUMENT, rest) if rest and "/" not in rest else None
    return None


@dataclass
class _Report:
    report_id: str
    seller_id: str
    marketplace_id: str
    start: datetime
    end: datetime
    created: datetime
    created_at: float  # stand-in clock timestamp
    outcome: str | None  # forced FATAL / CANCELLED, or None: decided by the data
    compression: str
    status: str = "IN_QUEUE"
    document_id: str | None = None
    finished_at: float | None = None


class ReportsApi:
    """Reports of every seller of one stand-in."""

    def __init__(self, state) -> None:
        self.s = state
        self.documents = DocumentStore(state.clock)
        self.processing_seconds = DEFAULT_PROCESSING_SECONDS
        self._lock = threading.Lock()
        self._reports: dict[str, _Report] = {}
        self._ids = itertools.count(50_000_000_001)
        self._forced: list[str] = []
        self._compression = "gzip"

    # ------------------------------------------------------------------ control
    def control(self, body: dict) -> dict:
        with self._lock:
            outcome = body.get("outcome")
            if outcome is not None:
                if outcome not in ("FATAL", "CANCELLED"):
                    raise ValueError("outcome must be FATAL or CANCELLED")
                self._forced.extend([outcome] * int(body.get("count", 1)))
            if "compression" in body:
                if body["compression"] not in ("gzip", "none", "mislabelled"):
                    raise ValueError("compression must be gzip, none or mislabelled")
                self._compression = body["compression"]
            if "processing_seconds" in body:
                self.processing_seconds = max(0.0, float(body["processing_seconds"]))
            if body.get("clear"):
                self._forced.clear()
            return self.describe()

    def describe(self) -> dict:
        return {
            "queued_outcomes": list(self._forced),
            "compression": self._compression,
            "processing_seconds": self.processing_seconds,
            "downloads": self.documents.downloads,
            "reports": [self._json(r) for r in self._reports.values()],
        }

    # ------------------------------------------------------------------ operations
    def handle(self, ctx, op: str, resource: str | None) -> tuple[dict, int]:
        if op == CREATE_REPORT:
            return self._create(ctx), 202
        if op == GET_REPORT:
            return self._json(self._advance(self._mine(ctx, resource))), 200
        return self._document(ctx, resource), 200

    def _create(self, ctx) -> dict:
        try:
            body = json.loads(ctx.request.get_data(as_text=True) or "{}")
        except ValueError:
            raise SpError(400, "InvalidInput", "The request body is not valid JSON.") from None
        if not isinstance(body, dict):
            raise SpError(400, "InvalidInput", "The request body must be a JSON object.")
        if body.get("reportType") != ORDER_REPORT:
            raise SpError(400, "InvalidInput", f"Invalid reportType {body.get('reportType')!r}.")
        marketplaces = body.get("marketplaceIds")
        if not isinstance(marketplaces, list) or not 1 <= len(marketplaces) <= 25:
            raise SpError(400, "InvalidInput", "marketplaceIds must list 1 to 25 marketplaces.")
        for mp in marketplaces:
            if mp not in ctx.seller.marketplace_ids or mp not in ctx.region_mps:
                raise SpError(400, "InvalidInput", f"Invalid marketplaceId {mp}.")
        now = ctx.now
        start = parse_zulu("dataStartTime", body.get("dataStartTime") or iso_z(now))
        end = parse_zulu("dataEndTime", body.get("dataEndTime") or iso_z(now))
        if end > now + timedelta(seconds=1):
            raise SpError(400, "InvalidInput", "dataEndTime must not be in the future.")
        if start >= end:
            raise SpError(400, "InvalidInput", "dataStartTime must be before dataEndTime.")
        if end - start > MAX_RANGE:
            raise SpError(
                400, "InvalidInput", "The date range of this report type is limited to 31 days."
            )
        with self._lock:
            report = _Report(
                report_id=str(next(self._ids)),
                seller_id=ctx.seller.seller_id,
                marketplace_id=marketplaces[0],
                start=start,
                end=end,
                created=now,
                created_at=self.s.clock.timestamp(),
                outcome=self._forced.pop(0) if self._forced else None,
                compression=self._compression,
            )
            self._reports[report.report_id] = report
        return {"reportId": report.report_id}

    def _mine(self, ctx, report_id: str | None) -> _Report:
        report = self._reports.get(report_id or "")
        if report is None or report.seller_id != ctx.seller.seller_id:
            raise SpError(404, "NotFound", f"Report {report_id} not found.")
        return report

    def _advance(self, report: _Report) -> _Report:
        """Move the report along its lifecycle by the stand-in clock."""
        with self._lock:
            if report.status in ("DONE", "CANCELLED", "FATAL"):
                return report
            elapsed = (self.s.clock.timestamp() - report.created_at) * self.s.time_scale
            if elapsed < self.processing_seconds / 5:
                return report
            if elapsed < self.processing_seconds:
                report.status = "IN_PROGRESS"
                return report
            report.finished_at = self.s.clock.timestamp()
            if report.outcome is not None:
                report.status = report.outcome
                return report
            orders = self._orders(report)
            if not orders:
                report.status = "CANCELLED"  # Amazon cancels a report with no data
                return report
            report.document_id = f"amzn1.spdoc.1.4.na.{report.report_id}.sandbox"
            self.documents.add(
                report.document_id, render_rows(orders), compression=report.compression
            )
            report.status = "DONE"
            return report

    def _orders(self, report: _Report):
        found, _ = self.s.book.scan(
            report.seller_id,
            by="created",
            after=report.start,
            before=report.end,
            limit=10**9,
            predicate=lambda o: o.marketplace_id == report.marketplace_id,
        )
        return found

    def _document(self, ctx, document_id: str | None) -> dict:
        report = next(
            (
                r
                for r in self._reports.values()
                if r.document_id == document_id and r.seller_id == ctx.seller.seller_id
            ),
            None,
        )
        if report is None:
            raise SpError(404, "NotFound", f"Report document {document_id} not found.")
        # The stand-in's own address (the request's Host is the SP-API host name).
        base = getattr(self.s, "url", "") or ctx.request.host_url.rstrip("/")
        answer = {"reportDocumentId": document_id, "url": self.documents.url(base, document_id)}
        label = self.documents.label(document_id)
        if label:
            answer["compressionAlgorithm"] = label
        return answer

    def download(self, request: Request):
        return self.documents.download(request)

    @staticmethod
    def _json(r: _Report) -> dict:
        data = {
            "reportId": r.report_id,
            "reportType": ORDER_REPORT,
            "marketplaceIds": [r.marketplace_id],
            "dataStartTime": iso_z(r.start),
            "dataEndTime": iso_z(r.end),
            "createdTime": iso_z(r.created),
            "processingStatus": r.status,
        }
        if r.status != "IN_QUEUE":
            data["processingStartTime"] = iso_z(r.created)
        if r.finished_at is not None:
            data["processingEndTime"] = iso_z(
                datetime.fromtimestamp(r.finished_at, r.created.tzinfo)
            )
        if r.document_id:
            data["reportDocumentId"] = r.document_id
        return data
