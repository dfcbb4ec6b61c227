"""Reports API 2021-06-30: order reports for a backfill.

``models/reports-api-model/reports_2021-06-30.json`` (amzn/selling-partner-api-models) and
../shared/specs/amazon-2027.md §5:

* ``createReport`` (POST /reports/2021-06-30/reports, 202 ``{"reportId"}``) 0.0167/s burst 15;
* ``getReport`` (GET …/reports/{reportId}) 2/s burst 15: ``processingStatus`` IN_QUEUE →
  IN_PROGRESS → DONE (with ``reportDocumentId``), CANCELLED (explicitly, or automatically
  when there is no data) or FATAL;
* ``getReportDocument`` (GET …/documents/{reportDocumentId}) 0.0167/s burst 15: a pre-signed
  ``url`` valid for 5 minutes and ``compressionAlgorithm: GZIP`` when the content is gzipped.

The download goes to the pre-signed URL itself, with **no** SP-API access token (it is not
an SP-API call and must not carry the seller's token to a storage host). It is streamed to a
temporary file (memory stays flat whatever the report's size) within its own deadline; a
document that says GZIP but is not gzipped (it happens) is read as it is: the gzip magic
bytes decide, not the label.

The calls share the seller's SP-API transport (pacing by the model's usage plans, retries,
403/429 handling, call counts in the run's Amazon Sync History).
"""

from __future__ import annotations

import gzip
import io
import json
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import IO, TYPE_CHECKING
from urllib.parse import quote, urlsplit

import requests

from amazon_ext.amazon import http
from amazon_ext.amazon.errors import AmazonResponseError, AmazonServiceError
from amazon_ext.amazon.spapi.operations import USAGE_PLANS, UsagePlan
from amazon_ext.amazon.values import iso_z

if TYPE_CHECKING:
    from amazon_ext.amazon.spapi.client import SpApiClient

ORDER_REPORT_TYPE = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"
REPORTS_PATH = "/reports/2021-06-30/reports"
DOCUMENTS_PATH = "/reports/2021-06-30/documents"

CREATE_REPORT = "createReport"
GET_REPORT = "getReport"
GET_REPORT_DOCUMENT = "getReportDocument"
USAGE_PLANS[CREATE_REPORT] = UsagePlan(0.0167, 15)
USAGE_PLANS[GET_REPORT] = UsagePlan(2.0, 15)
USAGE_PLANS[GET_REPORT_DOCUMENT] = UsagePlan(0.0167, 15)

PROCESSING_STATUSES = frozenset({"IN_QUEUE", "IN_PROGRESS", "DONE", "CANCELLED", "FATAL"})
FINISHED_STATUSES = frozenset({"DONE", "CANCELLED", "FATAL"})
# A report of 30 days of a large seller is tens of MB gzipped; more is not an order report.
MAX_DOCUMENT_BYTES = 2 * 1024 * 1024 * 1024
DOWNLOAD_DEADLINE_SECONDS = 600.0
_GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True, slots=True)
class ReportStatus:
    """What getReport says of one report."""

    report_id: str
    processing_status: str
    report_document_id: str | None = None


@dataclass(frozen=True, slots=True)
class ReportDocument:
    """Where a finished report's content is (the URL expires after 5 minutes)."""

    report_document_id: str
    url: str
    compression: str | None = None


