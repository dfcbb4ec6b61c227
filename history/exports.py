"""CSV export of Amazon Sync History and Order History, streamed for large tenants.

The rows are the dashboard's (same filters, same newest-first order, same columns), read in
keyset chunks on the index each list pages on, so a million-row export holds one chunk in
memory and never runs an OFFSET; times are in the tenant's zone as the pages show them.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from history.models import OrderEvent, SyncRun
from history.selectors import EventFilters, RunFilters, order_events_queryset, sync_runs_queryset
from history.templatetags.order_money import marketplace_text
from tenants.models import Tenant

CHUNK = 1000
FIRST_CHUNK = 200
PIECE = 16 * 1024
# What a row shows (read as plain values: no model instances, no JSON columns).
RUN_FIELDS = (
    "id", "schedule", "trigger", "started_at", "finished_at", "outcome", "orders_fetched",
    "orders_created", "orders_updated", "products_created", "products_updated",
    "contacts_created", "contacts_updated", "records_failed", "error",
)  # fmt: skip
EVENT_FIELDS = (
    "id", "created_at", "amazon_order_id", "action", "old_status", "new_status",
    "order_total", "currency", "marketplace_id", "zoho_record_id", "run_id", "message",
)  # fmt: skip

RUN_COLUMNS = (
    "Run", "Schedule", "Trigger", "Triggered by", "Started", "Ended", "Outcome",
    "Orders fetched", "Orders created", "Orders updated", "Products created",
    "Products updated", "Contacts created", "Contacts updated", "Records failed", "Error",
)  # fmt: skip
EVENT_COLUMNS = (
    "Amazon Order ID", "What changed", "Old status", "New status", "Total", "Currency",
    "Marketplace", "Zoho record", "When", "Run", "Note",
)  # fmt: skip


class _Echo:
    """csv.writer's file: hands each formatted line back instead of storing it."""

    def write(self, value: str) -> str:
        return value


def _chunks(qs: QuerySet, field: str, columns: tuple[str, ...]) -> Iterator[list[dict]]:
    """Newest first on (field, id) like the pages' keyset, as plain dicts of ``columns`` (no
    model instances); the first chunks small (200, 400, 800, then 1,000), so the download
    starts at once."""
    after = None
    size = FIRST_CHUNK
    while True:
        page = qs
        if after is not None:
            moment, pk = after
            page = page.filter(**{f"{field}__lte": moment}).filter(
                Q(**{f"{field}__lt": moment}) | Q(**{field: moment, "id__lt": pk})
            )
        rows = list(page.order_by(f"-{field}", "-id").values(*columns)[:size])
        if not rows:
            return
        yield rows
        if len(rows) < size:
            return
        after = (rows[-1][field], rows[-1]["id"])
        size = min(2 * size, CHUNK)


def _labels(model, name: str) -> dict:
    """A choice field's value → label (what ``get_FOO_display`` shows; unknown: the value)."""
    return {value: str(label) for value, label in model._meta.get_field(name).flatchoices}


def _local(value, tz: ZoneInfo) -> str:
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def _lines(header: tuple[str, ...], rows: Iterator[list]) -> Iterator[str]:
    """The CSV in pieces of about ``PIECE`` characters: one piece per line made the server
    write (and the test client read) a thousand tiny chunks per thousand rows."""
    writer = csv.writer(_Echo())
    piece = ["\ufeff" + writer.writerow(header)]  # the BOM makes spreadsheets read UTF-8
    size = 0
    for row in rows:
        line = writer.writerow(row)
        piece.append(line)
        size += len(line)
        if size >= PIECE:
            yield "".join(piece)
            piece, size = [], 0
    if piece:
        yield "".join(piece)


def sync_runs_csv(*, tenant: Tenant, filters: RunFilters) -> Iterator[str]:
    """Amazon Sync History as CSV lines, the dashboard's rows for these filters."""
    tz = ZoneInfo(tenant.time_zone)
    username = f"triggered_by__{get_user_model().USERNAME_FIELD}"
    qs = sync_runs_queryset(tenant=tenant, filters=filters)
    schedules, triggers = _labels(SyncRun, "schedule"), _labels(SyncRun, "trigger")
    outcomes = _labels(SyncRun, "outcome")

    def rows() -> Iterator[list]:
        for chunk in _chunks(qs, "started_at", (*RUN_FIELDS, username)):
            for run in chunk:
                yield [
                    run["id"],
                    schedules.get(run["schedule"], run["schedule"]),
                    triggers.get(run["trigger"], run["trigger"]),
                    run[username] or "",
                    _local(run["started_at"], tz),
                    _local(run["finished_at"], tz),
                    outcomes.get(run["outcome"], run["outcome"]),
                    *(run[name] for name in RUN_FIELDS[6:15]),
                ]

    return _lines(RUN_COLUMNS, rows())


def order_events_csv(
    *, tenant: Tenant, amazon_order_id: str, filters: EventFilters
) -> Iterator[str]:
    """Order History as CSV lines, the Order History page's rows for this search."""
    tz = ZoneInfo(tenant.time_zone)
    qs = order_events_queryset(tenant=tenant, amazon_order_id=amazon_order_id, filters=filters)

    actions = _labels(OrderEvent, "action")

    def rows() -> Iterator[list]:
        for chunk in _chunks(qs, "created_at", EVENT_FIELDS):
            for e in chunk:
                yield [
                    e["amazon_order_id"],
                    actions.get(e["action"], e["action"]),
                    e["old_status"],
                    e["new_status"],
                    "" if e["order_total"] is None else e["order_total"],
                    e["currency"],
                    marketplace_text(e["marketplace_id"]),
                    e["zoho_record_id"],
                    _local(e["created_at"], tz),
                    e["run_id"] or "",
                    e["message"],
                ]

    return _lines(EVENT_COLUMNS, rows())


__all__ = ["order_events_csv", "sync_runs_csv"]
