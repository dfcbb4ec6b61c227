"""Reads about orders to replay: the quarantined orders the next runs re-read, and what a
Replay of one run brings back (its failed and quarantined orders)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from history.models import OrderEvent, QuarantinedOrder, SyncRun

# Only ids of Amazon's 3-7-7 shape can be asked for again; an unreadable id cannot.
REPLAYABLE_ID = re.compile(r"[0-9A-Z]{3}-[0-9]{7}-[0-9]{7}")
REPLAYABLE_ACTIONS = (OrderEvent.Action.FAILED, OrderEvent.Action.QUARANTINED)
MAX_REPLAY = 500


def quarantined_to_retry(
    *,
    tenant_id: int,
    below_attempts: int | None = None,
    limit: int | None = None,
    ids: Sequence[str] | None = None,
) -> list[str]:
    """Open (unresolved) quarantined orders, oldest first; ``below_attempts`` leaves out
    those that wait for a Replay by hand, ``ids`` narrows to these."""
    qs = QuarantinedOrder.objects.filter(tenant_id=tenant_id, resolved_at__isnull=True)
    if ids is not None:
        qs = qs.filter(amazon_order_id__in=list(ids))
    if below_attempts is not None:
        qs = qs.filter(attempts__lt=below_attempts)
    ordered = qs.order_by("first_seen_at", "id").values_list("amazon_order_id", flat=True)
    return list(ordered[:limit] if limit else ordered)


def replayable_ids_for_run(*, run: SyncRun) -> list[str]:
    """The run's failed and quarantined orders that can be asked for again (at most
    MAX_REPLAY), in the order they happened."""
    ids = OrderEvent.objects.filter(run=run, action__in=REPLAYABLE_ACTIONS).order_by("id")
    wanted = dict.fromkeys(
        i for i in ids.values_list("amazon_order_id", flat=True) if is_replayable(i)
    )
    return list(wanted)[:MAX_REPLAY]


def is_replayable(amazon_order_id: str) -> bool:
    return bool(REPLAYABLE_ID.fullmatch(amazon_order_id or ""))


def open_quarantine(*, tenant_id: int, ids: Sequence[str]) -> dict[str, QuarantinedOrder]:
    """The open quarantine entries of these orders, by Amazon Order ID (for the pages)."""
    return {
        q.amazon_order_id: q
        for q in QuarantinedOrder.objects.filter(
            tenant_id=tenant_id, resolved_at__isnull=True, amazon_order_id__in=list(ids)
        )
    }


def quarantined_count_for_run(*, run: SyncRun) -> int:
    return OrderEvent.objects.filter(run=run, action=OrderEvent.Action.QUARANTINED).count()
