"""Multi-currency Zoho organisations: each Sales Order carries its Amazon order's currency and
Zoho's exchange rate for it, amounts unconverted; a currency the organisation has not added
is refused by Zoho and the order says why; single-currency orgs get no Currency field."""

from __future__ import annotations

from decimal import Decimal

import pytest

from amazon_ext.services.credentials import credentials_save
from crm_sync.services.runs import sync_run_start
from crm_sync.tasks import execute_sync_run
from history.models import OrderEvent, SyncRun
from history.next_steps import ZOHO_CURRENCIES_HELP, next_steps_for_run
from installation.services.install import tenant_install
from tests.factories import MembershipFactory, TenantFactory, UserFactory
from tests.fixtures.sync import connect_tenant, seller_form

pytestmark = pytest.mark.django_db(transaction=True)

ADMIN = "admin@multi.example"


def _connected(zoho_standin, amazon_seller, **org):
    zoho_org = zoho_standin.create_org(company_name="Multi Inc", admin_email=ADMIN, **org)
    tenant = TenantFactory(name="Multi Outdoor", installed_at=None)
    admin = UserFactory(username="multi-admin", email=ADMIN)
    MembershipFactory(tenant=tenant, user=admin, profile="Administrator")
    tenant_install(tenant=tenant, user=admin, install_scope="admins")
    credentials_save(tenant=tenant, data=seller_form(amazon_seller))
    connect_tenant(tenant=tenant, admin=admin, zoho_standin=zoho_standin, admin_email=ADMIN)
    tenant.refresh_from_db()
    return tenant, zoho_org


def _run(tenant) -> SyncRun:
    run = sync_run_start(tenant=tenant, schedule="sync_amazon_record", trigger="scheduled")
    execute_sync_run.apply(args=[run.pk])
    run.refresh_from_db()
    return run


def _orders(zoho_standin, zoho_org, tenant) -> dict[str, dict]:
    key = tenant.zoho_connection.field_api_names["Sales_Orders"]["Amazon Order ID"]
    return {r[key]: r for r in zoho_standin.records(zoho_org.org_id, "Sales_Orders")}


def test_each_sales_order_carries_its_currency_and_zohos_rate(
    wired_settings, zoho_standin, amazon_standin, amazon_seller
):
    tenant, zoho_org = _connected(zoho_standin, amazon_seller, currencies={"BRL": "5.10"})
    names = tenant.zoho_connection.field_api_names["Sales_Orders"]
    assert names["Currency"] == "Currency" and names["Exchange Rate"] == "Exchange_Rate"
    run = _run(tenant)
    assert run.outcome == SyncRun.Outcome.SUCCESS, run.error

    book = {o.amazon_order_id: o for o in amazon_standin.book.orders(amazon_seller.seller_id)}
    written = _orders(zoho_standin, zoho_org, tenant)
    currencies = {r.get("Currency") for r in written.values()} - {None}
    assert currencies == {"USD", "BRL"}, "the seller sells on Amazon.com and Amazon.com.br"
    for order_id, record in written.items():
        order = book[order_id]
        if not order.details_visible:
            continue  # Pending: Amazon gives no money yet
        assert record["Currency"] == order.currency
        assert record["Exchange_Rate"] == {"USD": 1.0, "BRL": 5.1}[order.currency]
        # Amazon's amounts, never converted into the home currency.
        assert Decimal(str(record["Grand_Total"])) == order.order_total


def test_a_currency_the_org_has_not_added_is_refused_and_said(
    wired_settings, zoho_standin, amazon_standin, amazon_seller
):
    tenant, zoho_org = _connected(zoho_standin, amazon_seller, currencies={"EUR": "0.92"})
    run = _run(tenant)
    written = _orders(zoho_standin, zoho_org, tenant)
    assert written and {r.get("Currency") for r in written.values()} - {None} == {"USD"}
    failed = OrderEvent.objects.filter(run=run, action="failed")
    assert failed.exists() and run.records_failed >= failed.count()
    # What to do, not Zoho's code: add the currency in Zoho, then Replay.
    assert {e.currency for e in failed} == {"BRL"}
    assert {e.message for e in failed} == {
        "Zoho refused currency BRL: add BRL in Zoho CRM Setup → General → Company Details → "
        "Currencies, then Replay."
    }
    steps = next_steps_for_run(run=run)
    assert [s.text for s in steps] == [
        "Add BRL in Zoho CRM's Currencies (Zoho's help)",
        "Then replay the failed orders",
    ]
    assert steps[0].url == ZOHO_CURRENCIES_HELP and steps[1].url.endswith("#replay")


def test_a_single_currency_org_gets_no_currency_field(
    wired_settings, zoho_standin, amazon_standin, amazon_seller
):
    tenant, zoho_org = _connected(zoho_standin, amazon_seller)
    assert "Currency" not in tenant.zoho_connection.field_api_names["Sales_Orders"]
    run = _run(tenant)
    assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
    assert all("Currency" not in r for r in _orders(zoho_standin, zoho_org, tenant).values())
