"""Staging a page: an order listed twice is staged once, newest LastUpdateDate winning, on
every database (issue 15, defect 1: PostgreSQL refused the whole batch with "ON CONFLICT DO
UPDATE command cannot affect row a second time"; SQLite kept whichever copy came last)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from django.db import connection

from crm_sync.models import AmazonOrderState
from crm_sync.pipeline import run_pipeline
from history.models import OrderEvent
from tests.crm_sync.test_pipeline_sources import CENTS, ToySource, field, toy_job

OLDER = replace(CENTS, order_status="Unshipped")
NEWER = replace(
    CENTS, order_status="Shipped", last_update_date=CENTS.last_update_date + timedelta(hours=2)
)


def zoho_orders(connected) -> dict[str, dict]:
    key = field(connected, "Sales_Orders", "Amazon Order ID")
    return {r[key]: r for r in connected.zoho_records("Sales_Orders")}


@pytest.mark.django_db(transaction=True)
def test_an_order_listed_twice_on_a_page_is_staged_once_newest_winning(connected_tenant):
    status = field(connected_tenant, "Sales_Orders", "Amazon Order Status")
    # The newer copy first: "the last one wins" would keep the older.
    run_pipeline(toy_job(connected_tenant), ToySource([NEWER, OLDER]))

    orders = zoho_orders(connected_tenant)
    assert list(orders) == [CENTS.amazon_order_id]
    record = orders[CENTS.amazon_order_id]
    assert record[status] == "Shipped"
    assert len(record["Ordered_Items"]) == len(CENTS.items)
    state = AmazonOrderState.objects.get(amazon_order_id=CENTS.amazon_order_id)
    assert state.last_update_date == NEWER.last_update_date
    assert OrderEvent.objects.filter(action="created").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_status_change_listed_twice_is_written_once_newest_winning(connected_tenant):
    status = field(connected_tenant, "Sales_Orders", "Amazon Order Status")
    run_pipeline(toy_job(connected_tenant), ToySource([OLDER]))
    later = OLDER.last_update_date + timedelta(hours=1)
    shipped = replace(OLDER, order_status="Shipped", last_update_date=later)
    canceled = replace(OLDER, order_status="Canceled", last_update_date=later + timedelta(hours=1))
    touched = replace(OLDER, last_update_date=later - timedelta(minutes=30))

    run_pipeline(toy_job(connected_tenant), ToySource([canceled, shipped, touched]))

    assert zoho_orders(connected_tenant)[OLDER.amazon_order_id][status] == "Canceled"
    state = AmazonOrderState.objects.get(amazon_order_id=OLDER.amazon_order_id)
    assert (state.order_status, state.last_update_date) == ("Canceled", canceled.last_update_date)
    changes = OrderEvent.objects.filter(action="status_changed")
    assert [(e.old_status, e.new_status) for e in changes] == [("Unshipped", "Canceled")]


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (DATABASE_URL)")
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_a_page_with_an_order_twice_is_not_refused(connected_tenant):
    """The database where the defect failed the batch outright."""
    run_pipeline(toy_job(connected_tenant), ToySource([OLDER, NEWER, OLDER]))
    assert list(zoho_orders(connected_tenant)) == [CENTS.amazon_order_id]
