"""Reads for the history dashboard: "Amazon Sync History" (SyncRun) and "Order History"
(OrderEvent).

Built for a million Order History rows per tenant: every list is keyset-paged on the index it
sorts by — (tenant, -started_at, -id) for runs, (tenant, -created_at, -id) for events, and
(tenant, amazon_order_id) for the search — so page N costs the same as page 1, and no query
counts the whole table. Charts aggregate SyncRun (one row per run), never OrderEvent.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from history.models import OrderEvent, SyncRun
from tenants.models import Tenant

PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
MAX_EVENTS_PER_ORDER = 500


@dataclass(frozen=True)
class Page:
    """One keyset page. ``next_cursor`` is opaque text for the "Older" link, or None."""

    items: list[Any]
    next_cursor: str | None


ID_CURSOR = re.compile(r"[0-9]{1,18}")  # ASCII digits only: "²".isdigit() is True


def _encode_cursor(moment: datetime, pk: int) -> str:
    raw = f"{moment.isoformat()}|{pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[datetime, int] | None:
    """The (moment, id) a cursor points after; None for the first page or a bad cursor."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        moment_text, pk_text = raw.rsplit("|", 1)
        moment = parse_datetime(moment_text)
        if moment is None or timezone.is_naive(moment):
            return None
        return moment, int(pk_text)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None


