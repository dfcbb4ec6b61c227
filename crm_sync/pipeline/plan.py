"""Plan: what each listed order needs, judged against what we last saw of it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from amazon_ext.amazon.types import Order
from crm_sync import mapping
from crm_sync.models import AmazonOrderState


class OrderState(NamedTuple):
    """What planning and staging read of an ``AmazonOrderState``, as plain values (no model
    instance per listed order)."""

    last_update_date: datetime
    order_status: str
    complete: bool
    zoho_id: str


# classify and stage read these four attributes; the preview still hands them model rows.
StateLike = OrderState | AmazonOrderState


def order_states(*, tenant_id: int, amazon_order_ids: Iterable[str]) -> dict[str, OrderState]:
    """Amazon Order ID → what we last saw of it, for the orders of one batch."""
    rows = AmazonOrderState.objects.filter(
        tenant_id=tenant_id, amazon_order_id__in=list(amazon_order_ids)
    ).values_list("amazon_order_id", *OrderState._fields)
    return {order_id: OrderState(*values) for order_id, *values in rows}


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
    orders: Iterable[Order], states: Mapping[str, StateLike], *, creates_new_orders: bool
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
