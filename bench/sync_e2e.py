"""End-to-end sync benchmark on the stand-ins.

    python -m bench.sync_e2e --orders 10000 --buyers 2000 --products 500
    python -m bench.sync_e2e --orders 50000 --buyers 2000 --products 500   # memory check
    python -m bench.sync_e2e --orders 300 --throttle --time-scale 100     # quota pacing
    python -m bench.sync_e2e --amazon spapi-2026 --throttle --time-scale 100   # Orders v2026

``--amazon`` picks the tenant's connection: ``mws`` (default), ``spapi-v0`` (SP-API pinned to
Orders v0) or ``spapi-2026`` (SP-API, Orders v2026-01-01: the product's default).

Runs Sync Amazon Record twice against a fresh SQLite database; the stand-ins run in a child
process, so this process is the product alone. Prints per run: wall time, orders/s, the
product's CPU (``product_cpu_ms_per_order``: user + system CPU of this process over the first
run, all its threads), peak RSS, Amazon calls and Zoho writes against their floors (see
bench/README.md). ``--profile FILE`` cProfiles the first run. The last line is ``RESULT``.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import math
import os
import pstats
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import requests

from bench._sync_measure import ITEM_OPS, LIST_OPS, SPAN, quota_floor_seconds, warm_like_a_worker

ROOT = Path(__file__).resolve().parents[1]
TRACE_MEMORY = False
MODES = ("mws", "spapi-v0", "spapi-2026")


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
    if args.dump_zoho:
        cmd += ["--dump-zoho", os.path.abspath(args.dump_zoho)]
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
            "AMAZON_SPAPI_ENDPOINT_OVERRIDE": info["amazon_url"],
            "AMAZON_LWA_TOKEN_URL": f"{info['amazon_url']}/auth/o2/token",
            "AMAZON_SPAPI_ORDERS_API": "v0" if args.amazon == "spapi-v0" else "2026-01-01",
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
    warm_like_a_worker()


def install_tenant(info: dict, mode: str):
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
    if mode == "mws":
        form = {k: seller[k] for k in ("seller_id", "access_key", "secret_key", "mws_auth_token")}
    else:
        form = {
            "seller_id": seller["seller_id"],
            "lwa_client_id": seller["lwa_client_id"],
            "lwa_client_secret": seller["lwa_client_secret"],
            "lwa_refresh_token": seller["refresh_token"],
        }
    form.update({f"marketplace_id_{i}": m for i, m in enumerate(seller["marketplace_ids"], 1)})
    credentials_save(tenant=tenant, data=form, kind="mws" if mode == "mws" else "spapi")
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


def _cpu_seconds() -> float:
    """User + system CPU of this process (all its threads): the product, since the task runs
    eagerly here and the stand-ins live in a child process."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def one_run(
    tenant, label: str, floors: dict, time_scale: float, profile: str | None = None
) -> dict:
    from crm_sync.services.runs import sync_run_start
    from crm_sync.tasks import execute_sync_run
    from history.models import SyncRun

    if TRACE_MEMORY:
        tracemalloc.start()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    SPAN.reset()
    profiler = cProfile.Profile() if profile else None
    cpu_before = _cpu_seconds()
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    run = sync_run_start(tenant=tenant, schedule="sync_amazon_record", trigger="manual")
    execute_sync_run.apply(args=[run.pk])
    if profiler:
        profiler.disable()
    wall = time.perf_counter() - started
    cpu_s = _cpu_seconds() - cpu_before
    if profiler:
        profiler.dump_stats(profile)
        pstats.Stats(profile).sort_stats("tottime").print_stats(25)
    peak = tracemalloc.get_traced_memory()[1] if TRACE_MEMORY else 0
    tracemalloc.stop()
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    run = SyncRun.objects.get(pk=run.pk)
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    amazon = run.api_calls.get("amazon", {})
    list_calls = sum(amazon.get(op, 0) for op in LIST_OPS)
    item_calls = sum(amazon.get(op, 0) for op in ITEM_OPS)
    zoho_writes = run.api_calls.get("zoho_writes", 0)
    amazon_s = SPAN.seconds()
    floor_s = quota_floor_seconds(amazon, time_scale)
    print(f"--- {label}: outcome {run.outcome} {run.error[:200]}")
    print(f"wall time            {wall:10.2f} s")
    print(
        f"orders fetched       {run.orders_fetched:10d}   created {run.orders_created}, "
        f"products {run.products_created}, contacts {run.contacts_created}"
    )
    print(f"orders/s             {run.orders_fetched / wall:10.1f}")
    print(
        f"CPU (product)        {cpu_s:10.2f} s   this run, "
        f"{1000 * cpu_s / max(run.orders_fetched, 1):.3f} ms per order"
    )
    print(f"CPU (this process)   {cpu.ru_utime + cpu.ru_stime:10.1f} s   since start")
    if TRACE_MEMORY:
        print(f"peak traced memory   {peak / 2**20:10.1f} MiB   (Python allocations)")
    print(
        f"peak RSS             {rss_after / 1024:10.0f} MiB   "
        f"(grew {(rss_after - rss_before) / 1024:.0f} MiB during the run)"
    )
    print(f"Amazon list calls    {list_calls:10d}   floor {floors['list']}")
    print(f"Amazon item calls    {item_calls:10d}   floor {floors['items']}")
    print(f"Amazon calls         {json.dumps(amazon, sort_keys=True)}")
    print(f"Amazon throttled     {run.api_calls.get('amazon_throttled', 0):10d}")
    print(f"Amazon time          {amazon_s:10.2f} s   quota floor {floor_s:.2f} s")
    print(f"Zoho writes          {zoho_writes:10d}   floor {floors['zoho']}")
    print(f"Zoho calls by route  {json.dumps(run.api_calls.get('zoho', {}), sort_keys=True)}")
    for note in run.notes or []:
        print(f"note: {note}")
    return {
        "wall": wall,
        "peak": peak,
        "run": run,
        "list_calls": list_calls,
        "item_calls": item_calls,
        "zoho_writes": zoho_writes,
        "amazon_s": amazon_s,
        "floor_s": floor_s,
        "rss_mb": rss_after / 1024,
        "cpu_s": cpu_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--buyers", type=int, default=2_000)
    parser.add_argument("--products", type=int, default=500)
    parser.add_argument("--throttle", action="store_true")
    parser.add_argument("--time-scale", type=float, default=1.0)
    parser.add_argument("--amazon", choices=MODES, default="mws", help="the tenant's connection")
    parser.add_argument(
        "--trace-memory",
        action="store_true",
        help="also trace Python allocations (slows the run about 2x)",
    )
    parser.add_argument(
        "--profile",
        metavar="FILE",
        help="cProfile the first run into FILE (pstats; slows the run) and print its top",
    )
    parser.add_argument(
        "--dump-zoho",
        metavar="FILE",
        help="write Zoho's records (canonical, sorted) to FILE at the end, to diff two trees",
    )
    args = parser.parse_args()
    global TRACE_MEMORY
    TRACE_MEMORY = args.trace_memory

    proc, info = start_standins(args)
    try:
        with tempfile.TemporaryDirectory() as workdir:
            configure(info, workdir, args)
            SPAN.install()
            tenant = install_tenant(info, args.amazon)
            orders = info["orders"]
            # Counted by the stand-ins' process: the product's process never holds the book.
            asins = info["counts"]["asins"]
            buyers = info["counts"]["buyer_keys"][args.amazon]
            floors = {
                "list": math.ceil(orders / 100),
                "items": 0 if args.amazon == "spapi-2026" else orders,
                "zoho": math.ceil(asins / 100) + math.ceil(buyers / 100) + math.ceil(orders / 100),
            }
            print(
                f"book: {orders} orders, {asins} products, {buyers} buyer keys; "
                f"amazon={args.amazon} throttle={'on' if args.throttle else 'off'} "
                f"time-scale={args.time_scale}"
            )
            scale = args.time_scale if args.throttle else 1e6
            first = one_run(tenant, "first run", floors, scale, profile=args.profile)
            rerun = one_run(
                tenant, "second run (nothing new)", {"list": 1, "items": 0, "zoho": 0}, scale
            )
            run = first["run"]
            amazon_s = first["amazon_s"]
            result = {
                "amazon": args.amazon,
                "orders": run.orders_fetched,
                "orders_per_s": f"{run.orders_fetched / first['wall']:.1f}",
                "amazon_list_calls": first["list_calls"],
                "amazon_item_calls": first["item_calls"],
                "throttled": run.api_calls.get("amazon_throttled", 0),
                "quota_floor_s": f"{first['floor_s']:.2f}",
                "amazon_s": f"{amazon_s:.2f}",
                "quota_ratio": f"{first['floor_s'] / amazon_s:.3f}" if amazon_s else "0",
                "zoho_writes": first["zoho_writes"],
                "zoho_floor": floors["zoho"],
                "rerun_zoho_writes": rerun["zoho_writes"],
                "product_cpu_s": f"{first['cpu_s']:.2f}",
                "product_cpu_ms_per_order": (
                    f"{1000 * first['cpu_s'] / run.orders_fetched:.3f}"
                    if run.orders_fetched
                    else "0"
                ),
                "peak_rss_mb": f"{max(first['rss_mb'], rerun['rss_mb']):.0f}",
                "throttle": "on" if args.throttle else "off",
                "time_scale": f"{args.time_scale:g}",
            }
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        child = resource.getrusage(resource.RUSAGE_CHILDREN)
        print(f"CPU (stand-ins)      {child.ru_utime + child.ru_stime:10.1f} s   whole life")
    print("RESULT " + " ".join(f"{key}={value}" for key, value in result.items()))


if __name__ == "__main__":
    main()
