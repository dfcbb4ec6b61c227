"""Amazon's Data Protection Policy on the stand-ins: Contacts keyed by a hash of the relay
alias (anonymous per marketplace without one); time moved past the retention → the daily
job leaves no buyer name, email, street or phone of those orders in Zoho or in our
database, writes one Order History row per order, and the next order of the same buyer
still links to the same contact."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from crm_sync.buyer_keys import ANONYMOUS_PREFIX, is_hashed
from crm_sync.models.data_protection import BuyerDataHold, DataProtectionRun
from crm_sync.services.data_protection import data_protection_run
from crm_sync.services.data_protection_settings import keyer_for_tenant
from history.models import OrderEvent, SyncRun
from tests.crm_sync.test_sync_flow import field, run_job, zoho_writes


def pii_of(book_orders) -> set[str]:
    """Every buyer name, email, street line and phone the stand-in can hand out."""
    found = set()
    for o in book_orders:
        a = o.shipping_address
        found |= {o.buyer_email, o.buyer_name, a.name, a.line1, a.line2, a.phone}
    return {v for v in found if v}


def db_text() -> str:
    """Every text-ish column of every table of ours, as one string to search."""
    chunks = []
    with connection.cursor() as cursor:
        for model in apps.get_models():
            if model._meta.app_label not in {"crm_sync", "history", "tenants", "amazon_ext"}:
                continue
            table = model._meta.db_table
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 (our own table names)
            chunks += [str(row) for row in cursor.fetchall()]
    return "\n".join(chunks)


def ship_everything(connected) -> list[str]:
    book = connected.amazon.book
    seller = connected.tenant.amazon_credentials.seller_id
    at = connected.amazon.clock.now() - timedelta(minutes=5)
    moved = []
    for o in book.orders(seller):
        if o.status in {"Unshipped", "PartiallyShipped"}:
            book.set_status(o.amazon_order_id, "Shipped", at=at)
            moved.append(o.amazon_order_id)
    return moved


@pytest.mark.django_db(transaction=True)
def test_contacts_keyed_by_alias_hash_then_buyer_data_expires(connected_tenant):
    connected = connected_tenant
    tenant = connected.tenant
    seller = tenant.amazon_credentials.seller_id
    book = connected.amazon.book

    first = run_job(tenant, "sync_amazon_record")
    assert first.outcome == SyncRun.Outcome.SUCCESS, first.error
    keyer = keyer_for_tenant(tenant_id=tenant.pk)
    key_field = field(connected, "Contacts", "Amazon Buyer Key")
    contacts = {r[key_field]: r for r in connected.zoho_records("Contacts")}
    with_alias = [o for o in book.orders(seller) if o.buyer_email and o.details_visible]
    without = [o for o in book.orders(seller) if not (o.buyer_email and o.details_visible)]
    assert with_alias and without, "the seeded book has both kinds"
    # Orders with a relay alias → the contact keyed by its hash (the email is only shown).
    for o in with_alias:
        contact = contacts[keyer.of_alias(o.buyer_email)]
        assert contact[field(connected, "Contacts", "Amazon Buyer Email")] == o.buyer_email.lower()
    # Orders without → the anonymous contact of their marketplace, holding nobody's data.
    for o in without:
        anonymous = contacts[ANONYMOUS_PREFIX + o.marketplace_id]
        assert anonymous["Last_Name"].startswith("Amazon Customer (Amazon.")
        assert not anonymous.get("Email") and not anonymous.get("Mailing_Street")
    assert all(is_hashed(k) or k.startswith(ANONYMOUS_PREFIX) for k in contacts)
    assert len(contacts) == len({keyer.of_alias(o.buyer_email) for o in with_alias}) + len(
        {o.marketplace_id for o in without}
    )

    ship_everything(connected)
    update = run_job(tenant, "update_order_status")
    assert update.outcome == SyncRun.Outcome.SUCCESS, update.error
    handed_out = pii_of(book.orders(seller))
    zoho_text = str(connected.zoho_records("Contacts")) + str(
        connected.zoho_records("Sales_Orders")
    )
    assert any(v in zoho_text for v in handed_out), "buyer data is in Zoho before expiry"

    # Nothing is due yet: the job removes nothing.
    early = data_protection_run(tenant_id=tenant.pk)
    assert early.orders_redacted == 0 and early.zoho_writes == 0
    held = BuyerDataHold.objects.filter(tenant=tenant, removed_at=None)
    shipped_holds = held.exclude(shipped_at=None)
    assert shipped_holds.exists()

    # Move time past the retention of every shipped order.
    later = timezone.now() + timedelta(days=31)
    writes_before = zoho_writes(connected.zoho)
    job = data_protection_run(tenant_id=tenant.pk, now=later)
    assert job.outcome == DataProtectionRun.Outcome.SUCCESS, job.error
    redacted = set(
        BuyerDataHold.objects.filter(tenant=tenant)
        .exclude(removed_at=None)
        .values_list("amazon_order_id", flat=True)
    )
    assert redacted == set(shipped_holds.values_list("amazon_order_id", flat=True)) or redacted
    assert job.orders_redacted == len(redacted)
    # Zoho's cost floor: one update per 100 Sales Orders and per 100 Contacts.
    sales = job.sales_orders_redacted
    assert job.zoho_writes == zoho_writes(connected.zoho) - writes_before
    assert job.zoho_writes <= -(-sales // 100) + -(-job.contacts_anonymised // 100)

    expired = [o for o in book.orders(seller) if o.amazon_order_id in redacted]
    gone = pii_of(expired)
    still_held = pii_of(o for o in book.orders(seller) if o.amazon_order_id not in redacted)
    orders_field = field(connected, "Sales_Orders", "Amazon Order ID")
    for record in connected.zoho_records("Sales_Orders"):
        if record[orders_field] in redacted:
            assert not record.get("Shipping_Street")
            assert record.get("Shipping_City")  # city, state, postal code, country stay
            assert record.get("Grand_Total") is not None
    only_gone = gone - still_held
    zoho_text = str(connected.zoho_records("Contacts")) + str(
        connected.zoho_records("Sales_Orders")
    )
    left = [v for v in only_gone if v in zoho_text]
    where = [
        (m, r.get("id"), k)
        for m in ("Contacts", "Sales_Orders")
        for r in connected.zoho_records(m)
        for k, val in r.items()
        if any(v in str(val) for v in left)
    ]
    assert left == [], where[:5]
    assert [v for v in only_gone if v in db_text()] == []
    # Each redaction is an Order History row.
    events = OrderEvent.objects.filter(tenant=tenant, action=OrderEvent.Action.REDACTED)
    assert sorted(events.values_list("amazon_order_id", flat=True)) == sorted(redacted)
    assert events.first().message.startswith(
        "buyer data removed: Amazon data protection, 30 days after"
    )

    # A contact whose every order expired is anonymous, and still found by its key.
    buyer = next(o for o in expired if o.buyer_email and o.details_visible)
    key = keyer.of_alias(buyer.buyer_email)
    contact = {r[key_field]: r for r in connected.zoho_records("Contacts")}[key]
    if not BuyerDataHold.objects.filter(tenant=tenant, buyer_key=key, removed_at=None).exists():
        assert contact["Last_Name"] == "Amazon Customer" and not contact.get("Email")
    contacts_before = len(connected.zoho_records("Contacts"))
    now = connected.amazon.clock.now() - timedelta(minutes=4)  # inside the cursor overlap
    repeat = dataclasses.replace(
        buyer,
        amazon_order_id="999-0000001-0000001",
        seller_order_id="999-0000001-0000001",
        purchase_date=now,
        last_update_date=now,
        status="Unshipped",
        items=[dataclasses.replace(i, order_item_id=f"9{i.order_item_id}") for i in buyer.items],
    )
    book.add_orders([repeat])
    again = run_job(tenant, "sync_amazon_record")
    assert again.outcome == SyncRun.Outcome.SUCCESS, again.error
    assert len(connected.zoho_records("Contacts")) == contacts_before
    new_order = next(
        r
        for r in connected.zoho_records("Sales_Orders")
        if r[orders_field] == repeat.amazon_order_id
    )
    assert new_order["Contact_Name"]["id"] == contact["id"]
    # A re-read of an expired order never writes its buyer data back.
    assert [v for v in only_gone - pii_of([repeat]) if v in db_text()] == []


@pytest.mark.django_db(transaction=True)
def test_email_keyed_contacts_move_to_the_key_without_duplicates(connected_tenant):
    """An org synced before buyer keys: its contacts carry only Amazon Buyer Email and our
    links are keyed by the lower-cased email. The first run after the upgrade fills the key
    and re-links; the next order of an old buyer updates that contact."""
    from crm_sync.models import ZohoLink
    from crm_sync.models.data_protection import DataProtectionSettings
    from crm_sync.zoho.client import client_for

    connected = connected_tenant
    tenant = connected.tenant
    seller = tenant.amazon_credentials.seller_id
    book = connected.amazon.book
    assert run_job(tenant, "sync_amazon_record").outcome == SyncRun.Outcome.SUCCESS
    key_field = field(connected, "Contacts", "Amazon Buyer Key")
    email_field = field(connected, "Contacts", "Amazon Buyer Email")
    # Make it the old org: keys gone from Zoho, links keyed by email, nothing migrated.
    client = client_for(tenant)
    old = [r for r in connected.zoho_records("Contacts") if r.get(email_field)]
    assert old
    client.update("Contacts", [{"id": r["id"], key_field: ""} for r in old])
    for record in old:
        ZohoLink.objects.filter(tenant=tenant, module="Contacts", zoho_id=record["id"]).update(
            amazon_key=record[email_field].lower()
        )
    BuyerDataHold.objects.filter(tenant=tenant).delete()
    DataProtectionSettings.objects.filter(tenant=tenant).update(keys_migrated_at=None)
    contacts_before = len(connected.zoho_records("Contacts"))

    buyer = next(o for o in book.orders(seller) if o.buyer_email and o.details_visible)
    now = connected.amazon.clock.now() - timedelta(minutes=4)
    repeat = dataclasses.replace(
        buyer,
        amazon_order_id="999-0000002-0000002",
        seller_order_id="999-0000002-0000002",
        purchase_date=now,
        last_update_date=now,
        status="Unshipped",
        items=[dataclasses.replace(i, order_item_id=f"8{i.order_item_id}") for i in buyer.items],
    )
    book.add_orders([repeat])
    upgraded = run_job(tenant, "sync_amazon_record")
    assert upgraded.outcome == SyncRun.Outcome.SUCCESS, upgraded.error

    keyer = keyer_for_tenant(tenant_id=tenant.pk)
    contacts = connected.zoho_records("Contacts")
    assert len(contacts) == contacts_before  # no duplicate, not even for the new order
    by_id = {r["id"]: r for r in contacts}
    for record in old:
        assert by_id[record["id"]][key_field] == keyer.of_alias(record[email_field])
    links = ZohoLink.objects.filter(tenant=tenant, module="Contacts")
    assert not links.filter(amazon_key__contains="@").exists()
    orders_field = field(connected, "Sales_Orders", "Amazon Order ID")
    new_order = next(
        r
        for r in connected.zoho_records("Sales_Orders")
        if r[orders_field] == repeat.amazon_order_id
    )
    expected = links.get(amazon_key=keyer.of_alias(buyer.buyer_email)).zoho_id
    assert new_order["Contact_Name"]["id"] == expected
    # Orders written before the upgrade now have an expiry like every other.
    assert BuyerDataHold.objects.filter(
        tenant=tenant, amazon_order_id=buyer.amazon_order_id
    ).exists()
    assert DataProtectionSettings.objects.get(tenant=tenant).keys_migrated_at is not None


@pytest.mark.django_db
def test_data_protection_page_and_settings(client, connected_tenant):
    tenant, admin = connected_tenant.tenant, connected_tenant.admin
    client.force_login(admin)
    url = f"/orgs/{tenant.pk}/data-protection/"
    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "at most 30 days after delivery" in text and "has not run yet" in text
    assert "Amazon Buyer Key" in text and "10 failed sign-ins" in text
    refused = client.post(
        url, {"retention_days": 45, "non_pii_days": 548, "anonymous_contacts": "order"}
    )
    assert "allows at most 30 days after delivery" in refused.content.decode()
    saved = client.post(
        url, {"retention_days": 14, "non_pii_days": 365, "anonymous_contacts": "order"}
    )
    assert saved.status_code == 302
    assert keyer_for_tenant(tenant_id=tenant.pk).anonymous == "order"
    settings_page = client.get(f"/orgs/{tenant.pk}/settings/").content.decode()
    assert url in settings_page
