"""A failed run says what is true of Zoho, from its own counts (issue 15, defect 19): it used
to say "Everything up to the last saved page is in Zoho CRM" even when Zoho held nothing."""

from __future__ import annotations

import pytest

from crm_sync.services.runs import sync_run_finish, sync_run_start
from history.models import SyncRun
from tests.factories import TenantFactory


def failed_run(**counts) -> SyncRun:
    run = sync_run_start(
        tenant=TenantFactory(), schedule="sync_amazon_record", trigger=SyncRun.Trigger.MANUAL
    )
    SyncRun.objects.filter(pk=run.pk).update(**counts)
    return sync_run_finish(run_id=run.pk, failed_with="Zoho CRM error: no answer.")


@pytest.mark.django_db
def test_a_run_that_wrote_nothing_says_so():
    run = failed_run()
    assert run.outcome == SyncRun.Outcome.FAILED
    assert run.error == (
        "Zoho CRM error: no answer. Nothing was written to Zoho CRM; the next run starts "
        "again from the same orders."
    )
    assert "last saved page" not in run.error


@pytest.mark.django_db
def test_a_run_that_wrote_orders_counts_them():
    run = failed_run(orders_created=80, orders_updated=2, products_created=5)
    assert run.error.endswith(
        "82 orders were written to Zoho CRM before the error; the next run continues from there."
    )


@pytest.mark.django_db
def test_a_run_that_wrote_only_products_and_contacts_says_no_order_was_written():
    run = failed_run(products_created=3, contacts_created=1)
    assert "No sales order was written to Zoho CRM (4 product and contact records were)" in (
        run.error
    )


@pytest.mark.django_db(transaction=True)
def test_a_run_without_amazon_credentials_wrote_nothing_and_says_so(connected_tenant):
    from tests.crm_sync.test_sync_flow import run_job

    connected_tenant.tenant.amazon_credentials.delete()
    run = run_job(connected_tenant.tenant, "sync_amazon_record")
    assert run.outcome == SyncRun.Outcome.FAILED
    assert run.error.endswith(
        "Nothing was written to Zoho CRM; the next run starts again from the same orders."
    )


@pytest.mark.django_db(transaction=True)
def test_a_run_that_cannot_get_a_zoho_token_does_not_list_amazon_first(connected_tenant):
    """Zoho first (issue 15, defect 19): with Zoho's token refresh throttled, the run stops
    before it spends Amazon calls on orders it could not write."""
    from datetime import timedelta

    from django.core.cache import cache
    from django.utils import timezone

    from crm_sync.models import ZohoConnection
    from crm_sync.zoho.tokens import _throttle_key
    from tests.crm_sync.test_sync_flow import run_job

    tenant = connected_tenant.tenant
    first = run_job(tenant, "sync_amazon_record")
    assert first.outcome == SyncRun.Outcome.SUCCESS, first.error
    connection = tenant.zoho_connection
    ZohoConnection.objects.filter(pk=connection.pk).update(
        access_token_expires_at=timezone.now() - timedelta(seconds=1)
    )
    cache.set(_throttle_key(connection.refresh_token.reveal()), True, 600)
    listed_before = connected_tenant.amazon.stats.calls.get("ListOrders", 0)
    try:
        second = run_job(tenant, "update_order_status")
    finally:
        cache.clear()

    assert second.outcome == SyncRun.Outcome.FAILED
    assert "Zoho" in second.error
    assert connected_tenant.amazon.stats.calls.get("ListOrders", 0) == listed_before