class ReportsApi:
    """The Reports API for the seller of ``client`` (an SpApiClient): its transport (pacing,
    retries, stats) and its LWA tokens. Reports carry no buyer identity, so no RDT."""

    def __init__(self, client: SpApiClient) -> None:
        self._client = client
        # The client's own transport and token source: one pacer, one set of call counts.
        self._transport = client._transport
        self._token = client._lwa
        self._download_session = http.new_session()

    @property
    def stats(self):
        return self._client.stats

    def close(self) -> None:
        self._download_session.close()

    def create_order_report(self, *, marketplace_id: str, start: datetime, end: datetime) -> str:
        """Ask for the order report of one marketplace and ``start`` ≤ purchase < ``end``
        (at most 30 days, the caller's job); returns the reportId."""
        self._client._check()
        body = json.dumps(
            {
                "reportType": ORDER_REPORT_TYPE,
                "marketplaceIds": [marketplace_id],
                "dataStartTime": iso_z(start),
                "dataEndTime": iso_z(end),
            }
        )
        raw, request_id = self._transport.call(
            CREATE_REPORT, REPORTS_PATH, token=self._token, json_body=body
        )
        report_id = _json(raw, CREATE_REPORT, request_id).get("reportId")
        if not isinstance(report_id, str) or not report_id:
            raise _garbled(CREATE_REPORT, "no reportId", request_id)
        return report_id

    def get_report(self, report_id: str) -> ReportStatus:
        raw, request_id = self._transport.call(
            GET_REPORT, f"{REPORTS_PATH}/{quote(report_id, safe='')}", token=self._token
        )
        data = _json(raw, GET_REPORT, request_id)
        status = data.get("processingStatus")
        if status not in PROCESSING_STATUSES:
            raise _garbled(GET_REPORT, f"processingStatus {status!r}", request_id)
        document_id = data.get("reportDocumentId")
        if status == "DONE" and not (isinstance(document_id, str) and document_id):
            raise _garbled(GET_REPORT, "DONE without a reportDocumentId", request_id)
        return ReportStatus(
            report_id=report_id,
            processing_status=status,
            report_document_id=document_id if isinstance(document_id, str) else None,
        )

    def get_report_document(self, report_document_id: str) -> ReportDocument:
        raw, request_id = self._transport.call(
            GET_REPORT_DOCUMENT,
            f"{DOCUMENTS_PATH}/{quote(report_document_id, safe='')}",
            token=self._token,
        )
        data = _json(raw, GET_REPORT_DOCUMENT, request_id)
        url = data.get("url")
        if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
            raise _garbled(GET_REPORT_DOCUMENT, "no usable url", request_id)
        compression = data.get("compressionAlgorithm")
        if compression not in (None, "GZIP"):
            raise _garbled(GET_REPORT_DOCUMENT, f"compressionAlgorithm {compression!r}", None)
        return ReportDocument(report_document_id, url, compression)

    def download(self, document: ReportDocument) -> IO[bytes]:
        """The document's content, decompressed, as a binary file positioned at its start
        (a temporary file: delete it by closing it). Raises AmazonServiceError (retryable)
        when the download does not complete; a new getReportDocument gives a fresh URL."""
        self.stats.count_call("reportDocumentDownload")
        raw = tempfile.TemporaryFile()  # noqa: SIM115 (handed to the caller, who closes it)
        try:
            self._fetch(document.url, raw)
            raw.seek(0)
            return _decompressed(raw)
        except BaseException:
            raw.close()
            raise

    def _fetch(self, url: str, sink: IO[bytes]) -> None:
        deadline = time.monotonic() + DOWNLOAD_DEADLINE_SECONDS
        try:
            # A pre-signed URL: no x-amz-access-token, no Host override, nothing of ours.
            response = self._download_session.get(
                url, stream=True, timeout=60, allow_redirects=False
            )
        except (requests.RequestException, OSError) as exc:
            raise _unfinished(f"no answer ({type(exc).__name__})") from None
        try:
            if response.status_code != 200:
                raise _unfinished(f"HTTP {response.status_code}")
            size = 0
            for chunk in response.iter_content(http.READ_CHUNK_BYTES):
                size += len(chunk)
                if size > MAX_DOCUMENT_BYTES:
                    raise AmazonResponseError(
                        "Amazon's order report is larger than 2 GB; choose a shorter date range.",
                        code="ResponseTooLarge",
                    )
                if time.monotonic() > deadline:
                    raise _unfinished(f"not complete within {DOWNLOAD_DEADLINE_SECONDS:g} s")
                sink.write(chunk)
        except (requests.RequestException, OSError) as exc:
            raise _unfinished(f"cut short ({type(exc).__name__})") from None
        finally:
            response.close()


def _decompressed(raw: IO[bytes]) -> IO[bytes]:
    """gunzip when the content is gzipped, whatever the document said (Amazon labels some
    plain documents GZIP): the magic bytes decide."""
    head = raw.read(2)
    raw.seek(0)
    if head != _GZIP_MAGIC:
        return raw
    return _GzipWithFile(raw)


class _GzipWithFile(gzip.GzipFile):
    """A GzipFile that closes (and so deletes) the temporary file under it."""

    def __init__(self, raw: IO[bytes]) -> None:
        super().__init__(fileobj=raw, mode="rb")
        self._raw = raw

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._raw.close()


def document_lines(document: IO[bytes]) -> Iterator[bytes]:
    """Lines of a downloaded document, streamed; a broken gzip stream is a garbled answer."""
    reader = (
        io.BufferedReader(document) if not isinstance(document, io.BufferedIOBase) else document
    )
    try:
        yield from reader
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise AmazonResponseError(
            f"Amazon's order report could not be decompressed ({type(exc).__name__}); it "
            "will be downloaded again.",
            code="BadReportDocument",
            retryable=True,
        ) from None


def report_chunks(
    start: datetime, end: datetime, *, days: int
) -> Sequence[tuple[datetime, datetime]]:
    """Consecutive ranges of at most ``days`` covering ``start``–``end``."""
    from datetime import timedelta

    size = timedelta(days=days)
    chunks, at = [], start
    while at < end:
        chunks.append((at, min(at + size, end)))
        at += size
    return chunks


def _json(raw: bytes, operation: str, request_id: str | None) -> dict:
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        raise _garbled(operation, "not JSON", request_id) from None
    if not isinstance(data, dict):
        raise _garbled(operation, "not a JSON object", request_id)
    return data


def _garbled(operation: str, what: str, request_id: str | None) -> AmazonResponseError:
    return AmazonResponseError(
        f"Amazon's {operation} answer is unreadable ({what}); the backfill will ask again.",
        code="InvalidResponse",
        request_id=request_id,
        retryable=True,
    )


def _unfinished(detail: str) -> AmazonServiceError:
    return AmazonServiceError(
        f"The order report download did not complete ({detail}); the backfill will fetch "
        "a fresh link and try again.",
        code="ReportDownloadFailed",
    )
