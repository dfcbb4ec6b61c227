"""Live updates benchmark: ORDER_CHANGE notifications through moto's SQS to Zoho.

    python -m bench.live_updates --orders 1000 --events 3000
    python -m bench.live_updates --orders 1000 --events 3000 --time-scale 1   # Amazon's rate
    python -m bench.live_updates --orders 200 --events 400 --time-scale 10 --fetch-all

Amazon's getOrder quota is 0.5/s after a burst of 30; the stand-in and our pacer run it
``--time-scale`` times faster (default 1000: 500/s, so the quota is not the bottleneck;
``getorder_rate_per_s`` in the RESULT line says which rate a run had). ``--fetch-all``
switches off LIVE_UPDATES_STATUS_FROM_SUMMARY (one getOrder per changed order, coalesced),
which with a slow enough quota makes it the bottleneck: ``quota_floor_s`` is how long the
run's getOrder calls need at that rate after the burst, and latency grows with it.

A book of ``--orders`` orders is synced once (Sync Amazon Record); the tenant is subscribed;
then ``--events`` ORDER_CHANGE messages are produced at ``--rate`` changes per second on
random orders (each change flips an order between Unshipped and Shipped, a new
LastUpdateDate each time), the stand-in's publisher duplicating ``--duplicate`` and
holding back ``--reorder`` of them. One consumer (crm_sync.services.live_consumer, in a
thread of this process, as ``manage.py consume_order_changes`` runs it) writes them to the
Zoho stand-in.

Latency of a change: from the stand-in's change (wall clock) to the moment our checkpoint
records an Amazon LastUpdateDate at least as new for the order (polled every 50 ms; the
checkpoint commits right after the Zoho write). ``lost``: orders whose final state is not in
Zoho at the end; ``duplicates_in_zoho``: Sales Orders sharing an Amazon Order ID.
``throttled``: 429s Amazon answered. ``sqs_delay_p95_s``: change → its first message in
SQS (the stand-in's share of the latency: its ``--reorder`` holds 30 % back 0.5–1.5 s, as
Amazon may); ``from_sqs_p50_s``/``from_sqs_p95_s``: from there to our checkpoint (ours).
``process_cpu_s``: this process's CPU time from the first change on (consumer, stand-ins and
publisher share it, and its GIL: on a loaded machine the publisher's sends wait behind the
consumer, which is what ``sqs_delay_p95_s`` shows). Wall-clock numbers are noisy on a shared
machine. The last
line is ``RESULT key=value …``.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta

from bench.sync_e2e import ROOT, configure, install_tenant


def start_moto() -> tuple[subprocess.Popen, str]:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("moto server did not start")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--rate", type=float, default=60.0, help="changes per second")
    parser.add_argument("--duplicate", type=float, default=0.3)
    parser.add_argument("--reorder", type=float, default=0.3)
    parser.add_argument("--time-scale", type=float, default=1000.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--fetch-all",
        action="store_true",
        help="getOrder for every changed order (LIVE_UPDATES_STATUS_FROM_SUMMARY off)",
    )
    parser.add_argument(
        "--profile", metavar="FILE", help="cProfile the consumer thread (wall time) into FILE"
    )
    args = parser.parse_args()

    for key, value in {
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        os.environ.setdefault(key, value)
    moto, sqs_url = start_moto()
    from sandbox.amazon import AmazonStandIn, OrderBook
    from sandbox.zoho import ZohoStandIn
    from tests.fixtures.amazon import make_amazon_seller

    seller = make_amazon_seller()
    end = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
    book = OrderBook.generate(
        seed=args.seed,
        seller_id=seller.seller_id,
        marketplace_ids=seller.marketplace_ids,
        orders=args.orders,
        buyers=max(1, args.orders // 3),
        products=max(1, min(200, args.orders // 5)),
        start=end - timedelta(days=10),
        end=end,
    )
    amazon = AmazonStandIn(book=book, time_scale=args.time_scale, throttle=True).start()
    amazon.register_seller(seller)
    zoho = ZohoStandIn(daily_credits=10**9).start()
    zoho.register_client(
        "bench-client-id", "bench-client-secret", ["http://127.0.0.1/zoho/callback"]
    )
    org = zoho.create_org(dc="com", edition="ultimate", company_name="Bench", admin_email="admin@bench.example")  # fmt: skip
    info = {
        "amazon_url": amazon.url,
        "zoho_accounts_url": zoho.accounts_url,
        "seller": {
            "seller_id": seller.seller_id,
            "lwa_client_id": seller.lwa_client_id,
            "lwa_client_secret": seller.lwa_client_secret,
            "refresh_token": seller.refresh_token,
            "marketplace_ids": seller.marketplace_ids,
        },
    }
    workdir = tempfile.mkdtemp(prefix="bench-live-")
    os.environ.update(
        {
            "AMAZON_SQS_ENDPOINT_URL": sqs_url,
            "AMAZON_SQS_QUEUE_URL": "configured-below",
            "LIVE_UPDATES_WAIT_SECONDS": "1",
            "LIVE_UPDATES_GATHER_SECONDS": "0.2",
            "LIVE_UPDATES_STATUS_FROM_SUMMARY": "false" if args.fetch_all else "true",
        }
    )

    class Args:
        amazon = "spapi-2026"
        throttle = True
        time_scale = args.time_scale

    configure(info, workdir, Args)
    from django.conf import settings

    from crm_sync.models import AmazonOrderState
    from crm_sync.services import live_queue
    from crm_sync.services.live_consumer import LiveConsumer
    from crm_sync.services.live_subscription import live_updates_subscribe
    from crm_sync.services.runs import sync_run_start
    from crm_sync.tasks import execute_sync_run

    settings.AMAZON_SQS_QUEUE_URL, _ = live_queue.create_local_queue("bench-orders")
    tenant = install_tenant(info, "spapi-2026")
    run = sync_run_start(tenant=tenant, schedule="sync_amazon_record", trigger="manual")
    execute_sync_run.apply(args=[run.pk])
    publisher = amazon.spapi.notifications.publisher
    publisher.configure(
        sqs_endpoint=sqs_url, duplicate=args.duplicate, reorder=args.reorder, seed=args.seed
    )
    live = live_updates_subscribe(tenant_id=tenant.pk)
    assert live.subscription_id, live.last_error

    getorder_before = amazon.stats.calls.get("getOrder@2026-01-01", 0)
    throttled_before = amazon.stats.throttled
    writes_before = _zoho_writes(zoho)

    stop = threading.Event()
    consumer = LiveConsumer(name="bench", stop=stop)
    consumer_thread = threading.Thread(
        target=_profiled(consumer.run_forever, args.profile), daemon=True
    )
    consumer_thread.start()

    # Our checkpointed LastUpdateDate per order, with the first time it was seen.
    seen: dict[str, list[tuple[datetime, float]]] = {}

    def poll() -> None:
        from django.db import connection

        since = None  # only states recorded lately (2 s overlap: a checkpoint commits after)
        while not stop.is_set():
            now = time.time()
            states = AmazonOrderState.objects.all()
            if since is not None:
                states = states.filter(updated_at__gte=since - timedelta(seconds=2))
            since = datetime.now(UTC)
            for oid, lud in states.values_list("amazon_order_id", "last_update_date"):
                history = seen.setdefault(oid, [])
                if not history or history[-1][0] != lud:
                    history.append((lud, now))
            time.sleep(0.05)
        connection.close()

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()

    rng = random.Random(args.seed)
    ids = [o.amazon_order_id for o in book.orders(seller.seller_id)]
    changes: list[tuple[str, datetime]] = []
    clock = {oid: book.get(oid).last_update_date for oid in ids}
    started, cpu_started = time.monotonic(), time.process_time()
    produced = 0
    published_target = args.events
    while (
        publisher.snapshot()["counts"]["changes"] + publisher.snapshot()["counts"]["duplicated"]
        < published_target
    ):
        oid = rng.choice(ids)
        order = book.get(oid)
        clock[oid] = max(clock[oid], datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1)) + timedelta(seconds=1)  # fmt: skip
        status = "Shipped" if order.status != "Shipped" else "Unshipped"
        book.set_status(oid, status, at=clock[oid])
        changes.append((oid, clock[oid]))
        produced += 1
        delay = started + produced / args.rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    publisher.wait_idle(timeout=120)
    final = {oid: book.get(oid) for oid, _ in changes}
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if all(
            seen.get(oid) and seen[oid][-1][0] >= o.last_update_date for oid, o in final.items()
        ):
            break
        time.sleep(0.2)
    stop.set()
    consumer_thread.join(timeout=60)
    poller.join(timeout=5)

    latencies, sqs_delays, from_sqs = [], [], []
    for oid, at in changes:
        key = (oid, at.strftime("%Y-%m-%dT%H:%M:%SZ"))
        when = publisher.changed_at.get(key)
        hit = next((t for lud, t in seen.get(oid, []) if lud >= at), None)
        if when is not None and hit is not None:
            latencies.append(max(0.0, hit - when))
        if when is not None and key in publisher.published_at:
            sqs_delays.append(publisher.published_at[key] - when)
            if hit is not None:
                from_sqs.append(max(0.0, hit - publisher.published_at[key]))
    orders_in_zoho = _zoho_orders(zoho, org.org_id)
    status_field = _field(tenant, "Sales_Orders", "Amazon Order Status")
    id_field = _field(tenant, "Sales_Orders", "Amazon Order ID")
    by_id: dict[str, list[dict]] = {}
    for record in orders_in_zoho:
        by_id.setdefault(record[id_field], []).append(record)
    duplicates = sum(len(r) - 1 for r in by_id.values())
    lost = sum(
        1 for oid, o in final.items() if [r[status_field] for r in by_id.get(oid, [])] != [o.status]
    )
    counts = publisher.snapshot()["counts"]
    get_order_calls = amazon.stats.calls.get("getOrder@2026-01-01", 0) - getorder_before
    rate = 0.5 * args.time_scale  # getOrder: 0.5/s after a burst of 30 (amazon-2027.md)
    result = {
        "events": counts["published"],
        "changes": counts["changes"],
        "distinct_orders": len(final),
        "get_order_calls": get_order_calls,
        "zoho_writes": _zoho_writes(zoho) - writes_before,
        "latency_p50_s": round(statistics.median(latencies), 3) if latencies else -1,
        "latency_p95_s": round(_percentile(latencies, 95), 3) if latencies else -1,
        "latency_max_s": round(max(latencies), 3) if latencies else -1,
        "duplicates_in_zoho": duplicates,
        "lost": lost,
        "throttled": amazon.stats.throttled - throttled_before,
        "sqs_delay_p95_s": round(_percentile(sqs_delays, 95), 3) if sqs_delays else -1,
        "from_sqs_p50_s": round(statistics.median(from_sqs), 3) if from_sqs else -1,
        "from_sqs_p95_s": round(_percentile(from_sqs, 95), 3) if from_sqs else -1,
        "status_from_summary": not args.fetch_all,
        "time_scale": args.time_scale,
        "getorder_rate_per_s": rate,
        "quota_floor_s": round(max(0, get_order_calls - 30) / rate, 1),
        "process_cpu_s": round(time.process_time() - cpu_started, 1),
        "wall_s": round(time.monotonic() - started, 1),
    }
    print(f"changes produced {produced} at {args.rate}/s, messages published {counts['published']} "
          f"(duplicated {counts['duplicated']}, reordered {counts['reordered']})")  # fmt: skip
    amazon.stop()
    zoho.stop()
    moto.terminate()
    print("RESULT " + " ".join(f"{k}={v}" for k, v in result.items()))


def _profiled(target, path: str | None):
    """``target`` run under cProfile with a wall clock (where the consumer waits counts)."""
    if not path:
        return target

    def run() -> None:
        import cProfile

        profile = cProfile.Profile(time.perf_counter)
        try:
            profile.runcall(target)
        finally:
            profile.dump_stats(path)

    return run


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def _zoho_writes(zoho) -> int:
    return sum(
        count
        for key, count in zoho.stats.calls.items()
        if isinstance(key, tuple)
        and key[0] in ("POST", "PUT")
        and any(m in str(key[1]) for m in ("Sales_Orders", "Contacts", "Products"))
    )


def _zoho_orders(zoho, org_id: str) -> list[dict]:
    return zoho.records(org_id, "Sales_Orders")


def _field(tenant, module: str, label: str) -> str:
    from crm_sync.models import ZohoConnection

    return ZohoConnection.objects.get(tenant=tenant).field_api_names[module][label]


if __name__ == "__main__":
    main()
