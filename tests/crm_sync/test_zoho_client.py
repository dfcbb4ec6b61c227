"""The batched Zoho client over real HTTP: batching, per-record results, retries, limits, logs."""

from __future__ import annotations

import logging
import os
import threading
from decimal import Decimal

import pytest

from crm_sync.models import ZohoConnection
from crm_sync.zoho.client import ZohoClient
from crm_sync.zoho.errors import ZohoApiError, ZohoRateLimitedError, ZohoReconnectRequired
from crm_sync.zoho.fields import fields_setup
from crm_sync.zoho.modules import PRODUCTS, SALES_ORDERS
from crm_sync.zoho.records import SalesOrderRecord, ZohoRecord
from crm_sync.zoho.tokens import reveal
from tests.crm_sync.test_zoho_support import connect_directly, make_tenant, product, use_standin
from tests.fixtures.zoho import start_zoho_standin, zoho_connect

pytestmark = pytest.mark.django_db

FAST = {"backoff_base": 0.005, "backoff_cap": 0.05}


@pytest.fixture(autouse=True)
def _zoho_settings(settings, zoho_standin):
    use_standin(settings, zoho_standin)


@pytest.fixture
def connection(zoho_standin, zoho_org) -> ZohoConnection:
    tenant, _ = make_tenant()
    connection = connect_directly(zoho_standin, zoho_org, tenant)
    fields_setup(connection=connection)
    zoho_standin.stats.reset()
    return connection


def _asin(connection: ZohoConnection) -> str:
    return connection.field_api_names[PRODUCTS]["ASIN No"]


def test_upsert_of_250_records_makes_three_calls_and_keeps_input_order(
    zoho_standin, zoho_org, connection
):
    asin = _asin(connection)
    records = [product(i, asin) for i in range(250)]
    client = ZohoClient(connection)

    results = client.upsert(PRODUCTS, records, duplicate_check_fields=[asin])

    assert zoho_standin.stats.count("upsert:Products", "POST") == 3
    assert client.stats["POST /Products/upsert"] == 3
    assert client.stats["writes"] == 3
    assert client.stats["records_written"] == 250
    assert [r.index for r in results] == list(range(250))
    assert all(r.ok and r.action == "insert" and r.code == "SUCCESS" for r in results)
    stored = {r["id"]: r for r in zoho_standin.records(zoho_org.org_id, "Products")}
    assert len(stored) == 250
    for record, result in zip(records, results, strict=True):
        assert stored[result.zoho_id][asin] == record[asin]

    again = ZohoClient(connection)
    second = again.upsert(PRODUCTS, records, duplicate_check_fields=[asin])

    assert again.stats["POST /Products/upsert"] == 3
    assert [r.action for r in second] == ["update"] * 250
    assert [r.zoho_id for r in second] == [r.zoho_id for r in results]
    assert len(zoho_standin.records(zoho_org.org_id, "Products")) == 250


def test_207_records_each_success_and_reports_the_failure(zoho_standin, zoho_org, connection):
    asin = _asin(connection)
    bad = {asin: "B0BROKEN01", "Product_Code": "NO-NAME"}  # Product_Name is mandatory
    records = [product(1, asin), bad, product(2, asin)]

    results = ZohoClient(connection).upsert(PRODUCTS, records, duplicate_check_fields=[asin])

    assert zoho_standin.stats.by_status[207] == 1
    assert [r.ok for r in results] == [True, False, True]
    failed = results[1]
    assert failed.index == 1
    assert failed.code == "MANDATORY_NOT_FOUND"
    assert failed.field == "Product_Name"
    assert failed.zoho_id is None and failed.action is None
    assert failed.message
    assert len(zoho_standin.records(zoho_org.org_id, "Products")) == 2


def test_a_batch_where_every_record_fails_is_results_not_an_exception(connection):
    asin = _asin(connection)
    records = [{asin: f"B0NONAME{i:02d}"} for i in range(3)]

    results = ZohoClient(connection).upsert(PRODUCTS, records, duplicate_check_fields=[asin])

    assert [(r.ok, r.code, r.field) for r in results] == [
        (False, "MANDATORY_NOT_FOUND", "Product_Name")
    ] * 3


def test_duplicate_data_on_insert_names_the_field(zoho_standin, connection):
    asin = _asin(connection)
    client = ZohoClient(connection)
    client.insert(PRODUCTS, [product(7, asin)])

    (result,) = client.insert(PRODUCTS, [product(7, asin)])

    assert not result.ok
    assert result.code == "DUPLICATE_DATA"
    assert result.field == asin


