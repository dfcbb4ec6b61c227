"""The scheduled listing recovers from a NextToken Amazon refuses (defect 18): the window is
listed again from its start, once, instead of failing the run. Real MWS client against the
Amazon stand-in; the stand-in's token key is changed mid-walk, which makes every NextToken
it issued "corrupted or expired", as Amazon answers for a garbled or 24-hour-old token."""

from __future__ import annotations

import pytest

from amazon_ext.amazon.errors import AmazonRequestError
from amazon_ext.amazon.mws.client import MwsClient
from crm_sync.models import ScheduleKind
from crm_sync.sources.listing import ListingSource
from sandbox.amazon.tokens import TokenCodec

pytestmark = pytest.mark.django_db


def mws_client(standin, seller) -> MwsClient:
    return MwsClient(
        seller_id=seller.seller_id,
        access_key=seller.access_key,
        secret_key=seller.secret_key,
        mws_auth_token=seller.mws_auth_token,
        marketplace_ids=seller.marketplace_ids,
        endpoint_override=standin.url,
        time_scale=standin.time_scale,
    )


def listing(client, tenant) -> ListingSource:
    return ListingSource(
        amazon=client,
        tenant_id=tenant.pk,
        schedule=ScheduleKind.SYNC_RECORDS,
        marketplace_ids=client.marketplace_ids,
    )


@pytest.fixture
def small_pages(settings, amazon_standin):
    settings.SYNC_WINDOW_DAYS = 60  # one window holds the whole book: many pages, one window
    settings.AMAZON_QUOTA_TIME_SCALE = amazon_standin.time_scale


def test_a_refused_next_token_relists_the_window_once_and_loses_nothing(
    small_pages, amazon_standin, amazon_seller, tenant, monkeypatch
):
    # Pages of 10 (Amazon's minimum is 1): the stand-in's 60 orders take six pages.
    monkeypatch.setattr("amazon_ext.amazon.mws.client.MAX_RESULTS_PER_PAGE", 10)
    client = mws_client(amazon_standin, amazon_seller)
    seen: list[str] = []
    for n, batch in enumerate(listing(client, tenant).batches()):
        seen.extend(o.amazon_order_id for o in batch.orders)
        if n == 0:
            amazon_standin.tokens = TokenCodec()  # every issued NextToken is now refused
    book = {o.amazon_order_id for o in amazon_standin.book.orders(amazon_seller.seller_id)}
    assert sorted(seen) == sorted(book)  # each order once, none lost
    assert client.stats.calls["ListOrders"] == 2  # the window was listed again, once


def test_a_token_refused_twice_in_one_window_fails_with_amazons_code(
    small_pages, amazon_standin, amazon_seller, tenant, monkeypatch
):
    # Pages of 10 (Amazon's minimum is 1): the stand-in's 60 orders take six pages.
    monkeypatch.setattr("amazon_ext.amazon.mws.client.MAX_RESULTS_PER_PAGE", 10)
    client = mws_client(amazon_standin, amazon_seller)
    batches = listing(client, tenant).batches()

    def walk() -> None:
        for batch in batches:
            if batch.orders:
                amazon_standin.tokens = TokenCodec()

    with pytest.raises(AmazonRequestError) as caught:
        walk()
    assert caught.value.code == "NextTokenCorrupted"
    assert client.stats.calls["ListOrders"] == 2
