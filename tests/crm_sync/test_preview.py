"""Preview of a schedule's next run and of a backfill: zero writes to Zoho, no cursor moved,
nothing kept in the database, no Run Now allowance used — and exactly what the following real
run writes."""

from __future__ import annotations

import pytest

from crm_sync.models import (
    AmazonOrderState,
    BackfillChunk,
    ManualRunSlot,
    StagedRecord,
    SyncCursor,
    SyncPreview,
)
from crm_sync.services.backfill import backfill_start
from crm_sync.services.preview import preview_request
from crm_sync.tasks import execute_sync_run
from history.models import OrderEvent, SyncRun
from tests.crm_sync.test_backfill import (  # noqa: F401 (fixtures)
    amazon_book,
    contact_key_field,
    new_backfill,
    spapi_tenant,
)
from tests.crm_sync.test_sync_flow import field, run_job, zoho_writes


def _preview(connected, **kwargs) -> SyncPreview:
    preview = preview_request(tenant=connected.tenant, user=connected.admin, **kwargs)
    preview.refresh_from_db()  # executed on commit (tasks run eagerly in tests)
    assert preview.status == SyncPreview.Status.DONE, preview.error
    return preview


def _keys(connected, module: str, label: str) -> set[str]:
    key = contact_key_field(connected) if module == "Contacts" else field(connected, module, label)
    return {r[key] for r in connected.zoho_records(module)}


def _nothing_kept(tenant) -> None:
    assert not StagedRecord.objects.filter(tenant=tenant).exists()
    assert not AmazonOrderState.objects.filter(tenant=tenant).exists()
    assert not OrderEvent.objects.filter(tenant=tenant).exists()
    assert not SyncRun.objects.filter(tenant=tenant).exists()
    assert not SyncCursor.objects.filter(tenant=tenant).exists()


def _assert_preview_is_what_was_written(connected, summary, run) -> None:
    modules = summary["modules"]
    assert set(modules["Sales_Orders"]["create"]) == _keys(
        connected, "Sales_Orders", "Amazon Order ID"
    )
    assert set(modules["Products"]["create"]) == _keys(connected, "Products", "ASIN No")
    assert set(modules["Contacts"]["create"]) == _keys(connected, "Contacts", "")
    assert modules["Sales_Orders"]["creates"] == run.orders_created
    assert modules["Products"]["creates"] == run.products_created
    assert modules["Contacts"]["creates"] == run.contacts_created
    sample = modules["Sales_Orders"]["samples"][0]
    assert sample["action"] == "create" and sample["record"]["Ordered_Items"]
    assert summary["failures_total"] == run.records_failed


@pytest.mark.django_db(transaction=True)
def test_schedule_preview_writes_nothing_and_lists_what_the_run_writes(connected_tenant):
    connected = connected_tenant
    tenant = connected.tenant
    writes = zoho_writes(connected.zoho)
    preview = _preview(connected, schedule="sync_amazon_record")
    assert zoho_writes(connected.zoho) == writes  # zero writes to Zoho
    _nothing_kept(tenant)  # no cursor, state, history or run
    assert not ManualRunSlot.objects.filter(tenant=tenant).exists()  # no Run Now allowance

    run = run_job(tenant, "sync_amazon_record")
    assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
    _assert_preview_is_what_was_written(connected, preview.summary, run)

    again = _preview(connected, schedule="sync_amazon_record")  # nothing new: nothing listed
    assert all(m["creates"] == m["updates"] == 0 for m in again.summary["modules"].values())


@pytest.mark.django_db(transaction=True)
def test_backfill_preview_then_start_reuses_the_reports(spapi_tenant):  # noqa: F811
    connected = spapi_tenant
    backfill = new_backfill(connected)
    writes = zoho_writes(connected.zoho)
    preview = _preview(connected, backfill=backfill)
    assert zoho_writes(connected.zoho) == writes
    _nothing_kept(connected.tenant)
    chunks = backfill.chunks.all()
    assert all(c.report_id for c in chunks)
    assert {c.status for c in chunks} <= {BackfillChunk.Status.READY, "requested", "pending"}

    run = backfill_start(backfill=backfill, user=connected.admin)
    execute_sync_run.apply(args=[run.pk])  # already run on commit; a second copy is refused
    run.refresh_from_db()
    assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
    assert run.api_calls["amazon"].get("createReport", 0) == 0  # the preview's reports
    _assert_preview_is_what_was_written(connected, preview.summary, run)
