"""The history dashboard at scale, over HTTP, on PostgreSQL.

``python -m bench.dashboard --rows 1000000``

Starts its own PostgreSQL (bench._pg_redis), seeds one tenant with ``--runs`` Amazon Sync
History rows (a year) and ``--rows`` Order History rows (COPY), plus a second small tenant,
ANALYZE, then serves the product's WSGI app on cheroot (4 threads, loopback) signed in as the
tenant's administrator. Each page: 3 warm-up GETs, then ``--requests`` over one keep-alive
connection; prints p50/p95 wall time and the server thread's CPU p95 (bench._wsgi_cpu), then
``RESULT rows= runs= <page>_p95_ms=… max_p95_ms= max_cpu_p95_ms= load1=``.
"""

from __future__ import annotations

import argparse
import http.client
import math
import os
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta

from bench._dashboard_seed import _seed
from bench._pg_redis import free_port, postgres
from bench._wsgi_cpu import CpuRecorder


def _session_cookie(user) -> str:
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def _pages(tenant, run_ids) -> dict[str, str]:
    from history.models import OrderEvent, SyncRun
    from history.selectors import PAGE_SIZE, _encode_cursor

    base = f"/orgs/{tenant.id}/history"
    runs = SyncRun.objects.filter(tenant=tenant).order_by("-started_at", "-id")
    deep_run = runs.values_list("started_at", "id")[(len(run_ids) // PAGE_SIZE - 1) * PAGE_SIZE]
    events = OrderEvent.objects.filter(tenant=tenant).order_by("-created_at", "-id")
    at = min(20_000 * PAGE_SIZE, events.count() - PAGE_SIZE)
    deep_event = events.values_list("created_at", "id")[at]
    oldest_run = run_ids[0][0]
    newest_run = run_ids[-1][0]
    oldest_events = OrderEvent.objects.filter(run_id=oldest_run).order_by("-id")
    run_cursor = oldest_events.values_list("id", flat=True)[
        min(PAGE_SIZE, oldest_events.count()) - 1
    ]
    an_order = events.values_list("amazon_order_id", flat=True)[at]
    today = datetime.now(UTC).date()
    return {
        "history_list": f"{base}/",
        "history_deep": f"{base}/?after={_encode_cursor(*deep_run)}",
        "history_filtered": (
            f"{base}/?schedule=sync_amazon_record&outcome=success"
            f"&date_from={today - timedelta(days=200)}&date_to={today - timedelta(days=100)}"
        ),
        "run_detail": f"{base}/runs/{newest_run}/",
        "run_detail_oldest": f"{base}/runs/{oldest_run}/",
        "run_detail_page2": f"{base}/runs/{oldest_run}/?after={run_cursor}",
        "order_history": f"{base}/orders/",
        "order_history_page20000": f"{base}/orders/?after={_encode_cursor(*deep_event)}",
        "order_search": f"{base}/orders/?q={an_order}",
        "order_search_missing": f"{base}/orders/?q=999-9999999-9999999",
        # Streamed CSV downloads: until the first 64 KiB arrived (the download has started
        # and keeps going); the whole files' times are printed apart, not in max_p95_ms.
        "runs_export_first_64k": f"{base}/runs.csv",
        "order_export_first_64k": f"{base}/orders.csv",
    }


def _serve() -> tuple:
    from cheroot import wsgi
    from django.core.wsgi import get_wsgi_application

    port = free_port()
    app = CpuRecorder(get_wsgi_application())
    server = wsgi.Server(("127.0.0.1", port), app, numthreads=4)
    server.prepare()
    threading.Thread(target=server.serve, daemon=True).start()
    return server, port, app


def _measure(port: int, cookie: str, path: str, n: int, *, first_bytes: int = 0) -> list[float]:
    """Milliseconds per GET; with ``first_bytes``, until that much of the body arrived (a
    fresh connection each time, since the rest of the stream is dropped)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Cookie": f"sessionid={cookie}", "Host": "127.0.0.1"}
    times = []
    for i in range(n + 3):
        if first_bytes:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        started = time.perf_counter()
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read(first_bytes) if first_bytes else response.read()
        elapsed = (time.perf_counter() - started) * 1000
        if response.status != 200:
            raise SystemExit(f"{path}: HTTP {response.status} {body[:200]!r}")
        if first_bytes and len(body) < first_bytes:
            raise SystemExit(f"{path}: only {len(body)} bytes")
        if first_bytes:
            conn.close()
        if i >= 3:
            times.append(elapsed)
    conn.close()
    return times


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="bench-dash-")
    with postgres() as database_url:
        os.environ.update(
            {
                "DJANGO_SETTINGS_MODULE": "config.settings.base",
                "VAR_DIR": workdir,
                "DATABASE_URL": database_url,
                "DATABASE_CONN_MAX_AGE": "60",
                "DEBUG": "false",
                "LOG_LEVEL": "WARNING",
            }
        )
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0)
        t0 = time.monotonic()
        seeded = _seed(runs=args.runs, rows=args.rows)
        seed_s = time.monotonic() - t0
        pages = _pages(seeded["tenant"], seeded["run_ids"])
        connection.close()
        server, port, app = _serve()
        cookie = _session_cookie(seeded["user"])
        results, cpu = {}, {}
        try:
            for name, path in pages.items():
                first = 65536 if name.endswith("_first_64k") else 0
                times = _measure(port, cookie, path, args.requests, first_bytes=first)
                results[name] = (_p(times, 0.5), _p(times, 0.95))
                cpu[name] = _p(app.take(path)[3:], 0.95)  # the warm-up requests left out
                print(
                    f"{name:26s} p50 {results[name][0]:6.1f} ms  p95 {results[name][1]:6.1f} ms"
                    f"  server CPU p95 {cpu[name]:6.1f} ms",
                    file=sys.stderr,
                )
            for name, path in (("runs_export_full", pages["runs_export_first_64k"]),):
                (full,) = _measure(port, cookie, path, 1)[-1:]
                print(f"{name:26s} {full:8.0f} ms for the whole file", file=sys.stderr)
        finally:
            server.stop()
        print(f"seeded in {seed_s:.0f} s", file=sys.stderr)
        fields = " ".join(f"{name}_p95_ms={p95:.1f}" for name, (_, p95) in results.items())
        worst = max(p95 for _, p95 in results.values())
        worst_cpu = max(cpu.values())
        print(
            f"RESULT rows={args.rows} runs={args.runs} {fields} max_p95_ms={worst:.1f} "
            f"max_cpu_p95_ms={worst_cpu:.1f} load1={os.getloadavg()[0]:.1f}"
        )


if __name__ == "__main__":
    main()
