"""Issue 15: Amazon answers cut short in transit (the stand-in's "malformed" fault serves the
first half of the document with a matching Content-Length) are asked again: every order
reaches Zoho, nothing is quarantined — on MWS (ListOrders, ListOrderItems, then GetOrder in
a Replay) and on SP-API Orders v2026 (searchOrders, then getOrder in a Replay)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from history.models import OrderEvent, QuarantinedOrder, SyncRun
from sandbox.amazon.orders_v2026 import GET_ORDER, SEARCH_ORDERS
from tests.crm_sync.test_quarantine_replay import zoho_order_ids
from tests.crm_sync.test_sync_flow import run_job

CUTS = {
    "mws": (["ListOrders", "ListOrderItems", "ListOrderItems"], ["GetOrder"]),
    "spapi": ([SEARCH_ORDERS], [GET_ORDER]),
}


@pytest.fixture(params=sorted(CUTS))
def connected(request):
    fixture = "connected_tenant" if request.param == "mws" else "spapi_tenant"
    return request.param, request.getfixturevalue(fixture)


def nothing_quarantined(tenant) -> None:
    assert not QuarantinedOrder.objects.filter(tenant=tenant).exists()
    assert not OrderEvent.objects.filter(
        tenant=tenant, action=OrderEvent.Action.QUARANTINED
    ).exists()


@pytest.mark.django_db(transaction=True)
def test_cut_answers_are_asked_again_and_every_order_reaches_zoho(connected, client):
    kind, connected = connected
    tenant = connected.tenant
    amazon = connected.amazon
    listing_cuts, replay_cuts = CUTS[kind]
    everyone = {o.amazon_order_id for o in amazon.book.orders(tenant.amazon_credentials.seller_id)}
    for operation in listing_cuts:
        amazon.faults.inject("malformed", 1, operation=operation)

    run = run_job(tenant, "sync_amazon_record")

    assert amazon.faults.fired == len(listing_cuts)  # every cut answer was served
    assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
    assert zoho_order_ids(connected) == everyone
    nothing_quarantined(tenant)

    # A Replay reads the order by id: its cut answer is asked again too.
    seller = tenant.amazon_credentials.seller_id
    one = next(o for o in amazon.book.orders(seller) if o.status == "Unshipped").amazon_order_id
    amazon.book.set_status(one, "Shipped")
    for operation in replay_cuts:
        amazon.faults.inject("malformed", 1, operation=operation)
    client.force_login(connected.admin)
    response = client.post(
        reverse("crm_sync:order_replay", args=[tenant.id]), {"amazon_order_id": one}
    )
    assert response.status_code == 302
    replay = SyncRun.objects.get(tenant=tenant, trigger=SyncRun.Trigger.REPLAY)
    assert amazon.faults.fired == len(listing_cuts) + len(replay_cuts)
    assert replay.outcome == SyncRun.Outcome.SUCCESS, replay.error
    nothing_quarantined(tenant)
    status = connected.tenant.zoho_connection.field_api_names["Sales_Orders"]["Amazon Order Status"]
    names = connected.tenant.zoho_connection.field_api_names["Sales_Orders"]
    [record] = [
        r for r in connected.zoho_records("Sales_Orders") if r[names["Amazon Order ID"]] == one
    ]
    assert record[status] == "Shipped"
