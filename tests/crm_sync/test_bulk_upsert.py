"""``pipeline.bulk.bulk_upsert`` leaves the database exactly as ``bulk_create`` with
``update_conflicts`` / ``ignore_conflicts`` does: same columns (JSON with exact Decimals,
aware datetimes, auto_now stamps), an update on the unique key, a conflict ignored."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.forms.models import model_to_dict

from crm_sync.models import AmazonOrderState, StagedRecord, ZohoLink
from crm_sync.pipeline.bulk import bulk_upsert
from history.models import OrderEvent, SyncRun
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
