"""Order History rows the pipeline writes, and what a failed order leaves behind: a line
in the run's report, a ``failed`` event, a count, and the order for its source to hold.

Each row carries the order's total, currency and marketplace (never its buyer)."""

from __future__ import annotations

from amazon_ext.amazon.types import Order
from crm_sync.mapping import order_currency
from crm_sync.mapping.products import home_currency
from crm_sync.pipeline.job import Counts, SyncJob
from crm_sync.pipeline.staged import StagedRow
from crm_sync.sources import FailedOrder
from crm_sync.zoho.modules import SALES_ORDERS
from history.models import OrderEvent, SyncRun


def failed_order(order: Order) -> FailedOrder:
    return FailedOrder(
        amazon_order_id=order.amazon_order_id,
        order_status=order.order_status,
        purchase_date=order.purchase_date,
        last_update_date=order.last_update_date,
        marketplace_id=order.marketplace_id or "",
        currency=order_currency(order)[:3],
        order_total=order.order_total.amount if order.order_total else None,
    )


def failed_row(row: StagedRow) -> FailedOrder:
    """The staged sales order ``row`` stands for."""
    return FailedOrder(
        amazon_order_id=row.amazon_key,
        order_status=row.order_status,
        purchase_date=row.purchase_date,
        last_update_date=row.amazon_last_update,
        marketplace_id=row.marketplace_id,
        currency=row.currency,
        order_total=row.order_total,
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
            order_total=failed.order_total,
            currency=failed.currency,
            marketplace_id=failed.marketplace_id,
        )
    )


def currency_note(job: SyncJob, currency: str) -> str:
    """What to say about an order in a currency a single-currency organisation does not use
    (a multi-currency org records the order's own currency and rate: nothing to say)."""
    home = home_currency(job.names)
    single = not job.names.get(SALES_ORDERS, {}).get("Currency")
    if not (single and home and currency and currency != home):
        return ""
    return (
        f"Order in {currency}; the Zoho organisation uses {home} only: amounts written as "
        f"Amazon gave them, in {currency} (not converted)."
    )


def order_event(job: SyncJob, row: StagedRow, action: str, zoho_id: str, message: str = "") -> dict:
    """A sales order written to Zoho (created, filled in, status changed), as an
    ``OrderEvent`` row for ``checkpoint``. A live update (ORDER_CHANGE notification) is
    recorded as such, what it did to Zoho in the message."""
    if action != OrderEvent.Action.STATUS_CHANGED:  # a status change writes no amounts
        message = " ".join(filter(None, [message, currency_note(job, row.currency)]))
    if job.run.trigger == SyncRun.Trigger.LIVE:
        done = OrderEvent.Action(action).label
        message = f"{done}. {message}".strip() if message else done
        action = OrderEvent.Action.LIVE_UPDATE
    return {
        "tenant_id": job.tenant_id,
        "run_id": job.run.pk,
        "amazon_order_id": row.amazon_key,
        "action": str(action),
        "old_status": row.previous_status,
        "new_status": row.order_status,
        "amazon_last_update": row.amazon_last_update,
        "zoho_record_id": zoho_id,
        "message": message,
        "order_total": row.order_total,
        "currency": row.currency,
        "marketplace_id": row.marketplace_id,
    }
