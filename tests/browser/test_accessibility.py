"""Every page through axe-core in Chromium (0 violations of any impact), and the issue's
browser checks of history: after a run the history modules and their records appear in the
Zoho stand-in, and the Order History export downloads the rows the page shows.

axe-core comes from the npm registry: scripts/setup --test installs it into var/axe (the
test skips with that hint when it is missing). It is evaluated through DevTools, not as a
page script, so the pages' Content-Security-Policy stays untouched.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from amazon_ext.services.credentials import credentials_save
from crm_sync.models.zoho_history import ZohoHistoryModules
from crm_sync.services.runs import sync_run_start
from crm_sync.tasks import execute_sync_run
from history.models import OrderEvent, SyncRun
from installation.services.install import tenant_install
from tests.browser.test_product_flow import sign_in
from tests.factories import MembershipFactory, TenantFactory, UserFactory
from tests.fixtures.sync import REDIRECT_URI, connect_tenant, seller_form

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = (
    Path(__file__).resolve().parents[2] / "var" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
)
ADMIN_EMAIL = "admin@acme.example"


def axe_violations(page) -> list[str]:
    """axe-core's violations on the page as it is now, one line per rule and element."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{page.url} [{v['impact']}] {v['id']}: {node['target']} — {node['failureSummary']}"
        for v in result["violations"]
        for node in v["nodes"]
    ]


@pytest.fixture
def world(live_server, product_settings, amazon_standin, amazon_seller, zoho_standin):
    """An installed tenant, connected to an Enterprise org, with one finished run; and a
    second organisation still in its install wizard."""
    if not AXE.exists():
        pytest.skip("axe-core is not installed: run scripts/setup --test")
    product_settings.ZOHO_HISTORY_MIRROR_AFTER_RUN = True
    # Authorize with Amazon enabled (an SP-API app configured), as a real installation has it.
    product_settings.AMAZON_SPAPI_APP_ID = "amzn1.sp.solution.sandbox0001"
    product_settings.AMAZON_LWA_CLIENT_ID = "amzn1.application-oa2-client.sandbox"
    product_settings.AMAZON_LWA_CLIENT_SECRET = "sandbox-secret-0001"
    org = zoho_standin.create_org(
        edition="enterprise", company_name="Acme Inc", admin_email=ADMIN_EMAIL
    )
    admin = UserFactory(username="acme-admin", email=ADMIN_EMAIL)
    tenant = TenantFactory(name="Acme Outdoor", installed_at=None)
    MembershipFactory(tenant=tenant, user=admin, profile="Administrator")
    tenant_install(tenant=tenant, user=admin, install_scope="admins")
    credentials_save(tenant=tenant, data=seller_form(amazon_seller))
    redirect = product_settings.ZOHO_REDIRECT_URI
    product_settings.ZOHO_REDIRECT_URI = REDIRECT_URI
    connect_tenant(tenant=tenant, admin=admin, zoho_standin=zoho_standin, admin_email=ADMIN_EMAIL)
    product_settings.ZOHO_REDIRECT_URI = redirect
    run = sync_run_start(tenant=tenant, schedule="sync_amazon_record", trigger="scheduled")
    execute_sync_run.apply(args=[run.pk])
    run.refresh_from_db()
    assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
    wizard = TenantFactory(name="Globex Wizard", installed_at=None)
    MembershipFactory(tenant=wizard, user=admin, profile="Administrator")
    return {"tenant": tenant, "run": run, "wizard": wizard, "org": org, "zoho": zoho_standin}


def test_axe_finds_no_violations_on_any_page(live_server, new_page, shot, world):
    base = live_server.url
    tenant, run, wizard = world["tenant"], world["run"], world["wizard"]
    page = new_page()
    page.goto(f"{base}/accounts/login/")
    found = axe_violations(page)
    sign_in(page, base, "acme-admin")
    pages = [
        "/",
        f"/orgs/{wizard.id}/install/",
        f"/orgs/{tenant.id}/schedules/",
        f"/orgs/{tenant.id}/settings/",
        f"/orgs/{tenant.id}/history/",
        f"/orgs/{tenant.id}/history/runs/{run.id}/",
        f"/orgs/{tenant.id}/history/orders/",
        f"/orgs/{tenant.id}/history/orders/?status=Shipped",
        f"/orgs/{tenant.id}/data-protection/",
        f"/orgs/{tenant.id}/backfill/",
        f"/orgs/{tenant.id}/uninstall/",
    ]
    for path in pages:
        response = page.goto(f"{base}{path}")
        assert response.status < 400, path
        found += axe_violations(page)
    # The wizard's later steps, reached as a user would.
    page.goto(f"{base}/orgs/{wizard.id}/install/")
    page.get_by_label("I have agreed to the Terms of Service").check()
    page.get_by_role("button", name="Install").click()
    expect(page.get_by_text("Choose Users/ Profiles").first).to_be_visible()
    found += axe_violations(page)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Extension Settings")).to_be_visible()
    expect(page.get_by_role("button", name="Authorize with Amazon")).to_be_enabled()
    found += axe_violations(page)
    # Run Now used up: the "no runs left" text.
    page.goto(f"{base}/orgs/{tenant.id}/schedules/")
    for _ in range(2):
        button = page.locator("tr[data-kind=update_order_status] button.run-now")
        if button.is_enabled():
            button.click()
    expect(page.locator("#left-update_order_status")).to_contain_text("No manual runs left today")
    found += axe_violations(page)
    shot(page, "axe-schedules-no-runs-left")
    assert not found, "\n".join(found)


def test_history_modules_in_the_zoho_standin_and_the_csv_export(live_server, new_page, shot, world):
    base = live_server.url
    tenant, run, org, zoho = world["tenant"], world["run"], world["org"], world["zoho"]
    modules = ZohoHistoryModules.objects.get(tenant=tenant)
    assert modules.ready
    events = OrderEvent.objects.filter(run=run).count()

    page = new_page()
    page.goto(f"{zoho.api_url}/_sandbox?org={org.org_id}")
    expect(page.locator(f"h3#{modules.sync_module}")).to_contain_text(f"{modules.sync_module} (1)")
    expect(page.locator(f"h3#{modules.order_module}")).to_contain_text(
        f"{modules.order_module} ({events})"
    )
    sample = OrderEvent.objects.filter(run=run).first()
    expect(page.get_by_text(f"{sample.amazon_order_id} · Created in Zoho")).to_be_visible()
    shot(page, "zoho-standin-history-modules")

    sign_in(page, base, "acme-admin")
    page.goto(f"{base}/orgs/{tenant.id}/history/orders/")
    shown = page.locator("table.grid tbody tr td:first-child a").all_inner_texts()
    with page.expect_download() as info:
        page.get_by_role("link", name="Export CSV").click()
    text = Path(info.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "Amazon Order ID"
    assert len(rows) - 1 == events
    assert [r[0] for r in rows[1 : 1 + len(shown)]] == shown
    assert re.fullmatch(r"order-history-\d+-\d{8}-\d{4}\.csv", info.value.suggested_filename)
