"""Issue 15 defect 19(ii): a new run after a failed one adopts the staged work the failed run
left (its orders' items are not fetched again) instead of discarding it; nothing is
duplicated or lost, and the staged rows of a run that is still running are never taken."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from crm_sync.models import AmazonOrderState, StagedRecord
from crm_sync.pipeline.items import adopt_staged_work
from crm_sync.zoho.modules import CONTACTS, PRODUCTS, SALES_ORDERS
from history.models import SyncRun
from tests.crm_sync.test_sync_flow import assert_zoho_matches_book, run_job
from tests.factories import TenantFactory

ITEM_CALLS = ("ListOrderItems", "ListOrderItemsByNextToken")


def item_calls(amazon) -> int:
    return sum(amazon.stats.calls.get(name, 0) for name in ITEM_CALLS)


@pytest.mark.django_db(transaction=True)
def test_a_run_after_a_failed_one_reuses_its_staged_items(connected_tenant, settings):
    settings.ZOHO_BACKOFF_BASE = 0.001
    # The adopted rows were marked sent (the failed run's write went out): their writes are
    # verified after one Zoho client timeout, as a redelivered run's would be.
    settings.ZOHO_HTTP_TIMEOUT = 2.0
    connected = connected_tenant
    tenant, amazon = connected.tenant, connected.amazon
    # Zoho refuses every Sales Orders write: the run stages everything, writes products and
    # contacts, and fails at its orders after its retries.
    connected.zoho.faults.inject(status=500, count=10_000, path_contains="Sales_Orders")
    first = run_job(tenant, "sync_amazon_record")
    assert first.outcome == SyncRun.Outcome.FAILED, first.error
    left = StagedRecord.objects.filter(run=first, module=SALES_ORDERS)
    staged_orders = left.count()
    book_orders = amazon.book.orders(tenant.amazon_credentials.seller_id)
    assert staged_orders == len(book_orders)
    assert not connected.zoho_records("Sales_Orders")
    assert item_calls(amazon) >= staged_orders

    connected.zoho.faults.clear()
    calls_before = item_calls(amazon)
    second = run_job(tenant, "sync_amazon_record")

    assert second.outcome == SyncRun.Outcome.SUCCESS, second.error
    assert item_calls(amazon) - calls_before == 0  # every order's items were reused
    assert_zoho_matches_book(connected)  # each order once, with its lines and total
    assert second.orders_created == staged_orders
    assert not StagedRecord.objects.filter(tenant=tenant).exclude(action="verify").exists()


@pytest.mark.django_db(transaction=True)
def test_an_order_changed_since_is_fetched_again(connected_tenant, settings):
    settings.ZOHO_BACKOFF_BASE = 0.001
    # The adopted rows were marked sent (the failed run's write went out): their writes are
    # verified after one Zoho client timeout, as a redelivered run's would be.
    settings.ZOHO_HTTP_TIMEOUT = 2.0
    connected = connected_tenant
    tenant, amazon = connected.tenant, connected.amazon
    connected.zoho.faults.inject(status=500, count=10_000, path_contains="Sales_Orders")
    assert run_job(tenant, "sync_amazon_record").outcome == SyncRun.Outcome.FAILED
    connected.zoho.faults.clear()
    seller = tenant.amazon_credentials.seller_id
    changed = next(o for o in amazon.book.orders(seller) if o.status == "Unshipped")
    amazon.book.set_status(changed.amazon_order_id, "Shipped")
    calls_before = item_calls(amazon)

    second = run_job(tenant, "sync_amazon_record")

    assert second.outcome == SyncRun.Outcome.SUCCESS, second.error
    assert item_calls(amazon) - calls_before == 1  # only the changed order's items
    assert_zoho_matches_book(connected)


def _run(tenant, outcome, *, schedule="sync_amazon_record", trigger="scheduled", ago=60):
    return SyncRun.objects.create(
        tenant=tenant,
        schedule=schedule,
        trigger=trigger,
        outcome=outcome,
        started_at=timezone.now() - timedelta(minutes=ago),
    )


def _staged(run, module, key, *, action="upsert", **fields):
    return StagedRecord.objects.create(
        tenant=run.tenant,
        run=run,
        module=module,
        amazon_key=key,
        action=action,
        data={},
        **fields,
    )


@pytest.mark.django_db
def test_only_finished_runs_of_the_same_schedule_give_their_rows_and_only_fresh_ones():
    tenant = TenantFactory()
    live = _run(tenant, SyncRun.Outcome.RUNNING, ago=30)
    failed = _run(tenant, SyncRun.Outcome.FAILED, ago=90)
    other_schedule = _run(tenant, SyncRun.Outcome.FAILED, schedule="update_order_status")
    when = timezone.now() - timedelta(days=1)
    _staged(live, SALES_ORDERS, "111-0000000-0000001", action="create", amazon_last_update=when)
    mine = _staged(failed, SALES_ORDERS, "111-0000000-0000002", action="create-sent",
                   amazon_last_update=when)  # fmt: skip
    written = _staged(failed, SALES_ORDERS, "111-0000000-0000003", action="create",
                      amazon_last_update=when)  # fmt: skip
    AmazonOrderState.objects.create(
        tenant=tenant, amazon_order_id="111-0000000-0000003", order_status="Shipped",
        last_update_date=when + timedelta(hours=1), complete=True, zoho_id="1",
    )  # fmt: skip
    product = _staged(failed, PRODUCTS, "B000000001")
    _staged(other_schedule, CONTACTS, "k1")
    verify = _staged(failed, SALES_ORDERS, "111-0000000-0000004", action="verify")

    replay = _run(tenant, SyncRun.Outcome.RUNNING, trigger="replay", ago=0)
    assert adopt_staged_work(replay) == 0
    new = _run(tenant, SyncRun.Outcome.RUNNING, ago=0)
    assert adopt_staged_work(new) == 2
    assert set(StagedRecord.objects.filter(run=new).values_list("pk", flat=True)) == {
        mine.pk,
        product.pk,
    }
    assert StagedRecord.objects.get(pk=mine.pk).action == "create-sent"  # still uncertain
    assert StagedRecord.objects.filter(run=live).count() == 1  # a live run keeps its rows
    assert StagedRecord.objects.get(pk=written.pk).run == failed  # written since: not taken
    assert StagedRecord.objects.get(pk=verify.pk).run == failed
    assert StagedRecord.objects.filter(run=other_schedule).count() == 1
