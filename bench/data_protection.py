"""Data protection benchmark: does any buyer data survive its retention?

    python -m bench.data_protection --orders 2000

Runs the product against the stand-ins (in this process, on a fresh SQLite file, Orders
v2026 with every restricted role, so Amazon hands out every buyer email, name, street and
phone it can): Sync Amazon Record; every unshipped order ships; Update Order Status; time
moves past the retention (the job takes ``now``); the daily data-protection job runs. Then
it scans the database file (and its -wal), the Zoho stand-in's records, the log file and the
stored sent emails for every buyer name, email, street line and phone the Amazon stand-in
handed out (collected from the very orders it rendered).

The last line is ``RESULT key=value …``: ``pii_values_handed_out``, ``pii_left_in_db``,
``pii_left_in_zoho``, ``pii_left_in_logs``, ``pii_left_in_emails`` (targets: 0),
``zoho_writes`` of the job and ``zoho_floor`` = ⌈Sales Orders/100⌉ + ⌈Contacts/100⌉ of the
records it had to change, ``orders_redacted``, ``contacts_anonymised``, ``job_s``.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WRITE_ROUTES = ("upsert:", "insert:", "update:")
HANDED_OUT: set[str] = set()


def collect_handed_out() -> None:
    """Instrument the Amazon stand-in's v2026 renderer (answers pass through unchanged):
    every buyer value it puts into an answer is remembered."""
    from sandbox.amazon import orders_v2026

    original = orders_v2026.render_order

    def render(o, datasets, roles):
        out = original(o, datasets, roles)
        buyer = out.get("buyer") or {}
        address = (out.get("recipient") or {}).get("deliveryAddress") or {}
        for value in (
            buyer.get("buyerEmail"),
            buyer.get("buyerName"),
            address.get("name"),
            address.get("addressLine1"),
            address.get("addressLine2"),
            address.get("addressLine3"),
            address.get("phone"),
        ):
            if value:
                HANDED_OUT.add(value)
        return out

    orders_v2026.render_order = render


def start_standins(orders: int):
    from sandbox.amazon import AmazonStandIn, OrderBook
    from sandbox.amazon import roles as amazon_roles
    from sandbox.zoho import ZohoStandIn
    from tests.fixtures.amazon import make_amazon_seller

    seller = make_amazon_seller()
    end = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
    book = OrderBook.generate(
        seed=11,
        seller_id=seller.seller_id,
        marketplace_ids=seller.marketplace_ids,
        orders=orders,
        buyers=max(1, orders // 3),
        products=max(1, orders // 20),
        start=end - timedelta(days=20),
        end=end,
    )
    amazon = AmazonStandIn(book=book, throttle=False)  # quotas are sync_e2e's subject
    amazon.register_seller(seller)
    amazon.set_roles(seller.lwa_client_id, amazon_roles.RESTRICTED_ROLES)
    amazon.start()
    zoho = ZohoStandIn(daily_credits=10**9).start()
    zoho.register_client(
        "bench-client-id", "bench-client-secret", ["http://127.0.0.1/zoho/callback"]
    )
    org = zoho.create_org(
        dc="com", edition="ultimate", company_name="Bench Inc", admin_email="admin@bench.example"
    )
    info = {
        "amazon_url": amazon.url,
        "zoho_accounts_url": zoho.accounts_url,
        "seller": {
            "seller_id": seller.seller_id,
            "lwa_client_id": seller.lwa_client_id,
            "lwa_client_secret": seller.lwa_client_secret,
            "refresh_token": seller.refresh_token,
            "marketplace_ids": seller.marketplace_ids,
            "access_key": seller.access_key,
            "secret_key": seller.secret_key,
            "mws_auth_token": seller.mws_auth_token,
        },
    }
    return amazon, zoho, org, info


def zoho_writes(zoho) -> int:
    return sum(1 for call in zoho.stats.log if call["route"].startswith(WRITE_ROUTES))


def left_in(text: str, values: set[str]) -> int:
    return sum(1 for v in values if v in text)


def scan_files(paths: list[Path], values: set[str]) -> int:
    blob = b"".join(p.read_bytes() for p in paths if p.is_file())
    return sum(1 for v in values if v.encode() in blob)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=2000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as workdir:
        work = Path(workdir)
        amazon, zoho, org, info = start_standins(args.orders)
        collect_handed_out()
        from bench.sync_e2e import configure, install_tenant

        os.environ.update(
            {
                "EMAIL_FILE_PATH": str(work / "sent-emails"),
                "LOG_LEVEL": "INFO",
            }
        )
        configure(info, workdir, SimpleNamespace(amazon="spapi-2026", throttle=False, time_scale=1))
        from django.conf import settings

        settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
        settings.EMAIL_FILE_PATH = str(work / "sent-emails")
        log_path = work / "product.log"
        handler = logging.FileHandler(log_path, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        logging.getLogger().addHandler(handler)
        logging.getLogger().setLevel(logging.INFO)

        from django.utils import timezone

        from crm_sync.models.data_protection import BuyerDataHold
        from crm_sync.services.data_protection import data_protection_run
        from crm_sync.services.runs import sync_run_start
        from crm_sync.tasks import execute_sync_run
        from history.models import SyncRun

        tenant = install_tenant(info, "spapi-2026")

        def run(schedule: str) -> SyncRun:
            started = sync_run_start(tenant=tenant, schedule=schedule, trigger="manual")
            execute_sync_run.apply(args=[started.pk])
            return SyncRun.objects.get(pk=started.pk)

        first = run("sync_amazon_record")
        print(f"sync: {first.outcome} {first.orders_created} orders {first.error[:200]}")
        at = amazon.clock.now() - timedelta(minutes=5)
        book = amazon.book
        for o in book.orders(info["seller"]["seller_id"]):
            if o.status in {"Unshipped", "PartiallyShipped"}:
                book.set_status(o.amazon_order_id, "Shipped", at=at)
        update = run("update_order_status")
        print(f"update: {update.outcome} {update.orders_updated} orders {update.error[:200]}")

        held = BuyerDataHold.objects.filter(tenant=tenant, removed_at=None)
        print(f"orders holding buyer data: {held.count()}")
        # The same scans before the job, to show they find buyer data where it is.
        before = {
            "db": scan_files([work / "bench.sqlite3", work / "bench.sqlite3-wal"], set(HANDED_OUT)),
            "zoho": left_in(
                "".join(str(zoho.records(org.org_id, m)) for m in ("Contacts", "Sales_Orders")),
                set(HANDED_OUT),
            ),
        }
        print(f"before the job: {before['db']} values in the database, {before['zoho']} in Zoho")
        later = timezone.now() + timedelta(days=61)  # past every retention
        writes_before = zoho_writes(zoho)
        started = time.perf_counter()
        job = data_protection_run(tenant_id=tenant.pk, now=later)
        job_s = time.perf_counter() - started
        writes = zoho_writes(zoho) - writes_before
        floor = math.ceil(job.sales_orders_redacted / 100) + math.ceil(
            job.contacts_anonymised / 100
        )
        print(f"job: {job.outcome} {job.error[:300]}")
        print(
            f"job removed buyer data of {job.orders_redacted} orders: "
            f"{job.sales_orders_redacted} Sales Orders, {job.contacts_anonymised} Contacts, "
            f"{writes} Zoho writes (floor {floor}), {job_s:.2f} s"
        )
        from django.db import connections

        connections.close_all()
        handler.flush()

        values = {v for v in HANDED_OUT if len(v) >= 4}  # a 3-letter name matches anything
        short = len(HANDED_OUT) - len(values)
        db_files = [work / "bench.sqlite3", work / "bench.sqlite3-wal"]
        zoho_text = "".join(
            str(zoho.records(org.org_id, module)) for module in ("Contacts", "Sales_Orders")
        )
        emails = sorted((work / "sent-emails").glob("*")) if (work / "sent-emails").is_dir() else []
        result = {
            "orders": args.orders,
            "pii_values_handed_out": len(values),
            "pii_short_values_skipped": short,
            "pii_left_in_db": scan_files(db_files, values),
            "pii_left_in_zoho": left_in(zoho_text, values),
            "pii_left_in_logs": scan_files([log_path], values),
            "pii_left_in_emails": scan_files(emails, values),
            "emails_scanned": len(emails),
            "pii_in_db_before_job": before["db"],
            "pii_in_zoho_before_job": before["zoho"],
            "orders_redacted": job.orders_redacted,
            "contacts_anonymised": job.contacts_anonymised,
            "zoho_writes": writes,
            "zoho_floor": floor,
            "job_s": f"{job_s:.2f}",
        }
        amazon.stop()
        zoho.stop()
    print("RESULT " + " ".join(f"{key}={value}" for key, value in result.items()))


if __name__ == "__main__":
    main()
