"""The product end to end over Orders API v2026-01-01, the default for SP-API tenants:
install → Authorize with Amazon on the stand-in → first sync → Zoho equals the book →
status changes → Update Order Status → a second run writes nothing; and a tenant synced over
Orders v0 that moves to v2026 duplicates nothing in Zoho."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest
import requests
from django.contrib.sessions.backends.db import SessionStore
from django.core import mail
from django.core.cache import cache

from amazon_ext.services.authorization import authorize_finish, authorize_start
from amazon_ext.services.credentials import credentials_save
from amazon_ext.services.verification import credentials_verify_with_amazon
from history.models import OrderEvent, SyncRun
from installation.services.install import tenant_install
from sandbox.amazon import roles as amazon_roles
from tests.crm_sync.test_sync_flow import (
    assert_contacts,
    contact_key,
    field,
    run_job,
    zoho_writes,
)
from tests.factories import MembershipFactory, TenantFactory, UserFactory
from tests.fixtures.amazon import AMAZON_APPLICATION_ID
from tests.fixtures.sync import Connected, connect_tenant, seller_form

V2026_NOTE = "Orders read through Amazon's Orders API v2026-01-01."
CALLBACK = "http://127.0.0.1:8000/amazon/callback"


def expected_buyer_key(connected, book_order) -> str:
    """The Contact key Amazon's answer allows: the buyer's email where the app's roles and the
    order give one (FBM, Unshipped / Partially Shipped / Shipped), else the anonymous one."""
    roles = connected.amazon.roles_of(connected.tenant.amazon_credentials.lwa_client_id)
    if book_order.buyer_email and amazon_roles.BUYER_EMAIL in amazon_roles.grants(
        book_order, roles
    ):
        return contact_key(connected, book_order.buyer_email, book_order.marketplace_id)
    return contact_key(connected, None, book_order.marketplace_id)


def assert_zoho_matches_book_v2026(connected) -> None:
    book_orders = connected.amazon.book.orders(connected.tenant.amazon_credentials.seller_id)
    order_id_field = field(connected, "Sales_Orders", "Amazon Order ID")
    status_field = field(connected, "Sales_Orders", "Amazon Order Status")
    asin_field = field(connected, "Products", "ASIN No")
    key_field = field(connected, "Contacts", "Amazon Buyer Key")
    orders = {r[order_id_field]: r for r in connected.zoho_records("Sales_Orders")}
    assert sorted(orders) == sorted(o.amazon_order_id for o in book_orders)
    products = [r[asin_field] for r in connected.zoho_records("Products")]
    assert sorted(products) == sorted({i.asin for o in book_orders for i in o.items})
    contacts = [r[key_field] for r in connected.zoho_records("Contacts")]
    assert_contacts(connected, contacts, {expected_buyer_key(connected, o) for o in book_orders})
    for book_order in book_orders:
        record = orders[book_order.amazon_order_id]
        assert record[status_field] == book_order.status
        assert len(record["Ordered_Items"]) == len(book_order.items)
        if book_order.details_visible:
            assert Decimal(str(record["Grand_Total"])) == book_order.order_total, (
                book_order.amazon_order_id
            )


def authorize_on_the_standin(*, tenant, admin, standin, seller) -> None:
    """Authorize with Amazon as the wizard does it: our consent URL, the seller approving on
    Amazon's page, Amazon's redirect back, the code traded and the credentials verified."""
    session = SessionStore()
    url = authorize_start(
        tenant=tenant,
        user=admin,
        session=session,
        marketplace_ids=seller.marketplace_ids,
        return_to="wizard",
    )
    state = parse_qs(urlsplit(url).query)["state"][0]
    approved = requests.post(
        f"{standin.url}/apps/authorize/consent",
        data={
            "application_id": AMAZON_APPLICATION_ID,
            "state": state,
            "selling_partner_id": seller.seller_id,
            "decision": "approve",
        },
        allow_redirects=False,
        timeout=10,
    )
    assert approved.status_code == 302, approved.text
    params = dict(parse_qsl(urlsplit(approved.headers["Location"]).query))
    authorize_finish(
        user=admin,
        session=session,
        params=params,
        redirect_uri=CALLBACK,
        verify=credentials_verify_with_amazon,
    )


@pytest.fixture
def authorized_tenant(db, wired_settings, amazon_standin, amazon_seller, zoho_standin):
    cache.clear()
    wired_settings.AMAZON_SPAPI_CONSENT_URL = amazon_standin.url
    wired_settings.AMAZON_SPAPI_APP_ID = AMAZON_APPLICATION_ID
    wired_settings.AMAZON_LWA_CLIENT_ID = amazon_seller.lwa_client_id
    wired_settings.AMAZON_LWA_CLIENT_SECRET = amazon_seller.lwa_client_secret
    org = zoho_standin.create_org(
        dc="com",
        edition="enterprise",
        company_name="Acme Inc",
        admin_email="admin@acme.example",
        admin_name="Alice Admin",
    )
    tenant = TenantFactory(name="Acme Outdoor", time_zone="America/Los_Angeles", installed_at=None)
    admin = UserFactory(username="acme-admin", email="admin@acme.example")
    MembershipFactory(tenant=tenant, user=admin, profile="Administrator")
    tenant_install(tenant=tenant, user=admin, install_scope="admins")
    authorize_on_the_standin(
        tenant=tenant, admin=admin, standin=amazon_standin, seller=amazon_seller
    )
    connect_tenant(
        tenant=tenant, admin=admin, zoho_standin=zoho_standin, admin_email="admin@acme.example"
    )
    tenant.refresh_from_db()
    return Connected(
        tenant=tenant, admin=admin, amazon=amazon_standin, zoho=zoho_standin, zoho_org=org
    )


@pytest.mark.django_db(transaction=True)
def test_install_authorize_sync_update_and_nothing_left_to_write(authorized_tenant):
    connected = authorized_tenant
    tenant = connected.tenant
    book = connected.amazon.book
    credentials = tenant.amazon_credentials
    assert credentials.kind == "spapi" and credentials.verified_at is not None
    # Verifying spent no searchOrders quota: the first page of the first run never waits.
    assert connected.amazon.stats.snapshot()["calls"].get("searchOrders", 0) == 0

    first = run_job(tenant, "sync_amazon_record")
    assert first.outcome == SyncRun.Outcome.SUCCESS, first.error
    assert first.orders_created == len(book.orders(credentials.seller_id))
    assert first.records_failed == 0
    assert set(first.api_calls["amazon"]) == {"searchOrders"}  # no item calls at all
    assert first.api_calls["amazon_throttled"] == 0
    assert first.notes[0] == V2026_NOTE
    assert any("Buyer email not provided by Amazon for" in n for n in first.notes)
    assert_zoho_matches_book_v2026(connected)
    assert OrderEvent.objects.filter(run=first, action="created").count() == first.orders_created
    assert mail.outbox[-1].subject == "Amazon sync: Sync Amazon Record completed"
    assert "Orders API v2026-01-01" in mail.outbox[-1].body

    changed_at = connected.amazon.clock.now() - timedelta(minutes=5)
    pending = [
        o.amazon_order_id for o in book.orders(credentials.seller_id) if o.status == "Pending"
    ]
    assert pending, "the seeded book has Pending orders"
    book.set_status(pending[-1], "Unshipped", at=changed_at)  # money, buyer now visible
    moved = sorted({*book.advance(12, at=changed_at), pending[-1]})
    update = run_job(tenant, "update_order_status")
    assert update.outcome == SyncRun.Outcome.SUCCESS, update.error
    assert update.orders_updated == len(moved)
    assert set(update.api_calls["amazon"]) == {"searchOrders"}
    assert_zoho_matches_book_v2026(connected)
    changes = OrderEvent.objects.filter(run=update).exclude(action="failed")
    assert sorted(e.amazon_order_id for e in changes) == moved

    writes_before = zoho_writes(connected.zoho)
    again_sync = run_job(tenant, "sync_amazon_record")
    again_update = run_job(tenant, "update_order_status")
    assert again_sync.outcome == again_update.outcome == SyncRun.Outcome.NO_ORDERS
    assert zoho_writes(connected.zoho) == writes_before


@pytest.mark.django_db(transaction=True)
def test_a_tenant_synced_over_v0_moves_to_v2026_without_duplicates(
    db, wired_settings, amazon_standin, amazon_seller, zoho_standin
):
    """Sync over Orders v0, switch to v2026, and re-read everything as if never seen (links,
    order states and cursors wiped): Zoho keeps one record per order id and ASIN, and no new
    records at all."""
    from crm_sync.models import AmazonOrderState, SyncCursor, ZohoLink

    cache.clear()
    org = zoho_standin.create_org(
        dc="com", edition="enterprise", company_name="Acme", admin_email="admin@acme.example"
    )
    tenant = TenantFactory(name="Acme", installed_at=None)
    admin = UserFactory(username="acme-admin", email="admin@acme.example")
    MembershipFactory(tenant=tenant, user=admin, profile="Administrator")
    tenant_install(tenant=tenant, user=admin, install_scope="admins")
    credentials_save(tenant=tenant, data=seller_form(amazon_seller, "spapi"), kind="spapi")
    connect_tenant(
        tenant=tenant, admin=admin, zoho_standin=zoho_standin, admin_email="admin@acme.example"
    )
    tenant.refresh_from_db()
    connected = Connected(
        tenant=tenant, admin=admin, amazon=amazon_standin, zoho=zoho_standin, zoho_org=org
    )

    wired_settings.AMAZON_SPAPI_ORDERS_API = "v0"
    on_v0 = run_job(tenant, "sync_amazon_record")
    assert on_v0.outcome == SyncRun.Outcome.SUCCESS, on_v0.error
    assert "getOrderItems" in on_v0.api_calls["amazon"]
    assert on_v0.notes[0].startswith("Orders read through Amazon's Orders API v0")
    modules = ("Products", "Contacts", "Sales_Orders")
    counts = {m: len(connected.zoho_records(m)) for m in modules}
    ids = {m: sorted(r["id"] for r in connected.zoho_records(m)) for m in modules}

    # The switch as it happens: same tenant state, everything listed again over v2026.
    wired_settings.AMAZON_SPAPI_ORDERS_API = "2026-01-01"
    SyncCursor.objects.filter(tenant=tenant).delete()
    writes_before = zoho_writes(zoho_standin)
    switched = run_job(tenant, "sync_amazon_record")
    assert switched.outcome == SyncRun.Outcome.NO_ORDERS, switched.error
    assert switched.notes[0] == V2026_NOTE
    assert set(switched.api_calls["amazon"]) == {"searchOrders"}
    assert switched.orders_fetched == on_v0.orders_fetched
    assert zoho_writes(zoho_standin) == writes_before

    # Even with nothing remembered (links, order states, cursors wiped), v2026 finds the
    # same records by the same keys: no new record in any module.
    for model in (ZohoLink, AmazonOrderState, SyncCursor):
        model.objects.filter(tenant=tenant).delete()
    reread = run_job(tenant, "sync_amazon_record")
    assert reread.outcome == SyncRun.Outcome.SUCCESS, reread.error
    assert reread.records_failed == 0
    assert {m: len(connected.zoho_records(m)) for m in modules} == counts
    assert {m: sorted(r["id"] for r in connected.zoho_records(m)) for m in modules} == ids


@pytest.mark.django_db(transaction=True)
def test_a_refused_v2026_falls_back_to_v0_and_the_next_run_starts_there(authorized_tenant):
    connected = authorized_tenant
    tenant = connected.tenant
    connected.amazon.faults.inject(403, 2, "searchOrders")
    run = run_job(tenant, "sync_amazon_record")
    assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
    assert run.notes[0].startswith(
        "Orders read through Amazon's Orders API v0 (v2026 refused in this marketplace"
    )
    assert run.orders_created == len(
        connected.amazon.book.orders(tenant.amazon_credentials.seller_id)
    )
    assert_zoho_matches_book_v2026_totals(connected)
    tenant.amazon_credentials.refresh_from_db()
    assert tenant.amazon_credentials.orders_v2026_refused_at is not None
    again = run_job(tenant, "update_order_status")
    assert "searchOrders" not in again.api_calls.get("amazon", {})  # starts on v0
    assert again.notes[0].startswith("Orders read through Amazon's Orders API v0")


def assert_zoho_matches_book_v2026_totals(connected) -> None:
    """Every order in Zoho with its lines and, where Amazon shows money, its total."""
    book_orders = connected.amazon.book.orders(connected.tenant.amazon_credentials.seller_id)
    order_id_field = field(connected, "Sales_Orders", "Amazon Order ID")
    orders = {r[order_id_field]: r for r in connected.zoho_records("Sales_Orders")}
    assert sorted(orders) == sorted(o.amazon_order_id for o in book_orders)
    for book_order in book_orders:
        record = orders[book_order.amazon_order_id]
        assert len(record["Ordered_Items"]) == len(book_order.items)
        if book_order.details_visible:
            assert Decimal(str(record["Grand_Total"])) == book_order.order_total
