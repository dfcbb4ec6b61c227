"""Custom-field setup against the stand-in: the manual's fields, API names read back, idempotent,
unique key fields, and a clear error when a key field cannot be unique."""

from __future__ import annotations

import pytest

from crm_sync.zoho.client import ZohoClient
from crm_sync.zoho.errors import ZohoFieldSetupError
from crm_sync.zoho.fields import KEY_FIELDS, MANUAL_FIELDS, fields_setup
from crm_sync.zoho.metadata import NewTextField
from crm_sync.zoho.modules import PRODUCTS
from tests.crm_sync.test_zoho_support import connect_directly, make_tenant, use_standin

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _zoho_settings(settings, zoho_standin):
    use_standin(settings, zoho_standin)


def _connection(standin, **org_options):
    org_options.setdefault("company_name", "Acme Inc")
    org_options.setdefault("admin_email", "admin@acme.example")
    org = standin.create_org(**org_options)
    tenant, _ = make_tenant()
    return org, connect_directly(standin, org, tenant)


def test_setup_creates_the_manuals_fields_and_stores_their_api_names(zoho_standin):
    org, connection = _connection(zoho_standin)
    zoho_standin.stats.reset()

    report = fields_setup(connection=connection)

    connection.refresh_from_db()
    assert connection.fields_ready_at is not None
    assert set(connection.field_api_names) == {*MANUAL_FIELDS, "Org"}
    assert connection.field_api_names["Org"] == {"Home Currency": "USD"}  # the stand-in default
    for module, labels in MANUAL_FIELDS.items():
        assert set(connection.field_api_names[module]) == set(labels)  # jsonb: no key order
        for label in labels:
            meta = next(
                f for f in zoho_standin.fields(org.org_id, module) if f["field_label"] == label
            )
            assert connection.field_api_names[module][label] == meta["api_name"]
            assert meta["data_type"] == "text"
            assert bool(meta["unique"]) == (KEY_FIELDS[module] == label)
    assert report["created"] == {m: list(labels) for m, labels in MANUAL_FIELDS.items()}
    # 2 + 4 + 3 fields, at most 5 a call: one call per module.
    assert report["create_calls"] == 3
    assert zoho_standin.stats.count("create_fields", "POST") == 3


def test_running_setup_twice_creates_nothing_the_second_time(zoho_standin):
    _, connection = _connection(zoho_standin)
    first = fields_setup(connection=connection)
    zoho_standin.stats.reset()

    second = fields_setup(connection=connection)

    assert zoho_standin.stats.count("create_fields", "POST") == 0
    assert second["create_calls"] == 0
    assert second["created"] == {}
    assert second["api_names"] == first["api_names"]
    assert second["reused"] == {m: list(labels) for m, labels in MANUAL_FIELDS.items()}


def test_generated_names_are_read_back_not_assumed(zoho_standin):
    # This org once had fields named ASIN_No and Amazon_Order_ID (since relabelled), so Zoho
    # gives ours other names.
    org, connection = _connection(zoho_standin, legacy_field_names=True)

    fields_setup(connection=connection)

    connection.refresh_from_db()
    asin = connection.field_api_names["Products"]["ASIN No"]
    order_id = connection.field_api_names["Sales_Orders"]["Amazon Order ID"]
    assert asin != "ASIN_No"
    assert order_id != "Amazon_Order_ID"
    assert asin == zoho_standin.field_api_name(org.org_id, "Products", "ASIN No")
    assert order_id == zoho_standin.field_api_name(org.org_id, "Sales_Orders", "Amazon Order ID")
    # And the sync can upsert on it.
    (result,) = ZohoClient(connection).upsert(
        "Products",
        [{"Product_Name": "Bottle", asin: "B0LEGACY01"}],
        duplicate_check_fields=[asin],
    )
    assert result.ok


def test_an_existing_field_is_reused_whatever_its_case(zoho_standin):
    org, connection = _connection(zoho_standin)
    client = ZohoClient(connection)
    client.create_fields(PRODUCTS, [NewTextField("asin no", length=20, unique=True)])
    existing = zoho_standin.field_api_name(org.org_id, "Products", "asin no")

    report = fields_setup(connection=connection)

    assert report["created"]["Products"] == ["Currency Code"]
    assert report["reused"]["Products"] == ["ASIN No"]
    assert report["api_names"]["Products"]["ASIN No"] == existing


def test_an_existing_key_field_that_allows_duplicates_is_a_clear_error(zoho_standin):
    _, connection = _connection(zoho_standin)
    ZohoClient(connection).create_fields(PRODUCTS, [NewTextField("ASIN No", length=20)])

    with pytest.raises(ZohoFieldSetupError) as caught:
        fields_setup(connection=connection)

    assert "Products “ASIN No”" in str(caught.value)
    assert "allow duplicates" in str(caught.value)
    assert caught.value.report["key_fields"]["Products"]["unique"] is False
    connection.refresh_from_db()
    assert connection.fields_ready_at is None
    # The names are still stored; everything else was set up.
    assert set(connection.field_api_names["Sales_Orders"]) == set(MANUAL_FIELDS["Sales_Orders"])


def test_a_module_with_no_unique_slot_left_gets_the_field_but_reports_it(zoho_standin):
    org, connection = _connection(zoho_standin)
    ZohoClient(connection).create_fields(
        PRODUCTS,
        [NewTextField("Legacy SKU", unique=True), NewTextField("Legacy EAN", unique=True)],
    )

    with pytest.raises(ZohoFieldSetupError) as caught:
        fields_setup(connection=connection)

    report = caught.value.report
    assert report["created"]["Products"] == ["ASIN No", "Currency Code"]
    assert report["key_fields"]["Products"]["unique"] is False
    assert zoho_standin.field_api_name(org.org_id, "Products", "ASIN No") is not None
