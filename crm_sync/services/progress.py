"""A running run's live progress beyond its counters: how far it is ("312 of 1,500
orders") and "waiting for Amazon's quota".

How far: a total is shown only where it is known, never guessed. A run's orders to write
are known once its source is listed and staged (``SyncRun.orders_expected``, set by
``pipeline.run``); the orders done are those of them no longer staged (written, failed, or
left for verification), so "done" can never pass the total. A replay knows its order ids
from the start, so while it reads them it shows "12 of 40 orders read from Amazon". A
backfill spans tasks and turns: it shows its reports ("3 of 12 reports") beside the orders.

The Amazon client's pacer reports every long wait (amazon_ext.amazon.pacing.ReportingPacer);
this writes it on the run, where the Schedules page's running row shows it as "waiting for
Amazon's quota: next page in 2 min 40 s" (crm_sync/templatetags/run_progress.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from history.models import SyncRun


@dataclass(frozen=True)
class RunProgress:
    """``done`` orders of ``total`` (None: not known yet, "N orders processed so far");
    ``reading``: the total is of orders to read from Amazon, not to write; a backfill's
    reports done of its reports."""

    done: int
    total: int | None = None
    reading: bool = False
    reports_done: int = 0
    reports_total: int = 0


def run_progress(run: SyncRun) -> RunProgress:
    """How far the running ``run`` is (one or two small queries; may refresh its counters)."""
    if run.trigger == SyncRun.Trigger.BACKFILL:
        return _backfill_progress(run)
    if run.orders_expected is not None:
        waiting = _refresh_counters_with_waiting(run)
        if run.orders_expected is not None and waiting <= run.orders_expected:
            return RunProgress(done=run.orders_expected - waiting, total=run.orders_expected)
    elif run.replay_order_ids:
        total = len(set(run.replay_order_ids))
        if run.orders_fetched <= total:
            return RunProgress(done=run.orders_fetched, total=total, reading=True)
    return RunProgress(done=run.orders_fetched)


COUNTERS = ("orders_expected", "orders_created", "orders_updated", "records_failed")


def _refresh_counters_with_waiting(run: SyncRun) -> int:
    """The run's orders still staged, read in ONE statement with its counters, which are
    put back on ``run``: a checkpoint commits the written rows and the counters together,
    and two separate reads could fall on either side of it (PostgreSQL's read committed),
    showing "200 of 420 · 100 created"."""
    from django.db.models import Count, OuterRef, Subquery

    from crm_sync.models import StagedRecord
    from crm_sync.pipeline.run import WAITING_ACTIONS
    from crm_sync.zoho.modules import SALES_ORDERS

    waiting = (
        StagedRecord.objects.filter(
            run_id=OuterRef("pk"), module=SALES_ORDERS, action__in=WAITING_ACTIONS
        )
        .order_by()
        .values("run_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    fresh = (
        SyncRun.objects.filter(pk=run.pk)
        .annotate(waiting=Subquery(waiting))
        .values(*COUNTERS, "waiting")
        .first()
    )
    if fresh is None:
        return 0
    for name in COUNTERS:
        setattr(run, name, fresh[name])
    if run.orders_expected is None:
        return 0
    return fresh["waiting"] or 0


def _backfill_progress(run: SyncRun) -> RunProgress:
    from crm_sync.models import Backfill, BackfillChunk

    backfill = Backfill.objects.filter(run_id=run.pk).first()
    if backfill is None:
        return RunProgress(done=run.orders_fetched)
    statuses = list(backfill.chunks.values_list("status", flat=True))
    finished = (BackfillChunk.Status.PROCESSED, BackfillChunk.Status.NO_DATA)
    return RunProgress(
        done=run.orders_fetched,
        reports_done=sum(1 for status in statuses if status in finished),
        reports_total=len(statuses),
    )


# What each paced operation's next call brings, in the user's words.
WAITING_FOR = {
    "searchOrders": "next page",
    "getOrders": "next page",
    "ListOrders": "next page",
    "ListOrdersByNextToken": "next page",
    "getOrder@2026-01-01": "next order",
    "getOrder": "next order",
    "GetOrder": "next order",
}


def sync_run_quota_wait(*, run_id: int, operation: str, until: float | None) -> None:
    """Record (``until``: epoch seconds) or clear (None) the run's wait for ``operation``."""
    if until is None:
        fields = {"quota_wait_until": None, "quota_wait_for": ""}
    else:
        fields = {
            "quota_wait_until": datetime.fromtimestamp(until, UTC),
            "quota_wait_for": WAITING_FOR.get(operation, "next Amazon call"),
        }
    SyncRun.objects.filter(pk=run_id, outcome=SyncRun.Outcome.RUNNING).update(**fields)


def quota_wait_reporter(*, run_id: int) -> Callable[[str, float | None], None]:
    """The ``report_quota_wait`` callback for one run's Amazon client."""

    def report(operation: str, until: float | None) -> None:
        # Item calls wait in a thread pool, a few seconds at a time: not worth a database
        # connection per thread. Pages and single orders wait in the run's own thread.
        if operation in WAITING_FOR:
            sync_run_quota_wait(run_id=run_id, operation=operation, until=until)

    return report
