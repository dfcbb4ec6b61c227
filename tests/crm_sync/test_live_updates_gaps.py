"""Live updates: a status change read from the notification itself (no getOrder), the
switch in Settings, and one Seller ID connected in two organisations."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from amazon_ext.services.credentials import credentials_save
from crm_sync.models import LiveUpdates, NotificationReceipt
from crm_sync.services.live_consumer import LiveConsumer
from crm_sync.services.live_subscription import live_updates_set, live_updates_subscribe
from installation.services.install import tenant_install
from tests.crm_sync.live_support import later, status_field, zoho_orders
from tests.crm_sync.test_live_updates import consume_until_idle, full_run
from tests.factories import MembershipFactory, TenantFactory, UserFactory
from tests.fixtures.sync import Connected, connect_tenant, seller_form

GET_ORDER = "getOrder@2026-01-01"


def get_order_calls(connected) -> int:
    return connected.amazon.stats.calls.get(GET_ORDER, 0)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("from_summary", [True, False], ids=["from-summary", "fetch-all"])
def test_a_status_change_of_a_known_order_needs_no_get_order(
    spapi_tenant, live_queue_settings, from_summary
):
    live_queue_settings.LIVE_UPDATES_STATUS_FROM_SUMMARY = from_summary
    connected = spapi_tenant
    full_run(connected, "sync_amazon_record")
    live_updates_subscribe(tenant_id=connected.tenant.pk)
    book = connected.amazon.book
    orders = book.orders(connected.tenant.amazon_credentials.seller_id)
    shipped = next(o for o in orders if o.status == "Unshipped")
    paid = next(o for o in orders if o.status == "Pending")  # money and buyer still to come
    before = get_order_calls(connected)
    book.set_status(shipped.amazon_order_id, "Shipped", at=later(shipped, 5))
    book.set_status(shipped.amazon_order_id, "Canceled", at=later(shipped, 9))
    book.set_status(paid.amazon_order_id, "Unshipped", at=later(paid, 5))
    connected.amazon.spapi.notifications.publisher.wait_idle()

    consume_until_idle(LiveConsumer(name="test"))

    in_zoho, status = zoho_orders(connected), status_field(connected)
    (record,) = in_zoho[shipped.amazon_order_id]
    assert record[status] == "Canceled"  # the newest of its two changes
    (filled,) = in_zoho[paid.amazon_order_id]
    assert filled[status] == "Unshipped"
    assert Decimal(str(filled["Grand_Total"])) == book.get(paid.amazon_order_id).order_total
    # The Pending order is fetched (its money and buyer are not in a notification); the
    # status change of the order Zoho already holds is read from its notification's Summary.
    assert get_order_calls(connected) - before == (1 if from_summary else 2)
    receipt = NotificationReceipt.objects.filter(amazon_order_id=shipped.amazon_order_id).latest(
        "change_time"
    )
    assert (receipt.order_status, receipt.marketplace_id) == ("Canceled", shipped.marketplace_id)
    assert not NotificationReceipt.objects.filter(state="pending").exists()


@pytest.mark.django_db(transaction=True)
def test_settings_page_switches_live_updates_off_and_on(spapi_tenant, live_queue_settings, client):
    connected = spapi_tenant
    api = connected.amazon.spapi.notifications
    live_updates_subscribe(tenant_id=connected.tenant.pk)
    client.force_login(connected.admin)
    settings_url = reverse("installation:settings", kwargs={"tenant_id": connected.tenant.pk})
    switch_url = reverse(
        "installation:settings_live_updates", kwargs={"tenant_id": connected.tenant.pk}
    )
    html = client.get(settings_url).content.decode()
    assert 'id="settings-live-updates-state"><span class="badge ok">On<' in html
    assert f'action="{switch_url}"' in html

    answer = client.post(switch_url, {"enabled": "off"})
    assert answer.status_code == 302 and answer["Location"].endswith("#live-updates")
    assert api.subscriptions == {}
    assert LiveUpdates.objects.get(tenant=connected.tenant).enabled is False
    html = client.get(settings_url).content.decode()
    assert 'id="settings-live-updates-state"><span class="badge">Off<' in html

    client.post(switch_url, {"enabled": "on"})
    assert len(api.subscriptions) == 1


@pytest.mark.django_db(transaction=True)
def test_settings_switch_is_for_administrators_only(spapi_tenant, live_queue_settings, client):
    connected = spapi_tenant
    user = UserFactory(username="acme-user")
    MembershipFactory(tenant=connected.tenant, user=user, profile="Standard")
    client.force_login(user)
    url = reverse("installation:settings_live_updates", kwargs={"tenant_id": connected.tenant.pk})
    assert client.post(url, {"enabled": "off"}).status_code == 403
    assert LiveUpdates.objects.filter(tenant=connected.tenant, enabled=False).count() == 0


def second_org(connected: Connected, amazon_seller) -> Connected:
    """Another organisation (its own Zoho CRM) connected to the same Amazon seller."""
    zoho = connected.zoho
    org = zoho.create_org(
        dc="com",
        edition="enterprise",
        company_name="Beta Ltd",
        admin_email="admin@beta.example",
        admin_name="Bea Admin",
    )
    tenant = TenantFactory(name="Beta Books", time_zone="UTC", installed_at=None)
    admin = UserFactory(username="beta-admin", email="admin@beta.example")
    MembershipFactory(tenant=tenant, user=admin, profile="Administrator")
    tenant_install(tenant=tenant, user=admin, install_scope="admins")
    credentials_save(tenant=tenant, data=seller_form(amazon_seller, "spapi"), kind="spapi")
    connect_tenant(tenant=tenant, admin=admin, zoho_standin=zoho, admin_email="admin@beta.example")
    tenant.refresh_from_db()
    return Connected(tenant=tenant, admin=admin, amazon=connected.amazon, zoho=zoho, zoho_org=org)


@pytest.mark.django_db(transaction=True)
def test_a_seller_in_two_organisations_updates_both(
    spapi_tenant, live_queue_settings, amazon_seller
):
    first = spapi_tenant
    second = second_org(first, amazon_seller)
    api = first.amazon.spapi.notifications
    for connected in (first, second):
        full_run(connected, "sync_amazon_record")
        live_updates_subscribe(tenant_id=connected.tenant.pk)
    # Amazon keeps one subscription per seller and application: both share it.
    assert len(api.subscriptions) == 1
    ids = set(LiveUpdates.objects.values_list("subscription_id", flat=True))
    assert ids == set(api.subscriptions)

    book = first.amazon.book
    order = next(o for o in book.orders(amazon_seller.seller_id) if o.status == "Unshipped")
    book.set_status(order.amazon_order_id, "Shipped", at=later(order, 5))
    api.publisher.wait_idle()
    consume_until_idle(LiveConsumer(name="test"))
    for connected in (first, second):
        (record,) = zoho_orders(connected)[order.amazon_order_id]
        assert record[status_field(connected)] == "Shipped", connected.tenant.name

    # The first switches off: the second keeps the subscription and its updates.
    live_updates_set(tenant_id=first.tenant.pk, enabled=False)
    assert len(api.subscriptions) == 1
    assert LiveUpdates.objects.get(tenant=first.tenant).subscription_id == ""
    book.set_status(order.amazon_order_id, "Canceled", at=later(order, 9))
    api.publisher.wait_idle()
    consume_until_idle(LiveConsumer(name="test"))
    (record,) = zoho_orders(second)[order.amazon_order_id]
    assert record[status_field(second)] == "Canceled"
    (record,) = zoho_orders(first)[order.amazon_order_id]
    assert record[status_field(first)] == "Shipped"  # off: the nightly run brings it

    # The second switches off too: now Amazon's subscription goes.
    live_updates_set(tenant_id=second.tenant.pk, enabled=False)
    assert api.subscriptions == {}
