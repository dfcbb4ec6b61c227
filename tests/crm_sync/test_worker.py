"""A real Celery worker on Redis runs the sync; SIGKILL in the middle loses and duplicates
nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from config.celery_app import app
from crm_sync.models import StagedRecord
from crm_sync.pipeline.items import ITEM_FETCH_WORKERS
from crm_sync.services.runs import sync_run_start
from history.models import OrderEvent, SyncRun
from tests.crm_sync.test_sync_flow import assert_zoho_matches_book
from tests.fixtures.amazon import make_amazon_book

REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.skipif(not REDIS_URL, reason="needs TEST_REDIS_URL (scripts/test starts Redis)"),
]
ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def worker_env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": REDIS_URL,
            "REDIS_URL": REDIS_URL,
            "SECRET_KEY": settings.SECRET_KEY,
            "FIELD_ENCRYPTION_KEYS": ",".join(settings.FIELD_ENCRYPTION_KEYS),
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(tmp_path / "emails"),
            "AMAZON_MWS_ENDPOINT_OVERRIDE": settings.AMAZON_MWS_ENDPOINT_OVERRIDE,
            "AMAZON_SPAPI_ENDPOINT_OVERRIDE": settings.AMAZON_SPAPI_ENDPOINT_OVERRIDE,
            "AMAZON_LWA_TOKEN_URL": settings.AMAZON_LWA_TOKEN_URL,
            "AMAZON_QUOTA_TIME_SCALE": str(settings.AMAZON_QUOTA_TIME_SCALE),
            "ZOHO_ACCOUNTS_URL": settings.ZOHO_ACCOUNTS_URL,
            "ZOHO_CLIENT_ID": settings.ZOHO_CLIENT_ID,
            "ZOHO_CLIENT_SECRET": settings.ZOHO_CLIENT_SECRET,
            "CELERY_VISIBILITY_TIMEOUT": "3",
            "SYNC_RUN_LEASE_SECONDS": "3",
            "CELERY_TASK_ALWAYS_EAGER": "false",
        }
    )
    return env


def start_worker(tmp_path: Path, name: str) -> subprocess.Popen:
    log = open(tmp_path / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"{name}@test",
            "-l",
            "INFO",
        ],
        cwd=ROOT,
        env=worker_env(tmp_path),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
        process.wait(timeout=30)


def send(run: SyncRun) -> None:
    with app.connection_for_write(REDIS_URL) as conn:
        app.send_task("crm_sync.tasks.execute_sync_run", args=[run.pk], connection=conn)


def wait_for(predicate, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def finished(run: SyncRun) -> bool:
    run.refresh_from_db()
    return run.outcome != SyncRun.Outcome.RUNNING


@pytest.fixture
def amazon_book(amazon_seller):
    """Three ListOrders pages, so the kill lands after a checkpoint."""
    return make_amazon_book(amazon_seller, orders=250, buyers=60, products=30)


@pytest.fixture
def flushed_redis():
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield client
    client.flushdb()


@pytest.mark.django_db(transaction=True)
def test_worker_runs_the_sync_and_sends_the_email(connected_tenant, flushed_redis, tmp_path):
    worker = start_worker(tmp_path, "w1")
    try:
        run = sync_run_start(
            tenant=connected_tenant.tenant,
            schedule="sync_amazon_record",
            trigger=SyncRun.Trigger.MANUAL,
        )
        send(run)
        wait_for(lambda: finished(run), timeout=120, what="the run to finish")
        assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
        assert_zoho_matches_book(connected_tenant)
        wait_for(lambda: any((tmp_path / "emails").glob("*.log")), timeout=30, what="the email")
        email = next((tmp_path / "emails").glob("*.log")).read_text()
        assert "Subject: Amazon sync: Sync Amazon Record completed" in email
    finally:
        stop(worker)


@pytest.mark.django_db(transaction=True)
def test_sigkill_mid_sync_loses_and_duplicates_nothing(connected_tenant, flushed_redis, tmp_path):
    # Slow every item call a little so the run spans several seconds and pages.
    connected_tenant.amazon.faults.inject(
        "slow", count=10_000, operation="ListOrderItems", delay=0.05
    )
    worker = start_worker(tmp_path, "w1")
    run = sync_run_start(
        tenant=connected_tenant.tenant,
        schedule="sync_amazon_record",
        trigger=SyncRun.Trigger.MANUAL,
    )
    try:
        send(run)

        # Past the first page's checkpoint, inside the second page.
        def second_page_under_way() -> bool:
            run.refresh_from_db()
            item_calls = connected_tenant.amazon.stats.calls.get("ListOrderItems", 0)
            return run.orders_fetched >= 100 and item_calls >= 110

        wait_for(second_page_under_way, timeout=90, what="the sync to be under way")
    finally:
        stop(worker, signal.SIGKILL)
    run.refresh_from_db()
    assert run.outcome == SyncRun.Outcome.RUNNING  # killed mid-run
    staged = StagedRecord.objects.filter(run=run, module="Sales_Orders").count()
    assert staged >= 100  # the first page was saved
    item_calls_before = connected_tenant.amazon.stats.calls["ListOrderItems"]

    connected_tenant.amazon.faults.clear()
    # The broker hands the unacknowledged message out again once CELERY_VISIBILITY_TIMEOUT
    # (3 s here) has passed; a worker starting after that restores it at once.
    time.sleep(4)
    restarted = start_worker(tmp_path, "w2")
    try:
        wait_for(lambda: finished(run), timeout=120, what="the redelivered run to finish")
    finally:
        stop(restarted)
    assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
    assert_zoho_matches_book(connected_tenant)
    book_orders = connected_tenant.amazon.book.orders(
        connected_tenant.tenant.amazon_credentials.seller_id
    )
    created = OrderEvent.objects.filter(tenant=connected_tenant.tenant, action="created")
    assert created.count() == len(book_orders)
    assert created.values("amazon_order_id").distinct().count() == len(book_orders)
    # Resumed, not restarted: the saved page's items were not fetched again.
    assert not StagedRecord.objects.filter(run=run).exists()
    items_total = connected_tenant.amazon.stats.calls["ListOrderItems"]
    # (+ the killed worker's item calls still in flight when we counted)
    assert items_total - item_calls_before <= len(book_orders) - staged + ITEM_FETCH_WORKERS


def _emails(tmp_path: Path) -> list[str]:
    return [p.read_text() for p in (tmp_path / "emails").glob("*.log")]


@pytest.mark.django_db(transaction=True)
def test_the_same_task_delivered_to_two_workers_runs_once(
    connected_tenant, flushed_redis, tmp_path
):
    """Celery may hand a still-running task to a second worker (the first one's broker
    connection dropped): the run must have exactly one live executor."""
    connected_tenant.amazon.faults.inject(
        "slow", count=10_000, operation="ListOrderItems", delay=0.02
    )
    workers = [start_worker(tmp_path, "w1"), start_worker(tmp_path, "w2")]
    run = sync_run_start(
        tenant=connected_tenant.tenant,
        schedule="sync_amazon_record",
        trigger=SyncRun.Trigger.MANUAL,
    )
    try:
        with app.connection_for_write(REDIS_URL) as conn:
            for _ in range(2):  # one task id, delivered twice
                app.send_task(
                    "crm_sync.tasks.execute_sync_run",
                    args=[run.pk],
                    task_id=f"duplicate-{run.pk}",
                    connection=conn,
                )
        wait_for(lambda: finished(run), timeout=180, what="the run to finish")
        wait_for(lambda: _emails(tmp_path), timeout=30, what="the email")
        time.sleep(2)  # a second copy, had it run, would have mailed by now
    finally:
        for worker in workers:
            stop(worker)
    assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
    book_orders = connected_tenant.amazon.book.orders(
        connected_tenant.tenant.amazon_credentials.seller_id
    )
    assert run.orders_created == len(book_orders)  # not twice
    assert len(_emails(tmp_path)) == 1
    assert_zoho_matches_book(connected_tenant)


@pytest.mark.django_db(transaction=True)
def test_a_killed_run_whose_message_is_gone_is_resumed_by_the_watchdog(
    connected_tenant, flushed_redis, tmp_path
):
    """On the embedded SQLite broker a killed worker's message never comes back: the
    watchdog (beat's recover-stale-runs, sent by hand here) resumes the run."""
    connected_tenant.amazon.faults.inject(
        "slow", count=10_000, operation="ListOrderItems", delay=0.05
    )
    worker = start_worker(tmp_path, "w1")
    run = sync_run_start(
        tenant=connected_tenant.tenant,
        schedule="sync_amazon_record",
        trigger=SyncRun.Trigger.MANUAL,
    )
    try:
        send(run)
        wait_for(
            lambda: run.refresh_from_db() or run.orders_fetched >= 100,
            timeout=90,
            what="the sync to be under way",
        )
    finally:
        stop(worker, signal.SIGKILL)
    flushed_redis.flushdb()  # the broker lost the unacknowledged message
    connected_tenant.amazon.faults.clear()
    time.sleep(4)  # past the 3 s lease
    restarted = start_worker(tmp_path, "w2")
    try:
        with app.connection_for_write(REDIS_URL) as conn:
            app.send_task("crm_sync.tasks.recover_stale_runs", connection=conn)
        wait_for(lambda: finished(run), timeout=120, what="the resumed run to finish")
    finally:
        stop(restarted)
    assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
    assert_zoho_matches_book(connected_tenant)
