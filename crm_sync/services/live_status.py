"""What the Schedules page shows about live updates (a selector: reads only)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from amazon_ext.models import AmazonCredentials, ConnectionKind
from crm_sync.models import LiveUpdates, NotificationReceipt
from crm_sync.services import live_queue

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LiveUpdatesStatus:
    """``available``: the installation has a queue and the tenant connects through SP-API;
    ``why_not`` says what to do when it is not. ``waiting``: this tenant's notifications
    received but not yet written; ``queue_waiting``: the whole queue (every seller), when
    SQS answers."""

    available: bool
    why_not: str
    enabled: bool
    subscribed: bool
    last_event_at: datetime | None
    last_written_at: datetime | None
    waiting: int
    queue_waiting: int | None
    last_error: str
    last_error_at: datetime | None


def live_updates_status(*, tenant_id: int) -> LiveUpdatesStatus:
    live = LiveUpdates.objects.filter(tenant_id=tenant_id).first()
    kind = (
        AmazonCredentials.objects.filter(tenant_id=tenant_id).values_list("kind", flat=True).first()
    )
    why_not = ""
    if not live_queue.configured():
        why_not = (
            "Live updates are not set up on this installation: the administrator of the "
            "server sets AMAZON_SQS_QUEUE_URL (see README, Live updates). The daily "
            "schedules keep the CRM in step."
        )
    elif kind != ConnectionKind.SPAPI:
        why_not = (
            "Live updates need the Selling Partner API: switch the Amazon connection in "
            "Settings → Extension Settings. With MWS the daily schedules keep the CRM in step."
        )
    queue_waiting = None
    if not why_not:
        try:
            queue_waiting = live_queue.depth()["waiting"]
        except Exception:  # the page must show even when SQS does not answer
            logger.warning("live updates: queue depth unavailable", exc_info=True)
    return LiveUpdatesStatus(
        available=not why_not,
        why_not=why_not,
        enabled=live.enabled if live else True,
        subscribed=bool(live and live.subscription_id),
        last_event_at=live.last_event_at if live else None,
        last_written_at=live.last_written_at if live else None,
        waiting=NotificationReceipt.objects.filter(
            tenant_id=tenant_id, state=NotificationReceipt.State.PENDING
        ).count(),
        queue_waiting=queue_waiting,
        last_error=live.last_error if live else "",
        last_error_at=live.last_error_at if live else None,
    )
