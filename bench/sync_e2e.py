"""End-to-end sync benchmark on the stand-ins.

    python -m bench.sync_e2e --orders 10000 --buyers 2000 --products 500
    python -m bench.sync_e2e --orders 50000 --buyers 2000 --products 500   # memory check
    python -m bench.sync_e2e --orders 300 --throttle --time-scale 100     # quota pacing

Runs Sync Amazon Record twice against a fresh SQLite database and prints, for each run: wall
time, orders/s, peak memory of this process (the stand-ins run in a child process), Amazon
calls against the floor (⌈O/100⌉ list pages + O item calls; a re-run: one list call) and
Zoho writes against the floor (⌈P/100⌉ + ⌈C/100⌉ + ⌈O/100⌉; a re-run: zero).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import requests

ROOT = Path(__file__).resolve().parents[1]
TRACE_MEMORY = False


def start_standins(args) -> tuple[subprocess.Popen, dict]:
    cmd = [
        sys.executable,
        "-m",
        "bench.standins",
        "--orders",
        str(args.orders),
        "--buyers",
        str(args.buyers),
        "--products",
        str(args.products),
        "--time-scale",
        str(args.time_scale),
    ]
    if args.throttle:
        cmd.append("--throttle")
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if not line:
        raise SystemExit("the stand-ins did not start")
    return proc, json.loads(line)


def configure(info: dict, workdir: str, args) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "VAR_DIR": workdir,
            "DATABASE_URL": f"sqlite:///{workdir}/bench.sqlite3",
            "AMAZON_MWS_ENDPOINT_OVERRIDE": info["amazon_url"],
            # Throttling off: the stand-in has no quotas, so the client's pacing must not wait
            # either. Throttling on: both run Amazon's quotas at the same time scale.
            "AMAZON_QUOTA_TIME_SCALE": str(args.time_scale if args.throttle else 1e6),
            "ZOHO_ACCOUNTS_URL": info["zoho_accounts_url"],
            "ZOHO_CLIENT_ID": "bench-client-id",
            "ZOHO_CLIENT_SECRET": "bench-client-secret",
            "ZOHO_REDIRECT_URI": "http://127.0.0.1/zoho/callback",
            "CELERY_TASK_ALWAYS_EAGER": "true",
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
            "DEBUG": "false",  # DEBUG keeps every SQL query in memory
        }
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def install_tenant(info: dict):
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.backends.db import SessionStore

    from amazon_ext.services.credentials import credentials_save
    from crm_sync.zoho.services import connect_finish, connect_start
    from installation.services.install import tenant_install
    from tenants.services import tenant_create

    admin = get_user_model().objects.create_user("bench", "admin@bench.example", "x" * 12)
    tenant = tenant_create(name="Bench", time_zone="UTC", admin_user=admin)
    tenant_install(tenant=tenant, user=admin, install_scope="admins")
    seller = info["seller"]
    form = {k: seller[k] for k in ("seller_id", "access_key", "secret_key", "mws_auth_token")}
    form.update({f"marketplace_id_{i}": m for i, m in enumerate(seller["marketplace_ids"], 1)})
    credentials_save(tenant=tenant, data=form)
    session = SessionStore()
    url = connect_start(tenant=tenant, user=admin, session=session)
    parts = urlsplit(url)
    form = dict(parse_qsl(parts.query))
    form.update({"user_email": "admin@bench.example", "approve": "1"})
    resp = requests.post(
        f"{parts.scheme}://{parts.netloc}{parts.path}", data=form, allow_redirects=False, timeout=30
    )
    params = dict(parse_qsl(urlsplit(resp.headers["Location"]).query))
    connect_finish(user=admin, session=session, params=params)
    return tenant


def one_run(tenant, label: str, floors: dict) -> dict:
    from crm_sync.services.runs import sync_run_start
    from crm_sync.tasks import execute_sync_run
    from history.models import SyncRun

    if TRACE_MEMORY:
        tracemalloc.start()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    run = sync_run_start(tenant=tenant, schedule="sync_amazon_record", trigger="manual")
    execute_sync_run.apply(args=[run.pk])
    wall = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if TRACE_MEMORY else 0
    tracemalloc.stop()
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    run = SyncRun.objects.get(pk=run.pk)
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    amazon = run.api_calls.get("amazon", {})
    list_calls = amazon.get("ListOrders", 0) + amazon.get("ListOrdersByNextToken", 0)
    item_calls = amazon.get("ListOrderItems", 0) + amazon.get("ListOrderItemsByNextToken", 0)
    zoho_writes = run.api_calls.get("zoho_writes", 0)
    print(f"--- {label}: outcome {run.outcome} {run.error[:200]}")
    print(f"wall time            {wall:10.2f} s")
    print(
        f"orders fetched       {run.orders_fetched:10d}   created {run.orders_created}, "
        f"products {run.products_created}, contacts {run.contacts_created}"
    )
    print(f"orders/s             {run.orders_fetched / wall:10.1f}")
    print(f"CPU (this process)   {cpu.ru_utime + cpu.ru_stime:10.1f} s   since start")
    if TRACE_MEMORY:
        print(f"peak traced memory   {peak / 2**20:10.1f} MiB   (Python allocations)")
    print(
        f"peak RSS             {rss_after / 1024:10.0f} MiB   "
        f"(grew {(rss_after - rss_before) / 1024:.0f} MiB during the run)"
    )
    print(f"Amazon list calls    {list_calls:10d}   floor {floors['list']}")
    print(
        f"Amazon item calls    {item_calls:10d}   floor {floors['items']} "
        f"(ByNextToken pages: {amazon.get('ListOrderItemsByNextToken', 0)})"
    )
    print(f"Amazon throttled     {run.api_calls.get('amazon_throttled', 0):10d}")
    print(f"Zoho writes          {zoho_writes:10d}   floor {floors['zoho']}")
    print(f"Zoho calls by route  {json.dumps(run.api_calls.get('zoho', {}), sort_keys=True)}")
    return {"wall": wall, "peak": peak, "run": run}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--buyers", type=int, default=2_000)
    parser.add_argument("--products", type=int, default=500)
    parser.add_argument("--throttle", action="store_true")
    parser.add_argument("--time-scale", type=float, default=1.0)
    parser.add_argument(
        "--trace-memory",
        action="store_true",
        help="also trace Python allocations (slows the run about 2x)",
    )
    args = parser.parse_args()
    global TRACE_MEMORY
    TRACE_MEMORY = args.trace_memory

    proc, info = start_standins(args)
    try:
        with tempfile.TemporaryDirectory() as workdir:
            configure(info, workdir, args)
            tenant = install_tenant(info)
            orders = info["orders"]
            from crm_sync.mapping import WITHHELD_BUYER_KEY  # noqa: F401 - import check

            stats = requests.get(f"{info['amazon_url']}/_sandbox/orders", timeout=60).json()
            book = stats if isinstance(stats, list) else stats.get("orders", [])
            asins = {i["asin"] for o in book for i in o.get("items", [])}
            buyers = {
                (o.get("buyer_email") or "withheld").lower()
                if o.get("status") not in ("Pending", "PendingAvailability")
                else "withheld"
                for o in book
            }
            floors = {
                "list": math.ceil(orders / 100),
                "items": orders,
                "zoho": math.ceil(len(asins) / 100)
                + math.ceil(len(buyers) / 100)
                + math.ceil(orders / 100),
            }
            print(
                f"book: {orders} orders, {len(asins)} products, {len(buyers)} buyers; "
                f"throttle={'on' if args.throttle else 'off'} time-scale={args.time_scale}"
            )
            one_run(tenant, "first run", floors)
            one_run(tenant, "second run (nothing new)", {"list": 1, "items": 0, "zoho": 0})
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        child = resource.getrusage(resource.RUSAGE_CHILDREN)
        print(f"CPU (stand-ins)      {child.ru_utime + child.ru_stime:10.1f} s   whole life")


if __name__ == "__main__":
    main()
