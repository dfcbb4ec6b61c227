"""Issue 13: buyer data of a synced seller-fulfilled order expires counting from Amazon's
latest delivery date (MWS ``LatestDeliveryDate``; SP-API v2026
``fulfillment.deliverByWindow.latestDateTime``), not from the shipment; FBA orders, for
which Amazon gives no delivery date, count from the shipment (crm_sync/retention.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from crm_sync import retention
from crm_sync.models.data_protection import BuyerDataHold
from crm_sync.services.data_protection import data_protection_run
from history.models import SyncRun
from tests.crm_sync.test_data_protection import pii_of
from tests.crm_sync.test_sync_flow import run_job


@pytest.fixture(params=["mws", "spapi"])
def synced(request):
    return request.getfixturevalue("connected_tenant" if request.param == "mws" else "spapi_tenant")


@pytest.mark.django_db(transaction=True)
def test_hold_counts_from_amazons_latest_delivery_date(synced):
    tenant = synced.tenant
    book = synced.amazon.book
    seller = tenant.amazon_credentials.seller_id
    first = run_job(tenant, "sync_amazon_record")
    assert first.outcome == SyncRun.Outcome.SUCCESS, first.error

    shipped_at = synced.amazon.clock.now().replace(microsecond=0) - timedelta(minutes=5)
    moved = [
        book.set_status(o.amazon_order_id, "Shipped", at=shipped_at)
        for o in book.orders(seller)
        if o.status in {"Unshipped", "PartiallyShipped"}
    ]
    update = run_job(tenant, "update_order_status")
    assert update.outcome == SyncRun.Outcome.SUCCESS, update.error

    holds = {
        h.amazon_order_id: h
        for h in BuyerDataHold.objects.filter(
            tenant=tenant, amazon_order_id__in=[o.amazon_order_id for o in moved]
        )
    }
    fbm = [o for o in moved if o.fulfillment_channel == "MFN" and o.amazon_order_id in holds]
    fba = [o for o in moved if o.fulfillment_channel == "AFN" and o.amazon_order_id in holds]
    later = [o for o in fbm if o.latest_delivery_date > shipped_at]
    assert later and fba, "the book has FBM orders promised after shipment, and FBA orders"
    for o in fbm:
        hold = holds[o.amazon_order_id]
        assert hold.latest_delivery_date == o.latest_delivery_date
        assert hold.delivery_basis == retention.BASIS_DELIVERY_DATE
        assert hold.delivered_at == max(o.latest_delivery_date, hold.shipped_at)
        assert hold.expires_at == hold.delivered_at + timedelta(days=30)
    for o in fba:
        hold = holds[o.amazon_order_id]
        assert hold.latest_delivery_date is None
        assert hold.delivery_basis == retention.BASIS_SHIPMENT
        assert hold.expires_at == hold.shipped_at + timedelta(days=30)

    # 31 days after shipment: FBA buyer data is gone, FBM data promised later is still due.
    data_protection_run(tenant_id=tenant.pk, now=shipped_at + timedelta(days=31))
    removed = set(
        BuyerDataHold.objects.filter(tenant=tenant)
        .exclude(removed_at=None)
        .values_list("amazon_order_id", flat=True)
    )
    assert {o.amazon_order_id for o in fba} <= removed
    assert not removed & {
        o.amazon_order_id
        for o in later
        if o.latest_delivery_date + timedelta(days=30) > shipped_at + timedelta(days=31)
    }
    # Orders of one buyer now expire at different times: no contact or sales order keeps a
    # value that only expired orders had.
    gone = pii_of(o for o in book.orders(seller) if o.amazon_order_id in removed)
    kept = pii_of(o for o in book.orders(seller) if o.amazon_order_id not in removed)
    zoho_text = str(synced.zoho_records("Contacts")) + str(synced.zoho_records("Sales_Orders"))
    assert not [v for v in gone - kept if v in zoho_text]

    # 31 days after the latest promised delivery: every one of them is gone.
    last = max(o.latest_delivery_date for o in later)
    data_protection_run(tenant_id=tenant.pk, now=last + timedelta(days=31))
    assert not BuyerDataHold.objects.filter(
        tenant=tenant, amazon_order_id__in=[o.amazon_order_id for o in fbm], removed_at=None
    ).exists()
