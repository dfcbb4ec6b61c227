"""Order History rows the pipeline writes, and what a failed order leaves behind: a line
in the run's report, a ``failed`` event, a count, and the order for its source to hold."""

from __future__ import annotations

from amazon_ext.amazon.types import Order
from crm_sync.models import StagedRecord
from crm_sync.pipeline.job import Counts, SyncJob
from crm_sync.sources import FailedOrder
from history.models import OrderEvent, SyncRun


def failed_order(order: Order) -> FailedOrder:
    return FailedOrder(
        amazon_order_id=order.amazon_order_id,
        order_status=order.order_status,
        purchase_date=order.purchase_date,
        last_update_date=order.last_update_date,
    )


def failed_row(row: StagedRecord) -> FailedOrder:
    """The staged sales order ``row`` stands for."""
    return FailedOrder(
        amazon_order_id=row.amazon_key,
        order_status=row.order_status,
        purchase_date=row.purchase_date,
        last_update_date=row.amazon_last_update,
    )


def record_failure(
    job: SyncJob, failed: FailedOrder, reason: str, events: list[OrderEvent], counts: Counts
) -> None:
    """Report the order (Completed with errors, Order History); its events commit with the
    batch's checkpoint."""
    counts.records_failed += 1
    job.failures.append(f"Order {failed.amazon_order_id}: {reason}")
    job.failed_orders.append(failed)
    events.append(
        OrderEvent(
            tenant_id=job.tenant_id,
            run=job.run,
            amazon_order_id=failed.amazon_order_id,
            action=OrderEvent.Action.FAILED,
            new_status=failed.order_status,
            amazon_last_update=failed.last_update_date,
            message=reason[:1000],
        )
    )


def order_event(
    job: SyncJob, row: StagedRecord, action: str, zoho_id: str, message: str = ""
) -> OrderEvent:
    """A sales order written to Zoho (created, filled in, status changed). A live update
    (ORDER_CHANGE notification) is recorded as such, what it did to Zoho in the message."""
    if job.run.trigger == SyncRun.Trigger.LIVE:
        done = OrderEvent.Action(action).label
        message = f"{done}. {message}".strip() if message else done
        action = OrderEvent.Action.LIVE_UPDATE
    return OrderEvent(
        tenant_id=job.tenant_id,
        run=job.run,
        amazon_order_id=row.amazon_key,
        action=action,
        old_status=row.previous_status,
        new_status=row.order_status,
        amazon_last_update=row.amazon_last_update,
        zoho_record_id=zoho_id,
        message=message,
    )
