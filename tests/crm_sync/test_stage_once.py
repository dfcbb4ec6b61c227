"""Staging maps each order once and does not re-stage what it staged already: the rows it
stages from the quarantine's mapping are the rows it stages mapping everything itself."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from amazon_ext.amazon.types import Money
from crm_sync import mapping
from crm_sync.models import AmazonOrderState, StagedRecord
from crm_sync.models.data_protection import BuyerDataHold
from crm_sync.pipeline.bulk import bulk_upsert
from crm_sync.pipeline.job import SyncJob
from crm_sync.pipeline.mapped import map_order
from crm_sync.pipeline.plan import OrderState, Plan, order_states
from crm_sync.pipeline.stage import stage
from crm_sync.pipeline.stage_products import product_rows
from crm_sync.services.data_protection_settings import staging_protection
from crm_sync.services.runs import sync_run_start
from tests.crm_sync.test_mapping import NAMES, T0, item, order
from tests.factories import TenantFactory

USD_ORG = {**NAMES, "Org": {"Home Currency": "USD"}}
COLUMNS = ["module", "amazon_key", "action", "data", "fingerprint", "buyer_key", "product_keys"]


def _reference_products(orders, names):
    """What products_for_orders gave before it was split per order: one pass over every
    item, the first priced occurrence of an ASIN winning, else its first one."""
    seen = {}
    for o in orders:
        currency = o.order_total.currency_code if o.order_total else ""
        for i in o.items:
            found = seen.get(i.asin)
            if found is not None and not found.create_only:
                continue
            record = mapping.product_record(
                i, i.item_price.currency_code if i.item_price else currency, names
            )
            if found is None or not record.create_only:
                seen[i.asin] = record
    return seen


@pytest.mark.parametrize("seed", range(20))
def test_merging_each_orders_products_is_mapping_all_items_in_one_pass(seed):
    rng = random.Random(seed)
    orders = []
    for n in range(30):
        items = []
        for _ in range(rng.randrange(0, 4)):
            line = item(asin=f"B00TEST{rng.randrange(6):03d}", price=rng.choice(["9.99", None]))
            if line.item_price is not None and rng.random() < 0.3:
                line = replace(line, item_price=Money(line.item_price.amount * 5, "BRL"))
            items.append(line)
        orders.append(order(amazon_order_id=f"113-0000000-{n:07d}", items=items))
    expected = _reference_products(orders, USD_ORG)
    merged = mapping.merge_products(mapping.order_products(o, USD_ORG) for o in orders)
    assert [r.amazon_key for r in merged] == list(expected)
    for record in merged:
        want = expected[record.amazon_key]
        assert (record.data, record.create_only, record.fingerprint) == (
            want.data,
            want.create_only,
            want.fingerprint,
        )
    assert mapping.products_for_orders(orders, USD_ORG) == merged


def _job(tenant) -> SyncJob:
    run = sync_run_start(tenant=tenant, schedule="sync_amazon_record", trigger="scheduled")
    return SyncJob(run=run, amazon=None, zoho=None, names=USD_ORG)


def _rows(job):
    return sorted(
        StagedRecord.objects.filter(run=job.run).values_list(*COLUMNS),
        key=lambda r: (r[0], r[1]),
    )


@pytest.mark.django_db
def test_staging_the_quarantines_mapping_stages_what_mapping_afresh_stages():
    """One batch staged twice, in two runs: with the quarantine's mapping handed on, and
    mapped by stage itself (the preview's way). Same rows, including for an order whose
    buyer data was removed (stage maps that one again, without the buyer's street)."""
    tenant = TenantFactory()
    removed = order(
        amazon_order_id="113-0000009-0000009",
        email="gone@example.com",
        purchase_date=T0 - timedelta(days=1),
        items=[item("B00TEST002", price="5.00")],
    )
    orders = [
        order(amazon_order_id="113-0000001-0000001", items=[item(), item("B00TEST002")]),
        order(
            amazon_order_id="113-0000002-0000002",
            email="sam@example.com",
            name="Sam Roe",
            items=[item("B00TEST003", price="7.50")],
        ),
        order(amazon_order_id="113-0000003-0000003", email=None, items=[item()]),
        removed,
    ]
    protection = staging_protection(tenant_id=tenant.pk)
    BuyerDataHold.objects.create(
        tenant=tenant,
        amazon_order_id=removed.amazon_order_id,
        marketplace_id="ATVPDKIKX0DER",
        buyer_key=protection.keyer.key(removed),
        purchase_date=removed.purchase_date,
        removed_at=timezone.now(),
    )
    handed_on = _job(tenant)
    mapped = [map_order(o, USD_ORG, protection.keyer) for o in orders]
    stage(
        handed_on,
        plan=Plan(new=orders),
        states={},
        full=orders,
        fetched=len(orders),
        mapped=mapped,
        protection=protection,
    )
    handed_on.run.outcome = "success"
    handed_on.run.save(update_fields=["outcome"])
    # The second run starts where the first did (its new holds would expire these orders).
    BuyerDataHold.objects.exclude(amazon_order_id=removed.amazon_order_id).delete()
    mapped_here = _job(tenant)
    stage(mapped_here, plan=Plan(new=orders), states={}, full=orders, fetched=len(orders))

    assert _rows(handed_on) == _rows(mapped_here)
    assert {r[0] for r in _rows(handed_on)} == {"Products", "Contacts", "Sales_Orders"}
    sales = StagedRecord.objects.get(run=handed_on.run, amazon_key=removed.amazon_order_id)
    assert sales.data["Shipping_Street"] == "", "the removed order is staged without its street"
    assert sales.fingerprint != mapped[-1].sales_order.fingerprint, "it was mapped again"


@pytest.mark.django_db
def test_a_product_staged_alike_is_not_upserted_again_a_new_price_is():
    tenant = TenantFactory()
    job = _job(tenant)
    [product] = mapping.products_for_orders([order(items=[item(price="30.00")])], USD_ORG)
    # Stored as staging stores it.
    bulk_upsert(
        product_rows(job, [product]),
        model=StagedRecord,
        unique_fields=["run", "module", "amazon_key"],
        update_fields=["data"],
    )

    assert product_rows(job, [product]) == [], "the same record is staged already"
    [cheaper] = mapping.products_for_orders([order(items=[item(price="27.00")])], USD_ORG)
    assert cheaper.fingerprint == product.fingerprint, "the price is not content"
    assert len(product_rows(job, [cheaper])) == 1, "a new price is staged"
    # Equal amounts that would be stored differently are not "the same" either.
    texted = replace(product, data={**product.data, "Unit_Price": Decimal("10.0")})
    assert texted.data["Unit_Price"] == product.data["Unit_Price"]
    assert len(product_rows(job, [texted])) == 1
    StagedRecord.objects.filter(run=job.run).update(action="sent")
    assert len(product_rows(job, [product])) == 1, "a row in another state is staged again"


@pytest.mark.django_db
def test_order_states_are_the_models_values():
    tenant = TenantFactory()
    AmazonOrderState.objects.create(
        tenant=tenant,
        amazon_order_id="113-0000001-0000001",
        marketplace_id="ATVPDKIKX0DER",
        order_status="Shipped",
        last_update_date=T0,
        complete=True,
        zoho_id="5000001",
    )
    found = order_states(tenant_id=tenant.pk, amazon_order_ids=["113-0000001-0000001", "x"])
    assert found == {"113-0000001-0000001": OrderState(T0, "Shipped", True, "5000001")}
    assert (
        order_states(tenant_id=TenantFactory().pk, amazon_order_ids=["113-0000001-0000001"]) == {}
    )
