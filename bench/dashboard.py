"""The history dashboard at scale, over HTTP, on PostgreSQL.

``python -m bench.dashboard --rows 1000000``

Starts its own PostgreSQL (bench._pg_redis), migrates, and seeds one tenant with ``--runs``
Amazon Sync History rows (10,000 over a year) and ``--rows`` Order History rows (COPY, about
two events per order), plus a second tenant with a few rows so every query must filter by
tenant. ANALYZE, then the product's WSGI app on cheroot (4 threads) on a loopback port,
signed in as the tenant's administrator. Each page is fetched 3 times to warm up, then
``--requests`` times over one keep-alive connection; prints each page's p50 and p95 and the
SQL plan time of the deep Order History page, then

``RESULT rows= runs= <page>_p95_ms=… max_p95_ms=``.
"""

from __future__ import annotations

import argparse
import http.client
import math
import os
import random
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta

from bench._pg_redis import free_port, postgres

ORDERS_PER_RUN = 50  # two events each: a run writes about 100 Order History rows


def _copy(model, fields: list[str], rows) -> None:
    """COPY rows (tuples in ``fields`` order) into ``model``'s table; other columns get the
    field's default."""
    import json

    from django.db import connection

    extra = [
        f
        for f in model._meta.concrete_fields
        if f.column not in fields and f.name not in fields and not f.primary_key
    ]
    columns = [*fields, *[f.column for f in extra]]
    defaults = []
    for f in extra:
        value = f.get_default()
        defaults.append(json.dumps(value) if isinstance(value, list | dict) else value)
    sql = f"COPY {model._meta.db_table} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row((*row, *defaults))


def _seed(*, runs: int, rows: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from history.models import OrderEvent, SyncRun
    from tenants.models import Membership, Tenant

    now = datetime.now(UTC).replace(microsecond=0)
    tenant = Tenant.objects.create(name="Big Seller", time_zone="Europe/Berlin", installed_at=now)
    other = Tenant.objects.create(name="Other Seller", time_zone="Asia/Tokyo", installed_at=now)
    user = get_user_model().objects.create_user("bench-admin", password="x")
    Membership.objects.create(tenant=tenant, user=user, profile="Administrator")
    rnd = random.Random(7)
    outcomes = ["success"] * 8 + ["no_orders", "partial", "failed"]
    span = timedelta(days=365)

    def run_rows():
        for owner, count in ((tenant.id, runs), (other.id, 20)):
            for i in range(count):
                started = now - span + span * i / count
                outcome = rnd.choice(outcomes)
                created = 0 if outcome == "no_orders" else rnd.randint(20, 60)
                yield (
                    owner,
                    "sync_amazon_record" if i % 2 == 0 else "update_order_status",
                    "scheduled" if i % 7 else "manual",
                    started,
                    started + timedelta(minutes=3),
                    started + timedelta(minutes=3),
                    outcome,
                    created + 10,
                    created,
                    rnd.randint(0, 20),
                    "failed" if outcome == "failed" else "",
                )

    _copy(
        SyncRun,
        [
            "tenant_id",
            "schedule",
            "trigger",
            "started_at",
            "finished_at",
            "heartbeat_at",
            "outcome",
            "orders_fetched",
            "orders_created",
            "orders_updated",
            "error",
        ],
        run_rows(),
    )
    run_ids = {
        owner: list(
            SyncRun.objects.filter(tenant_id=owner)
            .order_by("started_at")
            .values_list("id", "started_at")
        )
        for owner in (tenant.id, other.id)
    }

    def event_rows():
        made = 0
        for owner, budget in ((tenant.id, rows), (other.id, 1000)):
            made = 0
            runs_of = run_ids[owner]
            per_run = max(1, math.ceil(budget / len(runs_of)))
            for n, (run_id, started) in enumerate(runs_of):
                for k in range(per_run):
                    if made >= budget:
                        break
                    order = n * per_run + k
                    order_id = f"{100 + order % 900:03d}-{order:07d}-{(order * 7919) % 10**7:07d}"
                    at = started + timedelta(seconds=k)
                    action = "created" if k % 2 == 0 else "status_changed"
                    yield (
                        owner,
                        run_id,
                        order_id,
                        action,
                        "" if action == "created" else "Unshipped",
                        "Unshipped" if action == "created" else "Shipped",
                        at - timedelta(minutes=5),
                        "5725767000000412345",
                        "",
                        at,
                    )
                    made += 1

    _copy(
        OrderEvent,
        [
            "tenant_id",
            "run_id",
            "amazon_order_id",
            "action",
            "old_status",
            "new_status",
            "amazon_last_update",
            "zoho_record_id",
            "message",
            "created_at",
        ],
        event_rows(),
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"tenant": tenant, "user": user, "run_ids": run_ids[tenant.id]}


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


def _serve():
    from cheroot import wsgi
    from django.core.wsgi import get_wsgi_application

    port = free_port()
    server = wsgi.Server(("127.0.0.1", port), get_wsgi_application(), numthreads=4)
    server.prepare()
    threading.Thread(target=server.serve, daemon=True).start()
    return server, port


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
        server, port = _serve()
        cookie = _session_cookie(seeded["user"])
        results = {}
        try:
            for name, path in pages.items():
                first = 65536 if name.endswith("_first_64k") else 0
                times = _measure(port, cookie, path, args.requests, first_bytes=first)
                results[name] = (_p(times, 0.5), _p(times, 0.95))
                print(
                    f"{name:26s} p50 {results[name][0]:6.1f} ms  p95 {results[name][1]:6.1f} ms",
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
        print(f"RESULT rows={args.rows} runs={args.runs} {fields} max_p95_ms={worst:.1f}")


if __name__ == "__main__":
    main()
