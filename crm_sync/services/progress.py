"""A running run's live progress beyond its counters: "waiting for Amazon's quota".

The Amazon client's pacer reports every long wait (amazon_ext.amazon.pacing.ReportingPacer);
this writes it on the run, where the Schedules page's running row shows it as "waiting for
Amazon's quota: next page in 2 min 40 s" (crm_sync/templatetags/run_progress.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from history.models import SyncRun

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