def test_429_is_retried_with_backoff_then_succeeds(zoho_standin, connection):
    zoho_standin.faults.inject(status=429, count=2, path_contains="/upsert")
    asin = _asin(connection)
    waits: list[float] = []
    client = ZohoClient(connection, backoff_base=2.0, sleep=waits.append)

    results = client.upsert(PRODUCTS, [product(1, asin)], duplicate_check_fields=[asin])

    assert results[0].ok
    assert client.stats["POST /Products/upsert"] == 3
    assert client.events["retry_429"] == 2
    # Exponential with jitter: about 2 s, then about 4 s.
    assert 1.5 <= waits[0] <= 2.5
    assert 3.0 <= waits[1] <= 5.0


def test_429_that_never_clears_gives_up_after_five_tries(zoho_standin, connection):
    zoho_standin.faults.inject(status=429, count=50, path_contains="/org")
    client = ZohoClient(connection, **FAST)

    with pytest.raises(ZohoRateLimitedError) as caught:
        client.org()

    assert caught.value.status == 429
    assert caught.value.code == "TOO_MANY_REQUESTS"
    assert client.stats["GET /org"] == 5


def test_500_is_retried_for_upsert_but_not_for_insert(zoho_standin, zoho_org, connection):
    asin = _asin(connection)
    zoho_standin.faults.inject(status=500, count=1, path_contains="/upsert")
    client = ZohoClient(connection, **FAST)
    assert client.upsert(PRODUCTS, [product(1, asin)], duplicate_check_fields=[asin])[0].ok
    assert client.stats["POST /Products/upsert"] == 2

    zoho_standin.faults.inject(status=500, count=1, path_contains="/Products")
    with pytest.raises(ZohoApiError) as caught:
        client.insert(PRODUCTS, [product(2, asin)])
    assert caught.value.status == 500
    assert client.stats["POST /Products"] == 1  # Zoho may have created it: do not repeat


def test_other_4xx_fails_at_once_with_a_clear_message(zoho_standin, connection):
    client = ZohoClient(connection, **FAST)

    with pytest.raises(ZohoApiError) as caught:
        client.upsert("Amazon_Things", [{"Name": "x"}], duplicate_check_fields=["Name"])

    assert caught.value.status == 400
    assert caught.value.code == "INVALID_MODULE"
    assert "HTTP 400 INVALID_MODULE on POST /Amazon_Things/upsert" in str(caught.value)
    assert client.stats["POST /Amazon_Things/upsert"] == 1


def test_an_interrupted_batched_write_keeps_the_earlier_batches_results(zoho_standin, connection):
    asin = _asin(connection)
    records = [product(i, asin) for i in range(150)]
    client = ZohoClient(connection, **FAST)
    # The second batch meets a persistent 429.
    zoho_standin.faults.inject(status="slow", count=1, path_contains="/upsert", delay=0)
    zoho_standin.faults.inject(status=429, count=50, path_contains="/upsert")

    with pytest.raises(ZohoRateLimitedError) as caught:
        client.upsert(PRODUCTS, records, duplicate_check_fields=[asin])

    assert [r.index for r in caught.value.partial_results] == list(range(100))
    assert all(r.ok for r in caught.value.partial_results)


def test_missing_scope_asks_for_reconnect(settings, zoho_standin, zoho_org):
    tenant, _ = make_tenant()
    tokens = zoho_connect(zoho_standin, zoho_org.admin_email, scope="ZohoCRM.org.READ")
    connection = ZohoConnection.objects.create(
        tenant=tenant,
        accounts_server=tokens["accounts-server"],
        api_domain=tokens["api_domain"],
        refresh_token=tokens["refresh_token"],
        access_token=tokens["access_token"],
        access_token_expires_at=None,
    )
    connection.refresh_from_db()

    with pytest.raises(ZohoReconnectRequired) as caught:
        ZohoClient(connection).fields(PRODUCTS)  # needs ZohoCRM.settings, not granted

    assert "OAUTH_SCOPE_MISMATCH" in str(caught.value)
    connection.refresh_from_db()
    assert connection.status == ZohoConnection.Status.BROKEN


def test_reads_are_typed_records_paged(zoho_standin, zoho_org, connection):
    asin = _asin(connection)
    client = ZohoClient(connection)
    written = client.upsert(
        PRODUCTS, [product(i, asin) for i in range(450)], duplicate_check_fields=[asin]
    )

    before = client.stats["GET /Products"]
    listed = list(client.list_records(PRODUCTS, ["Product_Name", asin]))
    assert len(listed) == 450
    assert all(isinstance(r, ZohoRecord) and r.module == PRODUCTS for r in listed)
    assert {r.id for r in listed} == {w.zoho_id for w in written}
    assert client.stats["GET /Products"] - before == 3  # 200 + 200 + 50

    one = client.get_record(PRODUCTS, written[3].zoho_id)
    assert one.id == written[3].zoho_id
    assert one[asin] == "B000000003"
    assert one.get("Product_Name") == "Trail Bottle 00003"
    assert client.get_record(PRODUCTS, "999999999999") is None