def _keyset(qs: QuerySet, field: str, cursor: str | None, limit: int) -> Page:
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    after = decode_cursor(cursor)
    if after is not None:
        moment, pk = after
        # The plain bound ``field <= moment`` is redundant next to the OR, but it is what
        # gives PostgreSQL a start key in the (tenant, -field, -id) index: without it the
        # OR is only a filter and page 20,000 walks 500,000 index entries to get there.
        qs = qs.filter(**{f"{field}__lte": moment}).filter(
            Q(**{f"{field}__lt": moment}) | Q(**{field: moment, "id__lt": pk})
        )
    rows = list(qs.order_by(f"-{field}", "-id")[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = _encode_cursor(getattr(last, field), last.id)
    return Page(items=rows, next_cursor=next_cursor)


@dataclass(frozen=True)
class RunFilters:
    """The dashboard's filters; dates are days in the tenant's time zone, inclusive."""

    schedule: str = ""
    outcome: str = ""
    date_from: date | None = None
    date_to: date | None = None


# Days outside these bounds select nothing more; clamping keeps UTC conversion in range.
_FIRST_DAY, _LAST_DAY = date(1970, 1, 1), date(9999, 12, 30)


def _local_midnight(day: date, tz: ZoneInfo) -> datetime:
    day = min(max(day, _FIRST_DAY), _LAST_DAY)
    return datetime(day.year, day.month, day.day, tzinfo=tz)


def _day_after(day: date) -> date:
    return min(day, _LAST_DAY - timedelta(days=1)) + timedelta(days=1)


def sync_runs_queryset(*, tenant: Tenant, filters: RunFilters) -> QuerySet:
    """The filtered Amazon Sync History rows, unordered (the page and the CSV export)."""
    qs = SyncRun.objects.filter(tenant=tenant)
    if filters.schedule:
        qs = qs.filter(schedule=filters.schedule)
    if filters.outcome:
        qs = qs.filter(outcome=filters.outcome)
    tz = ZoneInfo(tenant.time_zone)
    if filters.date_from:
        qs = qs.filter(started_at__gte=_local_midnight(filters.date_from, tz))
    if filters.date_to:
        qs = qs.filter(started_at__lt=_local_midnight(_day_after(filters.date_to), tz))
    return qs


def sync_runs_for_tenant(
    *, tenant: Tenant, filters: RunFilters, cursor: str | None = None, limit: int = PAGE_SIZE
) -> Page:
    """Amazon Sync History, newest first, filtered, one page."""
    qs = sync_runs_queryset(tenant=tenant, filters=filters).select_related("triggered_by")
    return _keyset(qs, "started_at", cursor, limit)


def sync_run_for_tenant(*, tenant: Tenant, run_id: int) -> SyncRun:
    """One run of this tenant's, or 404 (another tenant's run does not exist here)."""
    run = SyncRun.objects.filter(tenant=tenant, pk=run_id).select_related("triggered_by").first()
    if run is None:
        raise Http404("No such run.")
    return run


def order_events_for_run(
    *, tenant: Tenant, run: SyncRun, cursor: str | None = None, limit: int = PAGE_SIZE
) -> Page:
    """The Order History rows one run wrote, newest first.

    Paged on the id alone: a run writes its rows in order, and the run_id index then serves
    both the filter and the order (the (tenant, created_at) index would walk every newer row
    of the tenant to find an old run's).
    """
    if run.tenant_id != tenant.id:
        raise Http404("No such run.")
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    qs = OrderEvent.objects.filter(run=run)
    if cursor and ID_CURSOR.fullmatch(cursor):
        qs = qs.filter(id__lt=int(cursor))
    rows = list(qs.order_by("-id")[: limit + 1])
    if len(rows) > limit:
        return Page(items=rows[:limit], next_cursor=str(rows[limit - 1].id))
    return Page(items=rows, next_cursor=None)


@dataclass(frozen=True)
class EventFilters:
    """Order History's filters: the order's status after the change, days in the tenant's
    time zone (inclusive), and what Action it was."""

    status: str = ""
    action: str = ""
    date_from: date | None = None
    date_to: date | None = None

    def __bool__(self) -> bool:
        return bool(self.status or self.action or self.date_from or self.date_to)


FULL_ORDER_ID = re.compile(r"[0-9]{3}-[0-9]{7}-[0-9]{7}")


def order_events_queryset(
    *, tenant: Tenant, amazon_order_id: str = "", filters: EventFilters | None = None
) -> QuerySet:
    """The filtered Order History rows, unordered: the page and the CSV export read the
    same rows. A partial Amazon Order ID matches the ids that begin with it."""
    qs = OrderEvent.objects.filter(tenant=tenant)
    amazon_order_id = amazon_order_id.strip()
    if amazon_order_id:
        if FULL_ORDER_ID.fullmatch(amazon_order_id):
            qs = qs.filter(amazon_order_id=amazon_order_id)
        else:
            # The range lets the (tenant, amazon_order_id) index serve a prefix on any
            # collation; startswith keeps the exact meaning.
            qs = qs.filter(
                amazon_order_id__gte=amazon_order_id,
                amazon_order_id__lt=amazon_order_id + "\uffff",
                amazon_order_id__startswith=amazon_order_id,
            )
    filters = filters or EventFilters()
    if filters.status:
        qs = qs.filter(new_status=filters.status)
    if filters.action:
        qs = qs.filter(action=filters.action)
    tz = ZoneInfo(tenant.time_zone)
    if filters.date_from:
        qs = qs.filter(created_at__gte=_local_midnight(filters.date_from, tz))
    if filters.date_to:
        qs = qs.filter(created_at__lt=_local_midnight(_day_after(filters.date_to), tz))
    return qs


def order_events_for_tenant(
    *,
    tenant: Tenant,
    amazon_order_id: str = "",
    cursor: str | None = None,
    limit: int = PAGE_SIZE,
    filters: EventFilters | None = None,
) -> Page:
    """Order History, newest first; with an Amazon Order ID, that order's history only, with
    the beginning of one, the orders whose ids begin so; narrowed by ``filters``.

    One order has a handful of rows, so the exact search reads them all through the
    (tenant, amazon_order_id) index, unordered (an ORDER BY would tempt the planner onto the
    (tenant, created_at) index and a walk through every row), and sorts them here.
    """
    amazon_order_id = amazon_order_id.strip()
    if filters or (amazon_order_id and not FULL_ORDER_ID.fullmatch(amazon_order_id)):
        qs = order_events_queryset(tenant=tenant, amazon_order_id=amazon_order_id, filters=filters)
        return _keyset(qs, "created_at", cursor, limit)
    if not amazon_order_id:
        qs = OrderEvent.objects.filter(tenant=tenant)
        return _keyset(qs, "created_at", cursor, limit)
    rows = list(
        OrderEvent.objects.filter(tenant=tenant, amazon_order_id=amazon_order_id).order_by()[
            :MAX_EVENTS_PER_ORDER
        ]
    )
    rows.sort(key=lambda e: (e.created_at, e.id), reverse=True)
    return Page(items=rows, next_cursor=None)


@dataclass(frozen=True)
class DayCount:
    day: date
    orders: int


def orders_synced_per_day(*, tenant: Tenant, days: int = 30) -> list[DayCount]:
    """Orders created or updated in Zoho per day (tenant's time zone), the last ``days``
    days including today, zeros filled in. Sums SyncRun counters: one row per run."""
    tz = ZoneInfo(tenant.time_zone)
    today = timezone.now().astimezone(tz).date()
    first = today - timedelta(days=days - 1)
    sums = (
        SyncRun.objects.filter(tenant=tenant, started_at__gte=_local_midnight(first, tz))
        .annotate(day=TruncDate("started_at", tzinfo=tz))
        .values("day")
        .annotate(orders=Sum(F("orders_created") + F("orders_updated")))
        .order_by()
    )
    by_day = {row["day"]: row["orders"] or 0 for row in sums}
    return [
        DayCount(day=first + timedelta(days=i), orders=by_day.get(first + timedelta(days=i), 0))
        for i in range(days)
    ]


def run_outcomes(*, tenant: Tenant, days: int = 30) -> dict[str, int]:
    """How many runs ended in each outcome over the last ``days`` days."""
    since = timezone.now() - timedelta(days=days)
    rows = (
        SyncRun.objects.filter(tenant=tenant, started_at__gte=since)
        .values("outcome")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts = dict.fromkeys(SyncRun.Outcome.values, 0)
    for row in rows:
        counts[row["outcome"]] = row["n"]
    return counts
