"""In Chromium: a run into a multi-currency Zoho organisation, then the Sales Order opened
from the run's Order History link in the Zoho stand-in shows the order's currency (BRL for
an Amazon.com.br order) and Zoho's exchange rate for it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from amazon_ext.services.credentials import credentials_save
from crm_sync.services.runs import sync_run_start
from crm_sync.tasks import execute_sync_run
from history.models import OrderEvent, SyncRun
from installation.services.install import tenant_install
from tests.browser.test_product_flow import sign_in
from tests.factories import MembershipFactory, TenantFactory, UserFactory
from tests.fixtures.sync import REDIRECT_URI, connect_tenant, seller_form

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ADMIN = "admin@multi.example"


def test_multi_currency_org_gets_the_orders_currency_and_rate(
    live_server, product_settings, new_page, shot, amazon_standin, amazon_seller, zoho_standin
):
    zoho_standin.create_org(company_name="Multi Inc", admin_email=ADMIN, currencies={"BRL": "5.10"})
    product_settings.ZOHO_CRM_WEB_URL = zoho_standin.api_url
    admin = UserFactory(username="multi-admin", email=ADMIN)
    tenant = TenantFactory(name="Multi Outdoor", installed_at=None)
    MembershipFactory(tenant=tenant, user=admin, profile="Administrator")
    tenant_install(tenant=tenant, user=admin, install_scope="admins")
    credentials_save(tenant=tenant, data=seller_form(amazon_seller))
    redirect = product_settings.ZOHO_REDIRECT_URI
    product_settings.ZOHO_REDIRECT_URI = REDIRECT_URI
    connect_tenant(tenant=tenant, admin=admin, zoho_standin=zoho_standin, admin_email=ADMIN)
    product_settings.ZOHO_REDIRECT_URI = redirect
    run = sync_run_start(tenant=tenant, schedule="sync_amazon_record", trigger="scheduled")
    execute_sync_run.apply(args=[run.pk])
    run.refresh_from_db()
    assert run.outcome == SyncRun.Outcome.SUCCESS, run.error

    book = {o.amazon_order_id: o for o in amazon_standin.book.orders(amazon_seller.seller_id)}
    brl = next(
        e
        for e in OrderEvent.objects.filter(run=run).exclude(zoho_record_id="")
        if book[e.amazon_order_id].currency == "BRL" and book[e.amazon_order_id].details_visible
    )
    page = new_page()
    sign_in(page, live_server.url, "multi-admin")
    page.goto(f"{live_server.url}/orgs/{tenant.id}/history/orders/?q={brl.amazon_order_id}")
    link = page.get_by_role("link", name=brl.zoho_record_id)
    with page.context.expect_page() as opened:
        link.click()
    record = opened.value
    expect(record.locator("tr", has_text="Currency").first).to_contain_text("BRL")
    expect(record.locator("tr", has_text="Exchange_Rate")).to_contain_text("5.1")
    grand_total = str(book[brl.amazon_order_id].order_total)
    expect(record.locator("tr", has_text="Grand_Total")).to_contain_text(grand_total.rstrip("0"))
    shot(record, "zoho-standin-multi-currency-sales-order")