def test_sales_order_with_line_items_looks_up_products(zoho_standin, zoho_org, connection):
    names = connection.field_api_names
    client = ZohoClient(connection)
    (prod,) = client.upsert(
        PRODUCTS,
        [product(1, names[PRODUCTS]["ASIN No"])],
        duplicate_check_fields=["Product_Name"],
    )
    order_id = names[SALES_ORDERS]["Amazon Order ID"]

    (result,) = client.upsert(
        SALES_ORDERS,
        [
            {
                "Subject": "Amazon order 113-0000000-0000001",
                order_id: "113-0000000-0000001",
                "Ordered_Items": [
                    {"Product_Name": {"id": prod.zoho_id}, "Quantity": 2, "List_Price": 9.5}
                ],
            }
        ],
        duplicate_check_fields=[order_id],
    )

    assert result.ok, result
    stored = client.get_sales_order(result.zoho_id)
    assert isinstance(stored, SalesOrderRecord)
    assert stored.id == result.zoho_id
    (line,) = stored.lines
    assert line.id and line.id != result.zoho_id  # the row's own id, for changing it later
    assert stored.line_ids == [line.id]
    assert line.product_id == prod.zoho_id
    assert line.quantity == Decimal("2")
    assert line.list_price == Decimal("9.5")
    assert client.get_sales_order("999999999999") is None


def test_credits_remaining_are_tracked(settings, zoho_org):
    standin = start_zoho_standin(daily_credits=40)
    try:
        use_standin(settings, standin)
        org = standin.create_org(company_name="Tiny", admin_email="boss@tiny.example")
        tenant, _ = make_tenant()
        connection = connect_directly(standin, org, tenant)
        with ZohoClient(connection) as client:
            for _ in range(25):
                client.org()
        connection.refresh_from_db()
        assert connection.credits_remaining == 40 - standin.credits_used(org.org_id)
    finally:
        standin.stop()


@pytest.mark.django_db(transaction=True)
def test_concurrency_cap_keeps_parallel_calls_under_zohos_limit(settings, zoho_org):
    standin = start_zoho_standin(concurrency_limit=2)
    try:
        use_standin(settings, standin)
        org = standin.create_org(company_name="Busy", admin_email="boss@busy.example")
        tenant, _ = make_tenant()
        connection = connect_directly(standin, org, tenant)
        client = ZohoClient(connection, max_concurrency=2, **FAST)
        standin.faults.inject(status="slow", count=16, path_contains="/org", delay=0.05)
        errors: list[BaseException] = []

        def worker() -> None:
            try:
                for _ in range(2):
                    client.org()
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=worker) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)

        assert not errors
        assert standin.stats.by_status[429] == 0
        assert standin.stats_json()["orgs"][org.org_id]["concurrency_peak"] == 2
    finally:
        standin.stop()


@pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="needs TEST_REDIS_URL")
@pytest.mark.django_db(transaction=True)
def test_redis_semaphore_caps_calls_across_clients(settings, zoho_org):
    standin = start_zoho_standin(concurrency_limit=2)
    try:
        use_standin(settings, standin)
        settings.REDIS_URL = os.environ["TEST_REDIS_URL"]
        org = standin.create_org(company_name="Busy", admin_email="boss@busy.example")
        tenant, _ = make_tenant()
        connection = connect_directly(standin, org, tenant)
        standin.faults.inject(status="slow", count=16, path_contains="/org", delay=0.05)
        errors: list[BaseException] = []

        def worker() -> None:
            # A separate client per thread, as separate worker processes would have.
            try:
                client = ZohoClient(connection, max_concurrency=2, **FAST)
                for _ in range(2):
                    client.org()
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=worker) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)

        assert not errors
        assert standin.stats.by_status[429] == 0
    finally:
        standin.stop()


def test_logs_and_reprs_hold_no_tokens_or_record_data(caplog, zoho_standin, connection):
    caplog.set_level(logging.DEBUG)
    asin = _asin(connection)
    zoho_standin.faults.inject(status=429, count=1, path_contains="/upsert")
    zoho_standin.clock.advance(3601)  # forces a 401 and a refresh along the way
    client = ZohoClient(connection, **FAST)

    client.upsert(PRODUCTS, [product(99, asin)], duplicate_check_fields=[asin])

    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("crm_sync"))
    assert f"tenant={connection.tenant_id}" in ours
    assert "POST /Products/upsert 429" in ours
    assert "POST /Products/upsert 200" in ours
    secrets = [reveal(connection.access_token), reveal(connection.refresh_token)]
    for secret in secrets:
        assert secret not in caplog.text
        assert secret not in repr(client) and secret not in repr(connection)
    for value in ("Trail Bottle 00099", "B000000099"):
        assert value not in ours
