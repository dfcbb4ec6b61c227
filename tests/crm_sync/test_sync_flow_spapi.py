"""The two jobs end to end with an SP-API tenant, and a tenant switched from MWS to SP-API.

Same stand-ins, same order book and the same checks as tests/crm_sync/test_sync_flow.py: the
jobs, mapping and history must not care which Amazon connection a tenant uses.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.cache import cache

from amazon_ext.amazon.spapi.client import RDT_WITHHELD_NOTE
from amazon_ext.services.credentials import credentials_save
from crm_sync.buyer_keys import ANONYMOUS_PREFIX
from history.models import OrderEvent, SyncRun
from installation.services.install import tenant_install
from tests.crm_sync.test_sync_flow import assert_zoho_matches_book, run_job, zoho_writes
from tests.factories import MembershipFactory, TenantFactory, UserFactory
from tests.fixtures.sync import Connected, connect_tenant, seller_form


@pytest.fixture(autouse=True)
def _orders_v0(settings):
    """These tests are about Orders v0 (RDT, getOrderItems); test_sync_flow_v2026.py runs the
    same flow over v2026-01-01, the default."""
    settings.AMAZON_SPAPI_ORDERS_API = "v0"


@pytest.fixture
def connected_spapi_tenant(
    db, wired_settings, amazon_standin, amazon_seller, zoho_standin
) -> Connected:
    """Like ``connected_tenant``, with SP-API credentials (LWA) instead of MWS."""
    cache.clear()  # no LWA token of an earlier test's stand-in
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
    credentials_save(tenant=tenant, data=seller_form(amazon_seller, "spapi"), kind="spapi")
    connect_tenant(
        tenant=tenant, admin=admin, zoho_standin=zoho_standin, admin_email="admin@acme.example"
    )
    tenant.refresh_from_db()
    return Connected(
        tenant=tenant, admin=admin, amazon=amazon_standin, zoho=zoho_standin, zoho_org=org
    )


@pytest.mark.django_db(transaction=True)
def test_first_sync_then_status_updates_then_nothing_to_do(connected_spapi_tenant):
    connected = connected_spapi_tenant
    tenant = connected.tenant
    book = connected.amazon.book
    assert tenant.amazon_credentials.kind == "spapi"

    first = run_job(tenant, "sync_amazon_record")
    assert first.outcome == SyncRun.Outcome.SUCCESS, first.error
    assert first.orders_created == len(book.orders(tenant.amazon_credentials.seller_id))
    assert first.records_failed == 0
    assert first.api_calls["amazon"]["getOrderItems"] >= first.orders_created
    assert first.api_calls["amazon_throttled"] == 0
    assert RDT_WITHHELD_NOTE not in (first.notes or [])
    assert_zoho_matches_book(connected)
    assert OrderEvent.objects.filter(run=first, action="created").count() == first.orders_created
    assert mail.outbox[-1].subject == "Amazon sync: Sync Amazon Record completed"

    seller_id = tenant.amazon_credentials.seller_id
    changed_at = connected.amazon.clock.now() - timedelta(minutes=5)
    pending = [o.amazon_order_id for o in book.orders(seller_id) if o.status == "Pending"]
    assert pending, "the seeded book has Pending orders"
    book.set_status(pending[-1], "Unshipped", at=changed_at)
    moved = sorted({*book.advance(12, at=changed_at), pending[-1]})
    update = run_job(tenant, "update_order_status")
    assert update.outcome == SyncRun.Outcome.SUCCESS, update.error
    assert update.orders_updated == len(moved)
    assert_zoho_matches_book(connected)
    changes = OrderEvent.objects.filter(run=update).exclude(action="failed")
    assert sorted(e.amazon_order_id for e in changes) == moved

    writes_before = zoho_writes(connected.zoho)
    again_sync = run_job(tenant, "sync_amazon_record")
    again_update = run_job(tenant, "update_order_status")
    assert again_sync.outcome == again_update.outcome == SyncRun.Outcome.NO_ORDERS
    assert zoho_writes(connected.zoho) == writes_before
    assert again_sync.api_calls["amazon"].get("getOrderItems", 0) == 0


@pytest.mark.django_db(transaction=True)
def test_switching_from_mws_to_spapi_duplicates_nothing(connected_tenant, amazon_seller):
    """First sync over MWS; then the same seller over SP-API re-reads everything (cursors,
    order states and links wiped, as if it had never seen the orders): Zoho still holds one
    record per order id, ASIN and buyer."""
    from crm_sync.models import AmazonOrderState, SyncCursor, ZohoLink

    cache.clear()
    connected = connected_tenant
    tenant = connected.tenant
    assert tenant.amazon_credentials.kind == "mws"
    first = run_job(tenant, "sync_amazon_record")
    assert first.outcome == SyncRun.Outcome.SUCCESS, first.error
    assert_zoho_matches_book(connected)
    counts = {m: len(connected.zoho_records(m)) for m in ("Products", "Contacts", "Sales_Orders")}

    credentials_save(tenant=tenant, data=seller_form(amazon_seller, "spapi"), kind="spapi")
    tenant.refresh_from_db()
    assert tenant.amazon_credentials.kind == "spapi"
    assert not tenant.amazon_credentials.secret_key  # MWS secrets are not kept

    unchanged = run_job(tenant, "sync_amazon_record")
    assert unchanged.outcome in (SyncRun.Outcome.NO_ORDERS, SyncRun.Outcome.SUCCESS)
    assert unchanged.orders_created == 0
    assert "getOrders" in unchanged.api_calls["amazon"]

    for model in (ZohoLink, AmazonOrderState, SyncCursor):
        model.objects.filter(tenant=tenant).delete()
    reread = run_job(tenant, "sync_amazon_record")
    assert reread.outcome == SyncRun.Outcome.SUCCESS, reread.error
    assert reread.records_failed == 0
    assert_zoho_matches_book(connected)
    after = {m: len(connected.zoho_records(m)) for m in ("Products", "Contacts", "Sales_Orders")}
    assert after == counts


@pytest.mark.django_db(transaction=True)
def test_without_the_rdt_role_orders_go_to_amazon_customer_with_a_note(
    connected_spapi_tenant, amazon_seller
):
    connected = connected_spapi_tenant
    amazon_seller.rdt_roles = False  # the stand-in holds this very account object
    run = run_job(connected.tenant, "sync_amazon_record")
    assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
    assert run.notes[0].startswith("Orders read through Amazon's Orders API v0")
    assert run.notes[1:] == [RDT_WITHHELD_NOTE]
    assert "no Restricted Data Token role" in mail.outbox[-1].body
    key_field = connected.tenant.zoho_connection.field_api_names["Contacts"]["Amazon Buyer Key"]
    contacts = sorted(r[key_field] for r in connected.zoho_records("Contacts"))
    book = connected.amazon.book.orders(amazon_seller.seller_id)
    assert contacts == sorted({ANONYMOUS_PREFIX + o.marketplace_id for o in book})
    orders = connected.zoho_records("Sales_Orders")
    assert len(orders) == len(connected.amazon.book.orders(amazon_seller.seller_id))


@pytest.mark.django_db(transaction=True)
def test_revoked_refresh_token_fails_the_run_naming_it(connected_spapi_tenant, amazon_seller):
    connected_spapi_tenant.amazon.spapi.revoke(amazon_seller.refresh_token)
    run = run_job(connected_spapi_tenant.tenant, "sync_amazon_record")
    assert run.outcome == SyncRun.Outcome.FAILED
    assert "LWA refresh token" in run.error
    assert amazon_seller.refresh_token not in run.error
