"""``pipeline.bulk.bulk_upsert`` leaves the database exactly as ``bulk_create`` with
``update_conflicts`` / ``ignore_conflicts`` does: same columns (JSON with exact Decimals,
aware datetimes, auto_now stamps), an update on the unique key, a conflict ignored."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.forms.models import model_to_dict

from crm_sync.models import AmazonOrderState, BuyerDataHold, StagedRecord, ZohoLink
from crm_sync.pipeline import holds
from crm_sync.pipeline.bulk import bulk_upsert
from history.models import OrderEvent, SyncRun
from tenants.encryption import Secret
from tests.factories import TenantFactory

WHEN = datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=UTC)


def _staged(tenant, run, key: str, **changes) -> StagedRecord:
    values = {
        "tenant": tenant,
        "run": run,
        "module": "Sales_Orders",
        "amazon_key": key,
        "action": "create",
        "data": {"Adjustment": Decimal("1.30"), "Ordered_Items": [{"List_Price": Decimal("9")}]},
        "fingerprint": "f" * 64,
        "order_status": "Shipped",
        "amazon_last_update": WHEN,
        "purchase_date": WHEN,
        "complete": True,
        "buyer_key": "k1",
        "product_keys": ["B00TEST001"],
    }
    return StagedRecord(**{**values, **changes})


def _rows(model, **filters) -> list[dict]:
    found = model.objects.filter(**filters).order_by(*[f.name for f in model._meta.fields[1:4]])
    return [{k: v for k, v in model_to_dict(o).items() if k != "id"} for o in found]


@pytest.mark.django_db
def test_staged_records_insert_and_update_like_bulk_create():
    tenant = TenantFactory()
    runs = [
        SyncRun.objects.create(tenant=tenant, schedule="sync_amazon_record", started_at=WHEN)
        for _ in "ab"
    ]
    options = {
        "update_conflicts": True,
        "unique_fields": ["run", "module", "amazon_key"],
        "update_fields": ["action", "data", "fingerprint", "order_status"],
    }
    upsert_options = {k: v for k, v in options.items() if k != "update_conflicts"}
    writers = (
        (runs[0], lambda rows: StagedRecord.objects.bulk_create(rows, **options)),
        (runs[1], lambda rows: bulk_upsert(rows, **upsert_options)),
    )
    for run, write in writers:
        write([_staged(tenant, run, "111-0000000-0000001"), _staged(tenant, run, "2")])
        write([_staged(tenant, run, "2", action="fill", order_status="Pending")])
    made, upserted = (_rows(StagedRecord, run=r) for r in runs)
    for row in (*made, *upserted):
        row.pop("run")
    assert upserted == made and len(made) == 2
    changed = StagedRecord.objects.get(run=runs[1], amazon_key="2")
    assert (changed.action, changed.order_status) == ("fill", "Pending")
    assert changed.data["Adjustment"] == Decimal("1.30") and changed.amazon_last_update == WHEN


@pytest.mark.django_db
def test_states_and_links_get_their_auto_now_stamp_and_events_ignore_conflicts():
    tenant = TenantFactory()
    state = AmazonOrderState(
        tenant=tenant, amazon_order_id="A", order_status="Shipped", last_update_date=WHEN
    )
    bulk_upsert([state], unique_fields=["tenant", "amazon_order_id"], update_fields=["zoho_id"])
    bulk_upsert(
        [AmazonOrderState(tenant=tenant, amazon_order_id="A", last_update_date=WHEN, zoho_id="9")],
        unique_fields=["tenant", "amazon_order_id"],
        update_fields=["zoho_id"],
    )
    saved = AmazonOrderState.objects.get(tenant=tenant, amazon_order_id="A")
    assert (saved.zoho_id, saved.order_status) == ("9", "Shipped")
    assert saved.updated_at is not None and saved.updated_at.tzinfo is not None
    link = ZohoLink(tenant=tenant, module="Products", amazon_key="B1", zoho_id="7", fingerprint="x")
    bulk_upsert([link], unique_fields=["tenant", "module", "amazon_key"], update_fields=["zoho_id"])
    assert ZohoLink.objects.get(amazon_key="B1").updated_at is not None
    run = SyncRun.objects.create(tenant=tenant, schedule="sync_amazon_record", started_at=WHEN)
    event = {"tenant": tenant, "run": run, "amazon_order_id": "A", "action": "created"}
    event["amazon_last_update"] = WHEN
    bulk_upsert([OrderEvent(**event, message="first")], ignore_conflicts=True)
    bulk_upsert([OrderEvent(**event, message="second")], ignore_conflicts=True)
    assert list(OrderEvent.objects.filter(run=run).values_list("message", flat=True)) == ["first"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "when",
    [
        WHEN.astimezone(ZoneInfo("America/Los_Angeles")),
        WHEN,
        WHEN.replace(microsecond=0),
        WHEN.replace(tzinfo=ZoneInfo("UTC")),
    ],
    ids=["pacific", "utc", "utc-whole-second", "zoneinfo-utc"],
)
def test_datetimes_in_any_zone_are_stored_as_bulk_create_stores_them(when):
    tenant = TenantFactory()
    made = AmazonOrderState(tenant=tenant, amazon_order_id="made", last_update_date=when)
    AmazonOrderState.objects.bulk_create([made])
    upserted = AmazonOrderState(tenant=tenant, amazon_order_id="ours", last_update_date=when)
    bulk_upsert([upserted], unique_fields=["tenant", "amazon_order_id"], update_fields=["zoho_id"])
    stored = dict(
        AmazonOrderState.objects.filter(tenant=tenant).values_list(
            "amazon_order_id", "last_update_date"
        )
    )
    assert stored["ours"] == stored["made"] == when
    on_disk = AmazonOrderState.objects.filter(tenant=tenant, last_update_date=when).count()
    assert on_disk == 2  # the same text on disk, so the same lookups find both


@pytest.mark.django_db
def test_buyer_data_holds_insert_then_update_keeping_created_at():
    tenant = TenantFactory()
    hold = BuyerDataHold(
        tenant=tenant,
        amazon_order_id="111-0000000-0000001",
        purchase_date=WHEN,
        buyer_key="k1",
        values=Secret.from_plaintext('["Ann"]', label="t"),
    )
    holds.save([hold])
    first = BuyerDataHold.objects.get(tenant=tenant)
    again = BuyerDataHold(
        tenant=tenant,
        amazon_order_id="111-0000000-0000001",
        purchase_date=WHEN,
        buyer_key="k2",
        values=Secret.from_plaintext('["Ann", "Bo"]', label="t"),
        shipped_at=WHEN,
    )
    holds.save([again])
    saved = BuyerDataHold.objects.get(tenant=tenant)
    assert BuyerDataHold.objects.filter(tenant=tenant).count() == 1
    assert (saved.buyer_key, saved.shipped_at, saved.values.reveal()) == (
        "k2",
        WHEN,
        '["Ann", "Bo"]',
    )
    assert saved.created_at == first.created_at and saved.updated_at >= first.updated_at


@pytest.mark.django_db
def test_mappings_store_what_instances_store_with_defaults_for_missing_fields():
    tenant = TenantFactory()
    runs = [
        SyncRun.objects.create(tenant=tenant, schedule="sync_amazon_record", started_at=WHEN)
        for _ in "ab"
    ]
    options = {"unique_fields": ["run", "module", "amazon_key"], "update_fields": ["action"]}
    instances = [_staged(tenant, runs[0], "1"), _staged(tenant, runs[0], "2", product_keys=[])]
    bulk_upsert(instances, **options)
    as_mapping = model_to_dict(_staged(tenant, runs[1], "1"))
    as_mapping.pop("id")
    as_mapping.update(tenant_id=as_mapping.pop("tenant"), run_id=as_mapping.pop("run"))
    bare = {"tenant_id": tenant.pk, "run_id": runs[1].pk, "module": "Sales_Orders"}
    bare.update(amazon_key="2", action="create", data=as_mapping["data"], fingerprint="f" * 64)
    bare.update(order_status="Shipped", amazon_last_update=WHEN, purchase_date=WHEN)
    bare.update(complete=True, buyer_key="k1")  # product_keys left to its default (a list)
    bulk_upsert([as_mapping, bare], model=StagedRecord, **options)
    made, upserted = (_rows(StagedRecord, run=r) for r in runs)
    for row in (*made, *upserted):
        row.pop("run")
    assert upserted == made and len(made) == 2
    with pytest.raises(TypeError, match="run"):
        bulk_upsert([{**bare, "run": runs[1]}], model=StagedRecord, **options)


@pytest.mark.django_db
def test_a_secret_given_as_plain_text_in_a_mapping_is_stored_encrypted():
    tenant = TenantFactory()
    hold = {"tenant_id": tenant.pk, "amazon_order_id": "A1", "purchase_date": WHEN}
    hold.update(buyer_key="k1", values='["Ann Buyer"]')
    bulk_upsert(
        [hold],
        model=BuyerDataHold,
        unique_fields=["tenant", "amazon_order_id"],
        update_fields=["values"],
    )
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT "values" FROM {BuyerDataHold._meta.db_table}')  # noqa: S608
        assert "Ann Buyer" not in cursor.fetchone()[0]
    assert BuyerDataHold.objects.get(tenant=tenant).values.reveal() == '["Ann Buyer"]'
