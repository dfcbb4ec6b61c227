"""Plan: what each listed order needs, judged against what we last saw of it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from amazon_ext.amazon.types import Order
from crm_sync import mapping
from crm_sync.models import AmazonOrderState


@dataclass
class Plan:
    """``new``: not in Zoho yet. ``fill``: was Pending, now has buyer, money and items.
    ``status``: only its status changed. ``touched``: updated by Amazon in a way we do not
    map (remember the new update time, write nothing). Unchanged orders are left out."""

    new: list[Order] = field(default_factory=list)
    fill: list[Order] = field(default_factory=list)
    status: list[Order] = field(default_factory=list)
    touched: list[Order] = field(default_factory=list)


def classify(
    orders: Iterable[Order], states: dict[str, AmazonOrderState], *, creates_new_orders: bool
) -> Plan:
    """Pure: ``states`` by Amazon Order ID; ``creates_new_orders`` False leaves orders we do
    not hold alone (Update Order Status)."""
    plan = Plan()
    for order in orders:
        state = states.get(order.amazon_order_id)
        if state is None:
            if creates_new_orders:
                plan.new.append(order)
        elif order.last_update_date <= state.last_update_date and (
            order.order_status == state.order_status
        ):
            continue
        elif not state.complete and mapping.is_complete(order):
            plan.fill.append(order)
        elif order.order_status != state.order_status:
            plan.status.append(order)
        else:
            plan.touched.append(order)
    return plan
