"""What both backfill fetchers share (the errors a chunk can end in, and how a chunk is named
in messages), and the MWS one: ``ListingFetcher`` reads a chunk through the order listing.
``report_fetch.ReportFetcher`` is the SP-API one, from order reports.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC

from amazon_ext.amazon.errors import AmazonError
from amazon_ext.amazon.types import Order, UnreadableOrder
from crm_sync.models import BackfillChunk


class BackfillStopped(Exception):  # noqa: N818 (not an error: the user cancelled)
    """Cancelled while waiting for Amazon to prepare a report."""


class ChunkFailedError(AmazonError):
    """Amazon could not produce a chunk's report; the message names the chunk."""

    retryable = False


def describe(chunk: BackfillChunk) -> str:
    """``ATVPDKIKX0DER 2026-01-01–2026-01-31``: the chunk as a user-facing message names it."""
    return (
        f"{chunk.marketplace_id} {chunk.start.astimezone(UTC):%Y-%m-%d}–"
        f"{chunk.end.astimezone(UTC):%Y-%m-%d}"
    )


class ListingFetcher:
    """MWS tenants: a chunk's orders through the order listing (by creation date), items
    fetched by the pipeline. Slower: ListOrders pages and one item call per order."""

    items_included = False

    def ready(self, chunk: BackfillChunk) -> bool:
        """The listing answers as it is asked (paced like every run's listing)."""
        return True

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
