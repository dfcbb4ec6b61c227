"""Amazon Sync History and Order History inside Zoho CRM (manual §2.1), against the stand-in:
the modules and their fields created on connect where the edition allows, what Settings is
told where it does not, each finished run mirrored once (re-runs and crashes duplicate
nothing), and uninstall emptying the modules while the seller's Sales Orders stay."""

from __future__ import annotations

import pytest

from crm_sync.models.zoho_history import ZohoHistoryMirror, ZohoHistoryModules
from crm_sync.services.runs import sync_run_start
from crm_sync.services.zoho_history import zoho_history_mirror_run, zoho_history_runs_pending
from crm_sync.tasks import execute_sync_run
from crm_sync.zoho.modules_setup import history_modules_setup
from history.models import OrderEvent, SyncRun
from installation.selectors import uninstall_inventory
from installation.services.install import tenant_install, tenant_uninstall
from tests.crm_sync.test_zoho_support import connect_directly, make_tenant, use_standin
from tests.fixtures.amazon import make_amazon_book


@pytest.fixture
def amazon_book(amazon_seller):
    """More orders than one Zoho batch of 100, so Order History goes in several calls."""
    return make_amazon_book(amazon_seller, orders=130, buyers=30, products=15)


def _fields(connected, module: str) -> dict[str, dict]:
    return {f["field_label"]: f for f in connected.zoho.fields(connected.zoho_org.org_id, module)}


def _run(tenant) -> SyncRun:
    run = sync_run_start(tenant=tenant, schedule="sync_amazon_record", trigger="scheduled")
    execute_sync_run.apply(args=[run.pk])
    run.refresh_from_db()
    return run


@pytest.mark.django_db(transaction=True)
def test_connect_creates_both_modules_with_their_fields_read_back(connected_tenant):
    connected = connected_tenant
    row = ZohoHistoryModules.objects.get(tenant=connected.tenant)
    assert row.status == "ready", row.message
    assert (row.sync_module, row.order_module) == ("Amazon_Sync_History", "Order_History")
    assert sorted(row.created_modules) == ["Amazon_Sync_History", "Order_History"]

    sync_fields = _fields(connected, row.sync_module)
    order_fields = _fields(connected, row.order_module)
    for module, fields in ((row.sync_module, sync_fields), (row.order_module, order_fields)):
        assert fields["History Key"]["unique"], "upserts need a unique key"
        for label, api_name in row.field_api_names[module].items():
            if label != "Name":
                assert fields[label]["api_name"] == api_name  # read back, not derived
    assert order_fields["Sales Order"]["lookup"]["module"]["api_name"] == "Sales_Orders"
    assert order_fields["Amazon Sync History"]["lookup"]["module"]["api_name"] == row.sync_module
    # Two modules at Zoho's 500 credits each.
    assert connected.zoho.stats.count("create_module", "POST") == 2


@pytest.mark.django_db(transaction=True)
def test_setting_up_again_reuses_the_modules(connected_tenant):
    connected = connected_tenant
    connected.zoho.stats.reset()
    row = history_modules_setup(connection=connected.tenant.zoho_connection)
    assert row.ready
    assert connected.zoho.stats.count("create_module", "POST") == 0
    assert connected.zoho.stats.count("create_fields", "POST") == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("edition", "cap", "status", "words"),
    [
        ("professional", None, "unsupported", "does not allow custom modules"),
        ("enterprise", 0, "limit", "limit of custom modules"),
    ],
)
def test_a_refusing_org_keeps_history_in_the_dashboard_and_says_so(
    settings, zoho_standin, edition, cap, status, words
):
    use_standin(settings, zoho_standin)
    org = zoho_standin.create_org(
        edition=edition, company_name="Small Co", admin_email="admin@small.example"
    )
    if cap is not None:
        org.org.custom_module_cap = cap
    tenant, _ = make_tenant()
    connection = connect_directly(zoho_standin, org, tenant)
    row = history_modules_setup(connection=connection)
    assert row.status == status
    assert words in row.message and "dashboard only" in row.message
    assert not row.ready
    assert "Amazon_Sync_History" not in org.org.modules


