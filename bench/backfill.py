"""Backfill benchmark: two years of orders through Amazon's order reports, on the stand-ins
with throttling on and time scaled.

    python -m bench.backfill --orders 50000 --days 730                 # the issue's target
    python -m bench.backfill --orders 5000 --days 730                  # memory reference

An SP-API tenant (Orders v2026) of one marketplace is set up against a fresh SQLite
database; a backfill over ``--days`` is created and started (one run, trigger Backfill), and
the run is measured: reports (one per ≤30 days), report calls (createReport + getReport +
getReportDocument), per-order calls (getOrder: the backfill makes none for orders outside the
buyer-data window), Amazon time (first Amazon request to the end of the last), the quota
floor, Zoho writes against ⌈P/100⌉ + ⌈C/100⌉ + ⌈O/100⌉, duplicates in Zoho (Sales Orders
sharing an Amazon Order ID), peak RSS of this process when the run ends (the stand-ins run
in children; the bench loads the order book and Zoho's records to check the result only
after reading it), throttled Amazon answers (429s: the pacer must cause none), and the
speed-up against the same range through the Orders v2026 listing, from that listing's quota
floor (⌈O/100⌉ searchOrders pages at 0.0056/s after a burst of 20).

``quota_floor_s``: createReport allows 15 reports at once, then one every 60 s (0.0167/s;
getReportDocument has the same plan and overlaps), and Amazon needs the stand-in's processing
time for the last report: ((reports − 15) / 0.0167 + processing) / time scale. ``quota_ratio``
= quota_floor_s / amazon_s (1.0: as fast as Amazon allows). The last line is ``RESULT …``.
"""

from __future__ import annotations

import argparse
import math
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from datetime import timedelta

import requests

from bench.sync_e2e import ROOT, SPAN, configure, install_tenant

CREATE_REPORT_RATE, CREATE_REPORT_BURST = 0.0167, 15
SEARCH_ORDERS_RATE, SEARCH_ORDERS_BURST = 0.0056, 20
REPORT_OPS = ("createReport", "getReport", "getReportDocument")
PER_ORDER_OPS = ("getOrder@2026-01-01", "getOrder", "getOrderItems")


def _standins(*extra: str) -> tuple[subprocess.Popen, dict]:
    import json

    cmd = [sys.executable, "-m", "bench.standins", *extra]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if not line:
        raise SystemExit("the stand-ins did not start")
    return proc, json.loads(line)


def start_standins(args) -> tuple[list[subprocess.Popen], dict]:
    """Amazon's stand-in and Zoho's in two processes: one process serving both would make
    Amazon's answers wait for Zoho's work (one interpreter lock), and Amazon's time would
    measure Zoho."""
    amazon, info = _standins(
        "--orders", str(args.orders), "--buyers", str(args.buyers),
        "--products", str(args.products), "--time-scale", str(args.time_scale),
        "--days", str(args.days), "--marketplaces", "1", "--throttle",
    )  # fmt: skip
    zoho, zoho_info = _standins("--orders", "1", "--buyers", "1", "--products", "1")
    info.update({k: zoho_info[k] for k in ("zoho_accounts_url", "zoho_api_url", "org_id")})
    return [amazon, zoho], info


def zoho_records(info: dict, module: str) -> list[dict]:
    url = f"{info['zoho_api_url']}/_sandbox/orgs/{info['org_id']}/records/{module}"
    data = requests.get(url, timeout=120).json()
    return data if isinstance(data, list) else data.get("records", data.get("data", []))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=50_000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--buyers", type=int, default=2_000)
    parser.add_argument("--products", type=int, default=500)
    parser.add_argument("--time-scale", type=float, default=100.0)
    parser.add_argument(
        "--trace-memory",
        action="store_true",
        help="tracemalloc during the run: its peak (traced_peak_mb) and the top allocation sites",
    )
    args = parser.parse_args()
    args.amazon, args.throttle = "spapi-2026", True

    procs, info = start_standins(args)
    try:
        with tempfile.TemporaryDirectory() as workdir:
            configure(info, workdir, args)
            SPAN.install()
            result = run(info, args)
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=60)
    print("RESULT " + " ".join(f"{k}={v}" for k, v in result.items()))


