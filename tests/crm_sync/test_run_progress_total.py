"""The running row's "312 of 1,500 orders · 300 created · 12 updated": a total only where it
is known (a listed run's orders to write, a replay's ids, a backfill's reports), never one
the orders done could pass; and the finished run's summary by its badge."""

from __future__ import annotations

import re
import threading
import time

import pytest
from django.db import close_old_connections, connection
from django.test import Client
from django.utils import timezone

from crm_sync.models import StagedRecord
from crm_sync.pipeline.job import Counts
from crm_sync.services.progress import RunProgress, run_progress
from crm_sync.templatetags.run_counts import run_summary
from history.models import SyncRun
from tests.crm_sync.test_sync_flow import run_job
from tests.factories import TenantFactory
from tests.fixtures.amazon import make_amazon_book, make_amazon_seller


def _run(tenant, **fields) -> SyncRun:
    now = timezone.now()
    return SyncRun.objects.create(
        tenant=tenant,
        schedule="sync_amazon_record",
        trigger=fields.pop("trigger", SyncRun.Trigger.MANUAL),
        started_at=now,
        heartbeat_at=now,
        **fields,
    )


def _stage(run: SyncRun, n: int, action: str = "create") -> None:
    StagedRecord.objects.bulk_create(
        StagedRecord(
            tenant_id=run.tenant_id,
            run=run,
            module="Sales_Orders",
            amazon_key=f"{action}-{i:07d}",
            action=action,
            data={},
            fingerprint="f" * 64,
        )
        for i in range(n)
    )


def _words(html: str) -> str:
    """The running row's progress as a user reads it (tags out, spaces collapsed)."""
    match = re.search(r'<div class="progress" role="status">(.*?)</div>', html, re.S)
    if not match:
        return ""
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split()).replace(" ·", " ·")


@pytest.mark.django_db
def test_a_listing_run_shows_no_total_until_it_is_listed():
    run = _run(TenantFactory(), orders_fetched=312)
    assert run_progress(run) == RunProgress(done=312)


@pytest.mark.django_db
def test_once_listed_the_orders_done_are_those_no_longer_staged():
    run = _run(TenantFactory(), orders_fetched=2000, orders_expected=1500)
    _stage(run, 1000)
    _stage(run, 88, action="create-sent")  # going out now: not done yet
    _stage(run, 100, action="status")
    _stage(run, 40, action="verify")  # written, to be read back: done
    assert run_progress(run) == RunProgress(done=312, total=1500)


@pytest.mark.django_db
def test_a_total_smaller_than_what_waits_is_not_shown():
    run = _run(TenantFactory(), orders_fetched=7, orders_expected=5)
    _stage(run, 6)
    assert run_progress(run) == RunProgress(done=7)


@pytest.mark.django_db
def test_a_replay_counts_its_ids_read_from_amazon():
    ids = [f"111-0000000-{i:07d}" for i in range(40)] + ["111-0000000-0000001"]  # once
    run = _run(TenantFactory(), trigger=SyncRun.Trigger.REPLAY, replay_order_ids=ids)
    Counts(orders_fetched=12).save_to(run.pk)
    run.refresh_from_db()
    assert run_progress(run) == RunProgress(done=12, total=40, reading=True)
    SyncRun.objects.filter(pk=run.pk).update(orders_fetched=41)  # never past the total
    run.refresh_from_db()
    assert run_progress(run) == RunProgress(done=41)


# ---- a real run, polled as the page polls it ------------------------------------------------


@pytest.fixture
def amazon_seller():
    return make_amazon_seller(marketplace_ids=["ATVPDKIKX0DER"])


@pytest.fixture
def amazon_book(amazon_seller):
    return make_amazon_book(amazon_seller, orders=420, buyers=130, products=140, days=20)


OF_N = re.compile(r"^Running: ([\d,]+) of ([\d,]+) orders · ([\d,]+) created · ([\d,]+) updated")


def _n(text: str) -> int:
    return int(text.replace(",", ""))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("flush_every_page", [False, True], ids=["one-flush", "flush-per-page"])
def test_polling_a_real_run_sees_of_n_with_moving_numbers(
    connected_tenant, settings, flush_every_page
):
    connected = connected_tenant
    if flush_every_page:
        # Orders are written while the listing goes on: the total must count them too.
        settings.SYNC_FLUSH_SECONDS = 0
        settings.SYNC_WINDOW_DAYS = 1
    # Each Sales Orders write takes 0.7 s in the Zoho stand-in: the page polls between them.
    connected.zoho.faults.inject(
        "slow", count=1000, method="POST", path_contains="/Sales_Orders/upsert", delay=0.7
    )
    client = Client()
    client.force_login(connected.admin)
    url = f"/orgs/{connected.tenant.id}/schedules/progress/"
    result: dict = {}

    def run() -> None:
        try:
            result["run"] = run_job(connected.tenant, "sync_amazon_record")
        finally:
            close_old_connections()
            connection.close()

    worker = threading.Thread(target=run)
    worker.start()
    seen: list[tuple[int, int, int, int]] = []
    deadline = time.monotonic() + 180
    while worker.is_alive() and time.monotonic() < deadline:
        match = OF_N.match(_words(client.get(url).content.decode()))
        if match:
            seen.append(tuple(_n(g) for g in match.groups()))
        time.sleep(0.1)
    worker.join(timeout=60)
    finished = result["run"]
    assert finished.outcome == SyncRun.Outcome.SUCCESS, finished.error

    written = finished.orders_created + finished.orders_updated
    assert written == len(connected.zoho_records("Sales_Orders")) == 420
    assert seen, "the running row never showed a total"
    assert {total for _, total, _, _ in seen} == {written}  # the total, and only it
    dones = [done for done, _, _, _ in seen]
    assert dones == sorted(dones)  # never goes back
    assert all(done <= total for done, total, _, _ in seen)
    if not flush_every_page:
        assert any(0 < done < total for done, total, _, _ in seen)  # seen mid-way, moving
        assert len(set(dones)) >= 3
    else:
        # Written during the listing: the total's first sight already counts them.
        assert 0 < dones[0] < written
    # What is done is what Zoho was told: created + updated at the same checkpoint.
    assert all(done == created + updated for done, _, created, updated in seen)

    html = client.get(url).content.decode()
    assert 'class="progress"' not in html
    assert run_summary(finished) in html
    assert run_summary(finished).startswith("420 orders · 420 created · 0 updated")