@pytest.mark.django_db(transaction=True)
def test_each_run_is_mirrored_once_with_its_order_history(connected_tenant, settings):
    settings.ZOHO_HISTORY_MIRROR_AFTER_RUN = True
    connected = connected_tenant
    row = ZohoHistoryModules.objects.get(tenant=connected.tenant)
    run = _run(connected.tenant)
    assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
    events = list(OrderEvent.objects.filter(run=run).order_by("pk"))
    assert len(events) > 100, "enough orders to need more than one batch"

    runs_in_zoho = connected.zoho_records(row.sync_module)
    entries = connected.zoho_records(row.order_module)
    names = row.field_api_names
    assert len(runs_in_zoho) == 1
    assert runs_in_zoho[0][names[row.sync_module]["Orders Created"]] == run.orders_created
    assert runs_in_zoho[0][names[row.sync_module]["Outcome"]] == "Success"
    assert len(entries) == len(events)
    by_key = {e[names[row.order_module]["History Key"]]: e for e in entries}
    for event in events:
        entry = by_key[f"event-{event.pk}"]
        assert entry[names[row.order_module]["Amazon Order ID"]] == event.amazon_order_id
        assert entry[names[row.order_module]["Sales Order"]]["id"] == event.zoho_record_id
        assert entry[names[row.order_module]["Amazon Sync History"]]["id"] == runs_in_zoho[0]["id"]
    assert ZohoHistoryMirror.objects.get(run=run).done
    assert zoho_history_runs_pending() == []

    # Calling again writes nothing; a crash that lost the marker rewrites the same records.
    connected.zoho.stats.reset()
    assert zoho_history_mirror_run(run_id=run.pk)
    assert connected.zoho.stats.count("upsert", "POST") == 0
    ZohoHistoryMirror.objects.filter(run=run).update(done=False, events_upto=0, zoho_id="")
    assert zoho_history_runs_pending() == [run.pk]
    assert zoho_history_mirror_run(run_id=run.pk)
    assert len(connected.zoho_records(row.sync_module)) == 1
    assert len(connected.zoho_records(row.order_module)) == len(events)
    # One run record + ⌈events / 100⌉ Order History calls.
    assert connected.zoho.stats.count("upsert", "POST") == 1 + -(-len(events) // 100)


@pytest.mark.django_db(transaction=True)
def test_uninstall_empties_the_history_modules_and_keeps_the_sales_orders(
    connected_tenant, settings
):
    settings.ZOHO_HISTORY_MIRROR_AFTER_RUN = True
    connected = connected_tenant
    row = ZohoHistoryModules.objects.get(tenant=connected.tenant)
    run = _run(connected.tenant)
    orders = len(connected.zoho_records("Sales_Orders"))
    assert orders == run.orders_created > 0

    inventory = uninstall_inventory(tenant=connected.tenant).zoho_history
    assert inventory.modules == [
        ("Amazon Sync History", row.sync_module),
        ("Order History", row.order_module),
    ]
    assert inventory.sync_records == 1
    assert inventory.order_records == OrderEvent.objects.filter(run=run).count()

    report = tenant_uninstall(tenant=connected.tenant)
    assert report["zoho_history_deleted"] == {
        row.order_module: inventory.order_records,
        row.sync_module: 1,
    }
    assert connected.zoho_records(row.sync_module) == []
    assert connected.zoho_records(row.order_module) == []
    assert len(connected.zoho_records("Sales_Orders")) == orders


@pytest.mark.django_db
def test_settings_says_dashboard_only_and_the_button_sets_up_after_an_upgrade(
    settings, zoho_standin, client
):
    use_standin(settings, zoho_standin)
    org = zoho_standin.create_org(
        edition="professional", company_name="Small Co", admin_email="admin@small.example"
    )
    tenant, admin = make_tenant()
    tenant_install(tenant=tenant, user=admin, install_scope="admins")
    connection = connect_directly(zoho_standin, org, tenant)
    history_modules_setup(connection=connection)
    client.force_login(admin)
    page = client.get(f"/orgs/{tenant.id}/settings/").content.decode()
    assert "Dashboard only" in page and "does not allow custom modules" in page
    assert "Set up history modules" in page

    org.org.edition = "enterprise"  # the organisation upgraded
    response = client.post(f"/orgs/{tenant.id}/zoho/history-modules", follow=True)
    page = response.content.decode()
    assert "are set up in Zoho CRM" in page
    assert ZohoHistoryModules.objects.get(tenant=tenant).ready
    assert "Set up history modules" not in page
