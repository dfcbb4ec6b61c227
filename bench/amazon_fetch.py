"""Fetch N orders with their items from the MWS stand-in through MwsClient.

    python -m bench.amazon_fetch --orders 10000
    python -m bench.amazon_fetch --orders 10000 --throttle --time-scale 1000
    python -m bench.amazon_fetch --orders 2000 --check-memory     # runs N and 5N, compares

The stand-in (sandbox/amazon) runs in this process on a threaded loopback server with a
generated book. The client walks ListOrders pages and fetches each page's items with
``list_order_items_many``, keeping one page in memory. Printed: orders/s, calls per operation
against the floor (⌈O/100⌉ list pages + O item calls), throttled responses, retries and peak
memory: the process maxrss before and after the fetch (the in-process book is part of it, so
the "before" figure grows with N) and, with ``--tracemalloc`` (slower; ``--check-memory``
turns it on), the traced peak *during the fetch* only: client plus the server's per-request
work, which must stay flat as N grows.

Without ``--throttle`` the stand-in does not throttle and the client's pacing runs at
``--time-scale`` × 1000, so the numbers show the client's own speed. With ``--throttle`` both
use ``--time-scale`` and the Amazon quota rules apply. No database is used.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from collections import Counter

FLOOR_NOTE = "floor = ⌈O/100⌉ list pages + O ListOrderItems calls"


def _maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()


def run(args: argparse.Namespace) -> dict:
    _setup_django()
    from datetime import UTC, datetime

    from amazon_ext.amazon.mws.client import MwsClient
    from amazon_ext.amazon.pacing import LocalQuotaPacer, PacingPolicy, RedisQuotaPacer
    from tests.fixtures.amazon import make_amazon_book, make_amazon_seller, start_amazon_standin

    seller = make_amazon_seller()
    book_started = time.monotonic()
    book = make_amazon_book(
        seller, orders=args.orders, buyers=max(1, args.orders // 5), products=200, days=30
    )
    book_seconds = time.monotonic() - book_started
    standin = start_amazon_standin(
        seller=seller, book=book, time_scale=args.time_scale, throttle=args.throttle
    )
    client_scale = args.time_scale if args.throttle else args.time_scale * 1000
    policy = PacingPolicy(time_scale=client_scale)
    if args.redis:
        import redis

        pacer = RedisQuotaPacer(redis.Redis.from_url(args.redis), policy, prefix="bench")
    else:
        pacer = LocalQuotaPacer(policy)
    client = MwsClient(
        seller_id=seller.seller_id,
        access_key=seller.access_key,
        secret_key=seller.secret_key,
        mws_auth_token=seller.mws_auth_token,
        marketplace_ids=seller.marketplace_ids,
        pacer=pacer,
        endpoint_override=standin.url,
        time_scale=client_scale,
    )
    expected_items = sum(len(o.items) for o in book.orders(seller.seller_id))

    rss_before = _maxrss_mib()
    if args.tracemalloc:
        tracemalloc.start()
        base_current, _ = tracemalloc.get_traced_memory()
    orders = items = pages = 0
    peak = None
    started = time.monotonic()
    try:
        for page in client.iter_order_pages(created_after=datetime(2000, 1, 1, tzinfo=UTC)):
            pages += 1
            orders += len(page.orders)
            fetched = client.list_order_items_many(
                [o.amazon_order_id for o in page.orders], max_workers=args.workers
            )
            items += sum(len(v) for v in fetched.values())
            del fetched, page
        elapsed = time.monotonic() - started
        if args.tracemalloc:
            peak = (tracemalloc.get_traced_memory()[1] - base_current) / 2**20
    finally:
        if args.tracemalloc:
            tracemalloc.stop()
        client.close()
        standin.stop()
    calls = Counter(client.stats.calls)
    return {
        "orders": orders,
        "items": items,
        "expected_items": expected_items,
        "pages": pages,
        "seconds": elapsed,
        "book_seconds": book_seconds,
        "orders_per_second": orders / elapsed if elapsed else 0.0,
        "calls": dict(calls),
        "floor_list": math.ceil(orders / 100) if orders else 1,
        "floor_items": orders,
        "throttled_standin": standin.stats.throttled,
        "throttled_client": client.stats.throttled,
        "retries": client.stats.retries,
        "status_codes": {str(k): v for k, v in standin.stats.by_status.items()},
        "tracemalloc_peak_mib": peak,
        "maxrss_before_fetch_mib": rss_before,
        "maxrss_mib": _maxrss_mib(),
        "throttle": args.throttle,
        "time_scale": args.time_scale,
        "client_time_scale": client_scale,
        "workers": args.workers,
    }


def report(r: dict) -> None:
    c = r["calls"]
    list_calls = c.get("ListOrders", 0) + c.get("ListOrdersByNextToken", 0)
    item_calls = c.get("ListOrderItems", 0)
    item_pages = c.get("ListOrderItemsByNextToken", 0)
    total = sum(c.values())
    floor = r["floor_list"] + r["floor_items"]
    mode = (
        f"stand-in throttling ON at time scale {r['time_scale']:g} (client paces at the same scale)"
        if r["throttle"]
        else f"stand-in throttling OFF; client pacing at time scale {r['client_time_scale']:g}"
    )
    print(f"mode      {mode}; {r['workers']} item workers")
    print(f"book      {r['orders']} orders generated in {r['book_seconds']:.1f} s (not timed)")
    print(
        f"fetched   {r['orders']} orders, {r['items']} items (book: {r['expected_items']}) "
        f"in {r['seconds']:.2f} s → {r['orders_per_second']:.0f} orders/s"
    )
    print(
        f"list      ListOrders {c.get('ListOrders', 0)} + ListOrdersByNextToken "
        f"{c.get('ListOrdersByNextToken', 0)} = {list_calls} (floor {r['floor_list']})"
    )
    print(
        f"items     ListOrderItems {item_calls} (floor {r['floor_items']}) + "
        f"ListOrderItemsByNextToken {item_pages} (orders with more than one items page)"
    )
    print(
        f"total     {total} calls vs floor {floor} ({FLOOR_NOTE}); "
        f"+{total - floor} = {100 * (total - floor) / floor:.2f} %"
    )
    print(
        f"throttled {r['throttled_standin']} responses (stand-in count), "
        f"{r['throttled_client']} seen by the client; retries {r['retries']}; "
        f"HTTP statuses {r['status_codes']}"
    )
    traced = (
        f"tracemalloc peak during fetch {r['tracemalloc_peak_mib']:.2f} MiB; "
        if r["tracemalloc_peak_mib"] is not None
        else ""
    )
    print(
        f"memory    {traced}maxrss {r['maxrss_before_fetch_mib']:.0f} MiB before the fetch "
        f"(book + stand-in), {r['maxrss_mib']:.0f} MiB after "
        f"(+{r['maxrss_mib'] - r['maxrss_before_fetch_mib']:.0f} MiB)"
    )


def _child(args: argparse.Namespace, orders: int) -> dict:
    cmd = [
        sys.executable,
        "-m",
        "bench.amazon_fetch",
        "--orders",
        str(orders),
        "--time-scale",
        str(args.time_scale),
        "--workers",
        str(args.workers),
        "--json",
        "--tracemalloc",
    ]
    if args.throttle:
        cmd.append("--throttle")
    if args.redis:
        cmd += ["--redis", args.redis]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=3600).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=10000)
    parser.add_argument("--throttle", action="store_true", help="stand-in enforces quotas")
    parser.add_argument("--time-scale", type=float, default=1000.0)
    parser.add_argument("--workers", type=int, default=4, help="concurrent item calls")
    parser.add_argument("--redis", default="", help="use the Redis pacer at this URL")
    parser.add_argument("--check-memory", action="store_true", help="run N and 5N, compare")
    parser.add_argument(
        "--tracemalloc", action="store_true", help="trace allocations during the fetch (slower)"
    )
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.check_memory:
        small, large = _child(args, args.orders), _child(args, args.orders * 5)
        for r in (small, large):
            print(f"--- N = {r['orders']}")
            report(r)
        ratio = large["tracemalloc_peak_mib"] / max(small["tracemalloc_peak_mib"], 1e-9)
        print(
            f"--- fetch peak {small['tracemalloc_peak_mib']:.2f} MiB at N={small['orders']} vs "
            f"{large['tracemalloc_peak_mib']:.2f} MiB at N={large['orders']} (×{ratio:.2f}); "
            + ("flat" if ratio < 1.5 else "GROWS with N")
        )
        print(
            f"RESULT orders={small['orders']} peak_mib={small['tracemalloc_peak_mib']:.2f} "
            f"orders_5x={large['orders']} peak_mib_5x={large['tracemalloc_peak_mib']:.2f} "
            f"growth={ratio:.2f}"
        )
        return
    result = run(args)
    if args.json:
        print(json.dumps(result))
    else:
        report(result)
        calls = result["calls"]
        print(
            f"RESULT orders={result['orders']} orders_per_s={result['orders_per_second']:.1f} "
            f"list_calls={calls.get('ListOrders', 0) + calls.get('ListOrdersByNextToken', 0)} "
            f"item_calls={calls.get('ListOrderItems', 0)} "
            f"item_page_calls={calls.get('ListOrderItemsByNextToken', 0)} "
            f"floor={result['floor_list'] + result['floor_items']} "
            f"throttled={result['throttled_standin']} retries={result['retries']} "
            f"peak_rss_mb={result['maxrss_mib']:.0f}"
        )


if __name__ == "__main__":
    main()