def run(info: dict, args) -> dict:
    from django.utils import timezone

    from crm_sync.models import Backfill
    from crm_sync.services.backfill import backfill_create, backfill_start
    from history.models import SyncRun

    tenant = install_tenant(info, "spapi-2026")
    marketplace = info["seller"]["marketplace_ids"][0]
    end = timezone.now()
    backfill = backfill_create(
        tenant=tenant,
        user=None,
        start=end - timedelta(days=args.days, hours=1),
        end=end,
        marketplace_ids=[marketplace],
    )
    reports = backfill.chunks.count()
    SPAN.reset()
    if args.trace_memory:
        tracemalloc.start(1)
    started = time.perf_counter()
    run = backfill_start(backfill=backfill, user=None)  # executed on commit (eager)
    wall = time.perf_counter() - started
    traced = _traced(args)
    # The product's peak: read before the bench loads the order book and Zoho's records to
    # check the result (50,000 orders as JSON would be most of it).
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    run = SyncRun.objects.get(pk=run.pk)
    backfill = Backfill.objects.get(pk=backfill.pk)
    book = requests.get(f"{info['amazon_url']}/_sandbox/orders", timeout=300).json()
    asins = {i["asin"] for o in book for i in o["items"]}
    print(f"book: {len(book)} orders, {len(asins)} products; {reports} reports; "
          f"time scale {args.time_scale:g}")  # fmt: skip
    amazon = run.api_calls.get("amazon", {})
    names = tenant.zoho_connection.field_api_names
    order_ids = [r.get(names["Sales_Orders"]["Amazon Order ID"]) for r in
                 zoho_records(info, "Sales_Orders")]  # fmt: skip
    duplicates = sum(n - 1 for n in Counter(order_ids).values() if n > 1)
    contacts = len(zoho_records(info, "Contacts"))
    orders = run.orders_created
    zoho_floor = math.ceil(len(asins) / 100) + math.ceil(contacts / 100) + math.ceil(orders / 100)
    amazon_s = SPAN.seconds()
    processing = 90.0  # the stand-in's default report processing time (Amazon seconds)
    floor_s = max(0, reports - CREATE_REPORT_BURST) / CREATE_REPORT_RATE + processing
    floor_s /= args.time_scale
    pages = math.ceil(len(book) / 100)
    listing_s = max(0, pages - SEARCH_ORDERS_BURST) / SEARCH_ORDERS_RATE / args.time_scale
    print(f"outcome {run.outcome} {run.error[:300]}; backfill {backfill.status}")
    print(f"wall {wall:.1f} s, Amazon calls {amazon}")
    print(f"Zoho calls by route {run.api_calls.get('zoho', {})}")
    return {
        "orders": orders,
        "book_orders": len(book),
        "missing": len(book) - len(set(order_ids)),
        "reports": reports,
        "report_calls": sum(amazon.get(op, 0) for op in REPORT_OPS),
        "per_order_calls": sum(amazon.get(op, 0) for op in PER_ORDER_OPS),
        "amazon_s": f"{amazon_s:.2f}",
        "quota_floor_s": f"{floor_s:.2f}",
        "quota_ratio": f"{floor_s / amazon_s:.3f}" if amazon_s else "0",
        "wall_s": f"{wall:.2f}",
        "throttled": run.api_calls.get("amazon_throttled", 0),
        "zoho_writes": run.api_calls.get("zoho_writes", 0),
        "zoho_floor": zoho_floor,
        "duplicates": duplicates,
        "peak_rss_mb": f"{rss_mb:.0f}",
        "listing_floor_s": f"{listing_s:.1f}",
        "speedup_vs_orders_api": f"{listing_s / amazon_s:.1f}" if amazon_s else "0",
        "time_scale": f"{args.time_scale:g}",
        **traced,
    }


def _traced(args) -> dict:
    """The run's Python allocations (tracemalloc): peak, what is still held, top sites."""
    if not args.trace_memory:
        return {}
    current, peak = tracemalloc.get_traced_memory()
    top = tracemalloc.take_snapshot().statistics("lineno")[:8]
    tracemalloc.stop()
    for stat in top:
        frame = stat.traceback[-1]
        print(f"held {stat.size / 2**20:.1f} MiB in {stat.count} blocks: {frame}")
    return {"traced_peak_mb": f"{peak / 2**20:.1f}", "traced_held_mb": f"{current / 2**20:.1f}"}


if __name__ == "__main__":
    main()
