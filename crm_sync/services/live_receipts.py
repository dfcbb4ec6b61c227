"""Live updates' bookkeeping: routing a notification to its tenant, the NotificationId dedupe,
the status the Schedules page shows, and what a dead-lettered notification leaves in the
tenant's history."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from crm_sync.models import LiveUpdates, NotificationReceipt
from crm_sync.services.live_queue import OrderChange
from history.models import OrderEvent, ScheduleKind, SyncRun

DEAD_LETTER_NEXT_STEP = (
    "The nightly Sync Amazon Record / Update Order Status run brings the order in; to do it "
    "now, press Run Now on the Schedules page."
)


def live_updates_for(*, tenant_id: int) -> LiveUpdates:
    return LiveUpdates.objects.get_or_create(tenant_id=tenant_id)[0]


def receipts_take(*, tenant_id: int, changes: list[OrderChange]) -> dict[str, str]:
    """Record each notification once (one transaction for the whole gathering; a
    NotificationId another consumer recorded first is kept as it is); returns
    NotificationId → its state. A notification already written (or ignored) is a duplicate:
    its message can go at once."""
    with transaction.atomic():
        NotificationReceipt.objects.bulk_create(
            [
                NotificationReceipt(
                    notification_id=change.notification_id,
                    tenant_id=tenant_id,
                    amazon_order_id=change.amazon_order_id,
                    change_time=change.change_time,
                    change_type=change.change_type,
                    **_summary_columns(change),
                )
                for change in {c.notification_id: c for c in changes}.values()
            ],
            ignore_conflicts=True,
        )
        states = dict(
            NotificationReceipt.objects.filter(
                tenant_id=tenant_id, notification_id__in=[c.notification_id for c in changes]
            ).values_list("notification_id", "state")
        )
        # SQS handed a dead-lettered one back (an operator redrove it): try it again.
        dead = [nid for nid, state in states.items() if state == NotificationReceipt.State.DEAD]
        if dead:
            NotificationReceipt.objects.filter(
                tenant_id=tenant_id, notification_id__in=dead
            ).update(state=NotificationReceipt.State.PENDING, reason="")
            states.update(dict.fromkeys(dead, NotificationReceipt.State.PENDING.value))
    return states


def _summary_columns(change: OrderChange) -> dict:
    summary = change.summary
    if summary is None:
        return {}
    return {
        "order_status": summary.order_status,
        "marketplace_id": summary.marketplace_id,
        "purchase_date": summary.purchase_date,
        "latest_delivery_date": summary.latest_delivery_date,
    }


def receipts_ignore(*, tenant_id: int, notification_ids: list[str]) -> None:
    NotificationReceipt.objects.filter(
        tenant_id=tenant_id,
        notification_id__in=notification_ids,
        state=NotificationReceipt.State.PENDING,
    ).update(state=NotificationReceipt.State.IGNORED, done_at=timezone.now())


def receipts_attach(*, run: SyncRun, notification_ids: list[str]) -> None:
    NotificationReceipt.objects.filter(
        tenant_id=run.tenant_id,
        notification_id__in=notification_ids,
        state=NotificationReceipt.State.PENDING,
    ).update(run=run)


def receipts_done(*, tenant_id: int, notification_ids: list[str]) -> set[str]:
    return set(
        NotificationReceipt.objects.filter(
            tenant_id=tenant_id,
            notification_id__in=notification_ids,
            state__in=[NotificationReceipt.State.DONE, NotificationReceipt.State.IGNORED],
        ).values_list("notification_id", flat=True)
    )


def status_event_received(*, tenant_id: int, at: datetime) -> None:
    live_updates_for(tenant_id=tenant_id)
    LiveUpdates.objects.filter(tenant_id=tenant_id).update(last_event_at=at)


def status_written(*, tenant_id: int) -> None:
    LiveUpdates.objects.filter(tenant_id=tenant_id).update(
        last_written_at=timezone.now(), last_error="", last_error_at=None
    )


def status_error(*, tenant_id: int, message: str) -> None:
    live_updates_for(tenant_id=tenant_id)
    LiveUpdates.objects.filter(tenant_id=tenant_id).update(
        last_error=message[:2000], last_error_at=timezone.now()
    )


@transaction.atomic
def dead_letter_record(
    *,
    tenant_id: int,
    reason: str,
    notification_id: str,
    amazon_order_id: str = "",
    change_time: datetime | None = None,
    run: SyncRun | None = None,
) -> None:
    """The notification failed its last allowed attempt and SQS moves it to the dead-letter
    queue: say so in the tenant's history (a failed Order History row for its order, or a
    failed live-update run when it names no readable order) and on the Schedules page."""
    message = (
        f"Live update failed {notification_id[:60]} and went to the dead-letter queue: "
        f"{reason} {DEAD_LETTER_NEXT_STEP}"
    )
    if run is None or not amazon_order_id:
        now = timezone.now()
        run = SyncRun.objects.create(
            tenant_id=tenant_id,
            schedule=ScheduleKind.SYNC_RECORDS,
            trigger=SyncRun.Trigger.LIVE,
            started_at=now,
            finished_at=now,
            outcome=SyncRun.Outcome.FAILED,
            error=message[:4000],
        )
    if amazon_order_id:
        OrderEvent.objects.bulk_create(
            [
                OrderEvent(
                    tenant_id=tenant_id,
                    run=run,
                    amazon_order_id=amazon_order_id,
                    action=OrderEvent.Action.FAILED,
                    amazon_last_update=change_time,
                    message=message[:1000],
                )
            ],
            ignore_conflicts=True,
        )
    NotificationReceipt.objects.filter(tenant_id=tenant_id, notification_id=notification_id).update(
        state=NotificationReceipt.State.DEAD, reason=reason[:2000]
    )
    status_error(tenant_id=tenant_id, message=message)


def failure_reason(run: SyncRun, order_ids: list[str]) -> str:
    """Why these orders were not written, in the run's own words."""
    events = OrderEvent.objects.filter(
        run=run, amazon_order_id__in=order_ids, action=OrderEvent.Action.FAILED
    ).values_list("message", flat=True)
    detail = next(iter(events), "") or run.error or "the order was not written to Zoho CRM"
    return (
        f"Live update of {', '.join(order_ids[:3])}{' …' if len(order_ids) > 3 else ''}: {detail}"
    )


def run_forget_if_empty(run: SyncRun) -> None:
    """A live-update run that wrote nothing and failed nothing (the notification was stale
    or a duplicate) would only clutter Amazon Sync History."""
    run.refresh_from_db()
    if run.outcome == SyncRun.Outcome.NO_ORDERS and not run.order_events.exists():
        SyncRun.objects.filter(pk=run.pk).delete()
