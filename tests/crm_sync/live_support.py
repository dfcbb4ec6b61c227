"""What the live-updates tests share: moto's SQS server on loopback, a fresh queue with its
dead-letter queue per test, an SP-API tenant subscribed to ORDER_CHANGE, and a consumer
either in this process or as its own process (``manage.py consume_order_changes``)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache

from amazon_ext.services.credentials import credentials_save
from crm_sync.services import live_queue
from installation.services.install import tenant_install
from tests.factories import MembershipFactory, TenantFactory, UserFactory
from tests.fixtures.sync import Connected, connect_tenant, seller_form

ROOT = Path(__file__).resolve().parents[2]
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def moto_sqs():
    """moto in server mode, as scripts/demo starts it: the real SQS wire protocol."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **AWS_ENV},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        raise RuntimeError("moto server did not start")
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def live_queue_settings(settings, monkeypatch, moto_sqs, amazon_standin):
    """A fresh queue + dead-letter queue on moto; the stand-in publishes into it."""
    for key, value in AWS_ENV.items():
        monkeypatch.setenv(key, value)
    settings.AMAZON_SQS_ENDPOINT_URL = moto_sqs
    settings.AMAZON_SQS_REGION = "us-east-1"
    settings.AMAZON_SQS_QUEUE_ARN = ""
    settings.LIVE_UPDATES_MAX_RECEIVES = 3
    settings.LIVE_UPDATES_RETRY_SECONDS = 1
    settings.LIVE_UPDATES_WAIT_SECONDS = 1
    settings.LIVE_UPDATES_GATHER_SECONDS = 0.3
    settings.AMAZON_SQS_QUEUE_URL = "pending"
    url, dlq = live_queue.create_local_queue(f"orders-{uuid.uuid4().hex[:8]}", visibility_seconds=4)
    settings.AMAZON_SQS_QUEUE_URL = url
    settings.AMAZON_SQS_DLQ_URL = dlq
    amazon_standin.spapi.notifications.publisher.configure(sqs_endpoint=moto_sqs, seed=7)
    return settings


def consumer_env(tmp_path: Path) -> dict[str, str]:
    from tests.crm_sync.test_worker import worker_env

    env = worker_env(tmp_path)
    env.pop("CELERY_BROKER_URL", None)
    env.pop("REDIS_URL", None)
    env.update(AWS_ENV)
    env.update(
        {
            "CELERY_BROKER_URL": f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}",
            "AMAZON_SQS_ENDPOINT_URL": settings.AMAZON_SQS_ENDPOINT_URL,
            "AMAZON_SQS_QUEUE_URL": settings.AMAZON_SQS_QUEUE_URL,
            "AMAZON_SQS_DLQ_URL": settings.AMAZON_SQS_DLQ_URL,
            "LIVE_UPDATES_MAX_RECEIVES": str(settings.LIVE_UPDATES_MAX_RECEIVES),
            "LIVE_UPDATES_RETRY_SECONDS": str(settings.LIVE_UPDATES_RETRY_SECONDS),
            "LIVE_UPDATES_WAIT_SECONDS": str(settings.LIVE_UPDATES_WAIT_SECONDS),
            "LIVE_UPDATES_GATHER_SECONDS": str(settings.LIVE_UPDATES_GATHER_SECONDS),
            "AMAZON_SPAPI_ORDERS_API": settings.AMAZON_SPAPI_ORDERS_API,
        }
    )
    return env


def start_consumer(tmp_path: Path, name: str) -> subprocess.Popen:
    log = open(tmp_path / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        [sys.executable, "manage.py", "consume_order_changes"],
        cwd=ROOT,
        env=consumer_env(tmp_path),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(process: subprocess.Popen, sig: int | None = None) -> None:
    import signal

    if process.poll() is None:
        os.killpg(process.pid, sig or signal.SIGTERM)
        process.wait(timeout=30)


def wait_for(predicate, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def later(order, seconds: int):
    """A change time after the order's last one (the stand-in keeps whole seconds)."""
    return order.last_update_date + timedelta(seconds=seconds)


def zoho_orders(connected) -> dict[str, list[dict]]:
    """Zoho Sales Orders by Amazon Order ID (a list: duplicates would show)."""
    from tests.crm_sync.test_sync_flow import field

    id_field = field(connected, "Sales_Orders", "Amazon Order ID")
    found: dict[str, list[dict]] = {}
    for record in connected.zoho_records("Sales_Orders"):
        found.setdefault(record[id_field], []).append(record)
    return found


def status_field(connected) -> str:
    from tests.crm_sync.test_sync_flow import field

    return field(connected, "Sales_Orders", "Amazon Order Status")


@pytest.fixture
def spapi_tenant(db, wired_settings, amazon_standin, amazon_seller, zoho_standin) -> Connected:
    """An installed tenant connected through SP-API (the stand-in's seller) and Zoho."""
    cache.clear()
    org = zoho_standin.create_org(
        dc="com",
        edition="enterprise",
        company_name="Acme Inc",
        admin_email="admin@acme.example",
        admin_name="Alice Admin",
    )
    tenant = TenantFactory(name="Acme Outdoor", time_zone="America/Los_Angeles", installed_at=None)
    admin = UserFactory(username="acme-admin", email="admin@acme.example")
    MembershipFactory(tenant=tenant, user=admin, profile="Administrator")
    tenant_install(tenant=tenant, user=admin, install_scope="admins")
    credentials_save(tenant=tenant, data=seller_form(amazon_seller, "spapi"), kind="spapi")
    connect_tenant(
        tenant=tenant, admin=admin, zoho_standin=zoho_standin, admin_email="admin@acme.example"
    )
    tenant.refresh_from_db()
    return Connected(
        tenant=tenant, admin=admin, amazon=amazon_standin, zoho=zoho_standin, zoho_org=org
    )
