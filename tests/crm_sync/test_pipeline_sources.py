"""The pipeline does not know which source fed it: a toy source, defined here and nowhere
else, feeds typed orders (items included) through ``run_pipeline`` to the Zoho stand-in.

Also: lookups are resolved by a pure function, and staged JSON holds no float (money stays
an exact Decimal until the Zoho edge).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection

from amazon_ext.amazon.types import Address, Money, Order, OrderItem
from crm_sync.decimal_json import DecimalJSONDecoder, DecimalJSONEncoder
from crm_sync.models import StagedRecord, ZohoLink
from crm_sync.pipeline import SyncJob, run_pipeline
from crm_sync.pipeline.lookups import resolve, without_lookups
from crm_sync.services.runs import sync_run_finish, sync_run_start
from crm_sync.sources import FailedOrder, OrderSource, SourceBatch
from crm_sync.zoho.client import client_for
from crm_sync.zoho.fields import fields_setup
from history.models import OrderEvent, SyncRun

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def usd(amount: str) -> Money:
    return Money(Decimal(amount), "USD")


def toy_order(n: int, *, items: tuple[OrderItem, ...], total: Money, buyer: str) -> Order:
    return Order(
        amazon_order_id=f"900-0000000-{n:07d}",
        purchase_date=T0 + timedelta(hours=n),
        last_update_date=T0 + timedelta(hours=n, minutes=30),
        order_status="Shipped",
        marketplace_id="ATVPDKIKX0DER",
        order_total=total,
        buyer_email=f"{buyer}@example.com",
        buyer_name=f"{buyer.title()} Tester",
        shipping_address=Address(name="T", line1="1 Main St", city="Springfield"),
        items=items,
    )


def item(asin: str, price: Money, *, quantity: int = 1, tax: Money | None = None, **money):
    return OrderItem(
        order_item_id=f"{asin}-1",
        asin=asin,
        quantity_ordered=quantity,
        title=f"Toy {asin}",
        item_price=price,
        item_tax=tax,
        **money,
    )


# 0.1 + 0.2 style money (not exact in binary floating point), and a zero-decimal currency.
CENTS = toy_order(
    1,
    items=(item("B0TOY00001", usd("0.30"), tax=usd("0.10"), shipping_price=usd("0.20")),),
    total=usd("0.60"),
    buyer="ada",
)
YEN = toy_order(
    2,
    items=(
        item("B0TOY00002", Money(Decimal("1980"), "JPY"), quantity=7),
        item("B0TOY00003", Money(Decimal("333"), "JPY"), tax=Money(Decimal("33"), "JPY")),
    ),
    total=Money(Decimal("2346"), "JPY"),
    buyer="bo",
)
MORE = toy_order(
    3,
    items=(item("B0TOY00001", usd("0.30"), quantity=3, promotion_discount=usd("0.01")),),
    total=usd("0.29"),  # 3 × 0.10 less 0.01
    buyer="ada",
)
NO_ITEMS = toy_order(4, items=(), total=usd("5.00"), buyer="cy")


class ToySource:
    """Yields its orders in batches of two with their items; its cursor is the batch number.
    Records what the pipeline told it, and what staged JSON looked like between batches."""

    creates_new_orders = True

    def __init__(self, orders: list[Order]) -> None:
        self.orders = orders
        self.committed: list[object] = []
        self.held: list[FailedOrder] = []
        self.staged_json: list[str] = []
        self.zoho_sales_orders_at_commit: list[int] = []
        self.zoho_records = None

    def batches(self) -> Iterator[SourceBatch]:
        for start in range(0, len(self.orders), 2):
            chunk = tuple(self.orders[start : start + 2])
            yield SourceBatch(orders=chunk, items_included=True, position=start // 2 + 1)
            # Between batches the pipeline has staged this one and written nothing yet.
            with connection.cursor() as cursor:
                cursor.execute("SELECT data FROM crm_sync_stagedrecord")
                rows = [row[0] for row in cursor.fetchall()]
            self.staged_json += [r if isinstance(r, str) else json.dumps(r) for r in rows]

    def hold(self, failed: FailedOrder) -> None:
        self.held.append(failed)

    def commit(self, position: object) -> None:
        self.committed.append(position)
        if self.zoho_records is not None:
            self.zoho_sales_orders_at_commit.append(len(self.zoho_records("Sales_Orders")))


class NoItemCalls:
    """The Amazon client of a job whose source includes items: never asked for any."""

    def list_order_items_many(self, *args, **kwargs):
        raise AssertionError("the source included the items; the pipeline must not fetch them")


def toy_job(connected) -> SyncJob:
    tenant = connected.tenant
    zoho = client_for(tenant)
    if not tenant.zoho_connection.fields_ready_at:
        fields_setup(connection=tenant.zoho_connection, client=zoho)
    tenant.zoho_connection.refresh_from_db()
    run = sync_run_start(
        tenant=tenant, schedule="sync_amazon_record", trigger=SyncRun.Trigger.SCHEDULED
    )
    return SyncJob(
        run=run, amazon=NoItemCalls(), zoho=zoho, names=tenant.zoho_connection.field_api_names
    )


def field(connected, module: str, label: str) -> str:
    return connected.tenant.zoho_connection.field_api_names[module][label]


@pytest.mark.django_db(transaction=True)
def test_a_toy_source_feeds_the_pipeline_to_zoho(connected_tenant):
    connected = connected_tenant
    source = ToySource([CENTS, YEN, MORE, NO_ITEMS])
    source.zoho_records = connected.zoho_records
    assert isinstance(source, OrderSource)
    job = toy_job(connected)

    run_pipeline(job, source)

    order_id = field(connected, "Sales_Orders", "Amazon Order ID")
    orders = {r[order_id]: r for r in connected.zoho_records("Sales_Orders")}
    written = [CENTS, YEN, MORE]
    assert sorted(orders) == sorted(o.amazon_order_id for o in written)
    for order in written:
        record = orders[order.amazon_order_id]
        assert Decimal(str(record["Grand_Total"])) == order.order_total.amount
        assert len(record["Ordered_Items"]) == len(order.items)
    asin = field(connected, "Products", "ASIN No")
    products = sorted(r[asin] for r in connected.zoho_records("Products"))
    assert products == ["B0TOY00001", "B0TOY00002", "B0TOY00003"]
    buyer = field(connected, "Contacts", "Amazon Buyer Email")
    contacts = sorted(r[buyer] for r in connected.zoho_records("Contacts"))
    # As with every source, the buyer of an order without items still gets a contact.
    assert contacts == ["ada@example.com", "bo@example.com", "cy@example.com"]

    # The order without items failed, was reported, and its source was told to hold it.
    assert [f.amazon_order_id for f in source.held] == [NO_ITEMS.amazon_order_id]
    assert job.failures == [
        f"Order {NO_ITEMS.amazon_order_id}: Amazon returned no items for this order"
    ]
    failed = OrderEvent.objects.get(run=job.run, action="failed")
    assert failed.amazon_order_id == NO_ITEMS.amazon_order_id
    assert OrderEvent.objects.filter(run=job.run, action="created").count() == 3
    # The cursor moves only once everything before it is in Zoho.
    assert source.committed == [2]
    assert source.zoho_sales_orders_at_commit == [3]
    assert not StagedRecord.objects.exists()
    job.run.refresh_from_db()
    assert (job.run.orders_fetched, job.run.orders_created, job.run.records_failed) == (4, 3, 1)


def zoho_writes(standin) -> int:
    return sum(1 for c in standin.stats.log if c["route"].startswith(("upsert:", "update:")))


@pytest.mark.django_db(transaction=True)
def test_the_same_orders_again_write_nothing(connected_tenant):
    connected = connected_tenant
    first = toy_job(connected)
    run_pipeline(first, ToySource([CENTS, YEN]))
    sync_run_finish(run_id=first.run.pk)
    writes = zoho_writes(connected.zoho)
    assert writes == 3  # products, contacts, sales orders: one call each

    again = ToySource([CENTS, YEN])
    run_pipeline(toy_job(connected), again)

    assert zoho_writes(connected.zoho) == writes
    assert again.committed == [1]
    assert ZohoLink.objects.filter(module="Sales_Orders").count() == 2


@pytest.mark.django_db(transaction=True)
def test_staged_json_holds_no_float(connected_tenant):
    source = ToySource([CENTS, YEN])
    run_pipeline(toy_job(connected_tenant), source)

    def no_float(text: str):
        raise AssertionError(f"a float in staged JSON: {text}")

    assert source.staged_json
    staged = [json.loads(raw, parse_float=no_float) for raw in source.staged_json]
    decoded = [json.loads(raw, cls=DecimalJSONDecoder) for raw in source.staged_json]
    orders = [d for d in decoded if "Ordered_Items" in d]
    # Item tax is in Adjustment with shipping (Zoho takes no tax amount on a line): 0.10+0.20.
    cents = next(d for d in orders if d["Adjustment"] == Decimal("0.30"))
    assert cents["Ordered_Items"][0]["List_Price"] == Decimal("0.30")
    assert "Tax" not in cents["Ordered_Items"][0]
    yen = next(d for d in orders if d["Adjustment"] == Decimal("33"))
    assert [line["List_Price"] for line in yen["Ordered_Items"]] == [Decimal("283"), Decimal("333")]
    assert yen["Ordered_Items"][0]["Discount"] == Decimal("1")  # 283 × 7 − 1980
    # Lookups are not in the staged record: they wait in typed columns.
    assert all("Contact_Name" not in d for d in staged)


def test_decimal_json_round_trips_exactly():
    value = {"a": Decimal("0.1") + Decimal("0.2"), "b": [Decimal("1980"), Decimal("20.00")]}
    text = json.dumps(value, cls=DecimalJSONEncoder)
    assert text == (
        '{"a": {"__decimal__": "0.3"}, "b": [{"__decimal__": "1980"}, {"__decimal__": "20.00"}]}'
    )
    back = json.loads(text, cls=DecimalJSONDecoder)
    assert back == value
    assert str(back["b"][1]) == "20.00"  # the scale is kept too


def staged_order(key: str, buyer: str, asins: list[str]) -> StagedRecord:
    data = {
        "Subject": f"Amazon order {key}",
        "Contact_Name": {"id": buyer},
        "Ordered_Items": [
            {"Product_Name": {"id": a}, "Quantity": 1, "List_Price": Decimal("0.30")} for a in asins
        ],
    }
    return StagedRecord(
        module="Sales_Orders",
        amazon_key=key,
        action="create",
        data=without_lookups(data),
        buyer_key=buyer,
        product_keys=asins,
    )


def test_lookups_resolve_to_zoho_ids_or_say_why_not():
    ok = staged_order("1", "ada@example.com", ["B1", "B2", "B1"])
    no_product = staged_order("2", "ada@example.com", ["B1", "B9"])
    no_contact = staged_order("3", "zed@example.com", ["B2"])

    ready, unwritable = resolve(
        [ok, no_product, no_contact],
        product_ids={"B1": "p1", "B2": "p2"},
        contact_ids={"ada@example.com": "c1"},
    )

    assert [row for row, _ in ready] == [ok]
    record = ready[0][1]
    assert record["Contact_Name"] == {"id": "c1"}
    assert [line["Product_Name"] for line in record["Ordered_Items"]] == [
        {"id": "p1"},
        {"id": "p2"},
        {"id": "p1"},
    ]
    assert record["Ordered_Items"][0]["List_Price"] == Decimal("0.30")
    assert "Contact_Name" not in ok.data  # the staged row is left as it was
    assert unwritable == [
        (no_product, "product B9 could not be written"),
        (no_contact, "the buyer's contact could not be written"),
    ]
