"""Mapping Amazon orders to Zoho records: pure functions, no I/O."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from amazon_ext.amazon.types import Address, Money, Order, OrderItem
from crm_sync import mapping
from crm_sync.buyer_keys import BuyerKeyer

KEYER = BuyerKeyer("test-secret")

NAMES = {
    "Products": {"ASIN No": "ASIN_No1", "Currency Code": "Currency_Code"},
    "Contacts": {
        "Buyer Name": "Buyer_Name",
        "Amazon Order ID": "Amazon_Order_ID",
        "Amazon Buyer Email": "Amazon_Buyer_Email",
        "Amazon Buyer Key": "Amazon_Buyer_Key",
    },
    "Sales_Orders": {
        "Order Type": "Order_Type",
        "Amazon Order Status": "Amazon_Order_Status",
        "Sales Channel": "Sales_Channel",
        "Amazon Order ID": "Amazon_Order_ID",
    },
}
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def usd(amount: str) -> Money:
    return Money(Decimal(amount), "USD")


def item(asin="B00TEST001", qty=3, price="10.00", **money) -> OrderItem:
    return OrderItem(
        order_item_id=f"item-{asin}",
        asin=asin,
        quantity_ordered=qty,
        seller_sku=f"SKU-{asin}",
        title=f"Title {asin}",
        item_price=usd(price) if price else None,
        **{k: usd(v) for k, v in money.items()},
    )


def order(status="Shipped", items=(), email="jane@example.com", name="Jane Q. Doe", **kw) -> Order:
    return Order(
        amazon_order_id=kw.pop("amazon_order_id", "113-0000001-0000001"),
        purchase_date=kw.pop("purchase_date", T0),
        last_update_date=T0,
        order_status=status,
        marketplace_id="ATVPDKIKX0DER",
        sales_channel="Amazon.com",
        order_type="StandardOrder",
        buyer_email=email,
        buyer_name=name,
        shipping_address=Address(
            name=name,
            line1="1 Main St",
            line2="Apt 2",
            city="Seattle",
            state_or_region="WA",
            postal_code="98101",
            country_code="US",
        ),
        items=tuple(items),
        **kw,
    )


def zoho_grand_total(record: dict) -> Decimal:
    """Zoho's own arithmetic (spec §3 and the stand-in): line total − discount, summed, plus
    Adjustment. Zoho computes a line's tax only from Line_Tax percentages, which we never
    send, so a line carries no tax of its own."""
    assert all("Tax" not in line and "Line_Tax" not in line for line in record["Ordered_Items"])
    lines = sum(
        (
            Decimal(str(line["List_Price"])) * line["Quantity"] - Decimal(str(line["Discount"]))
            for line in record["Ordered_Items"]
        ),
        Decimal(0),
    )
    return lines + Decimal(str(record["Adjustment"]))


def test_totals_match_amazon_even_when_unit_price_does_not_divide():
    o = order(
        items=[
            item(
                qty=3,
                price="10.00",
                item_tax="0.90",
                shipping_price="4.99",
                shipping_tax="0.45",
                promotion_discount="1.00",
                shipping_discount="0.50",
            ),
            item(
                asin="B00TEST002", qty=1, price="5.25", gift_wrap_price="2.00", gift_wrap_tax="0.18"
            ),
        ]
    )
    amazon_total = (
        Decimal("10.00")
        + Decimal("0.90")
        + Decimal("4.99")
        + Decimal("0.45")
        - (Decimal("1.00") + Decimal("0.50"))
        + Decimal("5.25")
        + Decimal("2.00")
        + Decimal("0.18")
    )
    record = mapping.sales_order_record(
        o, contact_id="c1", product_ids={"B00TEST001": "p1", "B00TEST002": "p2"}, names=NAMES
    )
    line = record.data["Ordered_Items"][0]
    assert line["List_Price"] == Decimal("3.34")  # 10.00 / 3 rounded up
    assert line["Discount"] == Decimal("1.02")  # promotion 1.00 + rounding 0.02
    assert zoho_grand_total(mapping.to_json_ready(record.data)) == amazon_total
    assert mapping.expected_grand_total(o) == amazon_total


def test_sales_order_uses_the_orgs_field_names_and_maps_status():
    record = mapping.sales_order_record(
        order(status="Canceled", items=[item()]),
        contact_id="c1",
        product_ids={"B00TEST001": "p1"},
        names=NAMES,
    ).data
    assert record["Amazon_Order_ID"] == "113-0000001-0000001"
    assert record["Amazon_Order_Status"] == "Canceled"
    assert record["Status"] == "Cancelled"
    assert record["Sales_Channel"] == "Amazon.com"
    assert record["Order_Type"] == "StandardOrder"
    assert record["Contact_Name"] == {"id": "c1"}
    assert record["Ordered_Items"][0]["Product_Name"] == {"id": "p1"}


def test_one_contact_per_buyer_described_by_the_latest_order():
    older = order(amazon_order_id="113-0000001-0000001", purchase_date=T0, email="Jane@Example.com")
    newer = order(
        amazon_order_id="113-0000002-0000002",
        purchase_date=T0.replace(hour=13),
        email="jane@example.com",
    )
    contacts = mapping.contacts_for_orders([newer, older], NAMES, KEYER)
    assert len(contacts) == 1
    data = contacts[0].data
    # Keyed by a keyed hash of the relay alias (case does not matter), never the email.
    assert contacts[0].amazon_key == KEYER.of_alias("jane@example.com")
    assert data["Amazon_Buyer_Key"] == contacts[0].amazon_key
    assert "jane" not in contacts[0].amazon_key.lower()
    assert data["Amazon_Buyer_Email"] == "jane@example.com"  # a display field
    assert data["Amazon_Order_ID"] == "113-0000002-0000002"
    assert (data["First_Name"], data["Last_Name"]) == ("Jane Q.", "Doe")
    assert data["Mailing_Street"] == "1 Main St, Apt 2"


def test_withheld_buyers_share_the_amazon_customer_contact_of_their_marketplace():
    pending = order(status="Pending", email=None, name=None)
    gift = order(amazon_order_id="113-0000003-0000003", email=None, name="Gift Giver")
    contacts = mapping.contacts_for_orders([pending, gift], NAMES, KEYER)
    assert [c.amazon_key for c in contacts] == ["amazon-customer:ATVPDKIKX0DER"]
    data = contacts[0].data
    assert data["Last_Name"] == "Amazon Customer (Amazon.com)"
    # Shared by many buyers: it carries nobody's name, email, street or phone.
    assert "Gift Giver" not in str(data)
    assert not {"Email", "Mailing_Street", "Phone"} & set(data)


def test_one_contact_per_order_when_the_seller_chooses_it():
    keyer = BuyerKeyer("test-secret", anonymous="order")
    a = order(amazon_order_id="113-0000003-0000003", email=None, name="Gift Giver")
    b = order(amazon_order_id="113-0000004-0000004", email=None, name=None)
    contacts = {c.amazon_key: c.data for c in mapping.contacts_for_orders([a, b], NAMES, keyer)}
    assert sorted(contacts) == [
        "amazon-order:113-0000003-0000003",
        "amazon-order:113-0000004-0000004",
    ]
    assert contacts["amazon-order:113-0000003-0000003"]["Last_Name"] == "Giver"
    assert contacts["amazon-order:113-0000004-0000004"]["Last_Name"] == (
        "Amazon Customer (order 113-0000004-0000004)"
    )


def test_buyer_keys_differ_per_tenant_secret():
    email_order = order(email="relay@marketplace.amazon.de")
    assert mapping.buyer_key(email_order, KEYER) != mapping.buyer_key(
        email_order, BuyerKeyer("another-tenant")
    )


def test_name_split_fallbacks():
    assert mapping.split_name("Cher") == ("", "Cher")
    assert mapping.split_name(None) == ("", "Amazon Customer")
    assert mapping.split_name("  Ana  María  López ") == ("Ana María", "López")


def test_pending_items_without_money_map_to_zero_price():
    o = order(status="Pending", email=None, name=None, items=[item(price=None)])
    record = mapping.sales_order_record(
        o, contact_id="c", product_ids={"B00TEST001": "p"}, names=NAMES
    ).data
    assert record["Ordered_Items"][0]["List_Price"] == Decimal(0)
    assert record["Status"] == "Created"
    assert not mapping.is_complete(o)


def test_products_are_distinct_by_asin_and_fingerprint_ignores_price():
    a = order(items=[item(price="10.00"), item(asin="B00TEST002")])
    b = order(amazon_order_id="113-0000009-0000009", items=[item(price="8.00")])
    products = mapping.products_for_orders([a, b], NAMES)
    assert [p.amazon_key for p in products] == ["B00TEST001", "B00TEST002"]
    assert products[0].data["ASIN_No1"] == "B00TEST001"
    assert products[0].data["Currency_Code"] == "USD"
    cheaper = mapping.product_record(item(price="7.00"), "USD", NAMES)
    assert cheaper.fingerprint == products[0].fingerprint


def test_json_ready_keeps_cents_exact():
    assert mapping.to_json_ready({"a": Decimal("19.99"), "b": [Decimal("20.00")]}) == {
        "a": 19.99,
        "b": [20],
    }


def test_item_tax_goes_to_adjustment_and_the_total_still_matches_amazon():
    o = order(items=[item(qty=2, price="20.00", item_tax="3.30", shipping_price="5.00")])
    record = mapping.sales_order_record(
        o, contact_id="c1", product_ids={"B00TEST001": "p1"}, names=NAMES
    ).data
    assert record["Adjustment"] == Decimal("8.30")  # item tax 3.30 + shipping 5.00
    assert zoho_grand_total(mapping.to_json_ready(record)) == Decimal("28.30")
    assert mapping.record_grand_total(record) == mapping.expected_grand_total(o)


def test_v2026_money_is_counted_and_the_delivery_tip_once_per_order():
    o = order(
        items=[
            item(qty=1, price="10.00", cod_fee="2.00", other_charges="-0.50"),
            item(asin="B00TEST002", qty=1, price="5.00", other_charges="1.25"),
        ],
        delivery_tip=usd("3.00"),
    )
    assert mapping.order_adjustment(o) == Decimal("5.75")  # 2.00 − 0.50 + 1.25 + 3.00 once
    assert mapping.expected_grand_total(o) == Decimal("20.75")
    record = mapping.sales_order_record(
        o, contact_id="c1", product_ids={"B00TEST001": "p1", "B00TEST002": "p2"}, names=NAMES
    ).data
    assert zoho_grand_total(mapping.to_json_ready(record)) == Decimal("20.75")


def test_mixed_currencies_in_one_order_are_refused_not_summed():
    # Amazon's own example: a JPY item with a GBP gift wrap.
    jpy_item = OrderItem(
        order_item_id="i1",
        asin="B00TEST001",
        quantity_ordered=1,
        item_price=Money(Decimal("1500"), "JPY"),
        gift_wrap_price=Money(Decimal("2.50"), "GBP"),
    )
    o = order(items=[jpy_item], order_total=Money(Decimal("1500"), "JPY"))
    for mapped in (
        lambda: mapping.sales_order_record(
            o, contact_id="c1", product_ids={"B00TEST001": "p1"}, names=NAMES
        ),
        lambda: mapping.expected_grand_total(o),
    ):
        with pytest.raises(mapping.UnmappableOrderError) as refused:
            mapped()
        reason = refused.value.reason
        assert "GBP (GiftWrapPrice)" in reason and "JPY (" in reason
        assert "replay it from Order History" in reason
        assert "jane" not in reason.lower()  # no buyer data in the reason
    one_currency = order(items=[item(gift_wrap_price="2.50")], order_total=usd("12.50"))
    mapping.check_mappable(one_currency)  # one currency: fine
