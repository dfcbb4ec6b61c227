"""Fair workers: 100 small tenants' daily runs finish while a 50,000-order tenant syncs.

``python -m bench.fair_workers --small 100 --big 1 --big-orders 50000``

Starts its own PostgreSQL and Redis (bench._pg_redis), the Amazon and Zoho stand-ins in this
process (Amazon's quotas on, ``--time-scale`` times faster, the product pacing at the same
scale), and a tenant per seller, each connected to its own Zoho organisation through the
OAuth flow. The small tenants' first syncs run here first (they then have a cursor and a
small last run), their cursors are set an hour back (as after last night's run) and each gets
``--new-orders`` new orders in that hour.

Then a real Celery worker, prefork, ``--concurrency 2``, consuming every queue: the big
tenants' first syncs are sent first (the backlog queue) and, once one is executing, the
small tenants' daily runs. The bench waits until every small run finished (or ``--limit``
seconds) and prints, per small run, the time from being sent to finishing, then

``RESULT small= small_done= small_p50_s= small_max_s= big= big_still_running= big_orders_so_far=
workers=2``. ``--big 2`` shows the backlog lane: the second big tenant waits outside the pool
instead of taking the second process.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from bench._pg_redis import postgres, redis_server

ROOT = Path(__file__).resolve().parents[1]
CLIENT_ID, CLIENT_SECRET = "bench-client-id", "bench-client-secret"
REDIRECT_URI = "http://127.0.0.1/zoho/callback"
MARKETPLACE = "ATVPDKIKX0DER"


def _connect(tenant, admin, zoho_email: str) -> None:
    import requests
    from django.contrib.sessions.backends.db import SessionStore

    from crm_sync.zoho.services import connect_finish, connect_start

    session = SessionStore()
    url = connect_start(tenant=tenant, user=admin, session=session)
    parts = urlsplit(url)
    form = dict(parse_qsl(parts.query))
    form.update({"user_email": zoho_email, "approve": "1"})
    resp = requests.post(
        f"{parts.scheme}://{parts.netloc}{parts.path}", data=form, allow_redirects=False, timeout=30
    )
    params = dict(parse_qsl(urlsplit(resp.headers["Location"]).query))
    connect_finish(user=admin, session=session, params=params)


def _tenant(n: int, seller, zoho) -> object:
    from django.contrib.auth import get_user_model

    from amazon_ext.services.credentials import credentials_save
    from installation.services.install import tenant_install
    from tenants.services import tenant_create

    email = f"admin@seller{n}.example"  # one domain per org (the stand-in adds ops.<domain>)
    zoho.create_org(dc="com", edition="ultimate", company_name=f"Seller {n}", admin_email=email)
    admin = get_user_model().objects.create_user(f"bench{n}", email, "x" * 12)
    tenant = tenant_create(name=f"Seller {n}", time_zone="UTC", admin_user=admin)
    tenant_install(tenant=tenant, user=admin, install_scope="admins")
    form = {
        k: getattr(seller, k) for k in ("seller_id", "access_key", "secret_key", "mws_auth_token")
    }
    form["marketplace_id_1"] = MARKETPLACE
    credentials_save(tenant=tenant, data=form, kind="mws")
    _connect(tenant, admin, email)
    return tenant


def _worker(env: dict, workdir: str, concurrency: int) -> subprocess.Popen:
    log = open(os.path.join(workdir, "worker.log"), "ab")  # noqa: SIM115 - closed at exit
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=prefork",
            f"--concurrency={concurrency}",
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "INFO",
        ],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--small-orders", type=int, default=10)
    parser.add_argument("--new-orders", type=int, default=5)
    parser.add_argument("--big", type=int, default=1)
    parser.add_argument("--big-orders", type=int, default=50_000)
    parser.add_argument("--time-scale", type=float, default=50.0)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--limit", type=float, default=900.0)
    args = parser.parse_args()

    from sandbox.amazon import AmazonStandIn, OrderBook
    from sandbox.zoho import ZohoStandIn
    from tests.fixtures.amazon import make_amazon_seller

    end = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
    book = OrderBook()
    sellers = []
    for n in range(args.big + args.small):
        big = n < args.big
        seller = make_amazon_seller(f"A{n:05d}BENCHSELLER", n=n + 1, marketplace_ids=[MARKETPLACE])
        book.add_generated(
            seed=n,
            seller_id=seller.seller_id,
            marketplace_ids=[MARKETPLACE],
            orders=args.big_orders if big else args.small_orders,
            buyers=2000 if big else 5,
            products=500 if big else 5,
            start=end - timedelta(days=20),
            end=end,
        )
        sellers.append(seller)
    amazon = AmazonStandIn(book=book, time_scale=args.time_scale, throttle=True)
    for seller in sellers:
        amazon.register_seller(seller)
    amazon.start()
    zoho = ZohoStandIn(daily_credits=10**9).start()
    zoho.register_client(CLIENT_ID, CLIENT_SECRET, [REDIRECT_URI])
    try:
        _bench(args, book, sellers, amazon, zoho)
    finally:
        amazon.stop()
        zoho.stop()


def _bench(args, book, sellers, amazon, zoho) -> None:

    workdir = tempfile.mkdtemp(prefix="bench-fair-")
    with postgres() as database_url, redis_server() as redis_url:
        env = dict(os.environ)
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "config.settings.base",
                "VAR_DIR": workdir,
                "DATABASE_URL": database_url,
                "REDIS_URL": redis_url,
                "CELERY_BROKER_URL": redis_url,
                "AMAZON_MWS_ENDPOINT_OVERRIDE": amazon.url,
                "AMAZON_QUOTA_TIME_SCALE": str(args.time_scale),
                "ZOHO_ACCOUNTS_URL": zoho.accounts_url,
                "ZOHO_CLIENT_ID": CLIENT_ID,
                "ZOHO_CLIENT_SECRET": CLIENT_SECRET,
                "ZOHO_REDIRECT_URI": REDIRECT_URI,
                "CELERY_TASK_ALWAYS_EAGER": "false",
                "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
                "SYNC_FIRST_RUN_LOOKBACK_DAYS": "30",
                "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
                "DEBUG": "false",
            }
        )
        os.environ.update(env)
        import django

        django.setup()
        from django.core.management import call_command
        from django.db.models import F

        from config.celery_app import app
        from crm_sync.models import SyncCursor
        from crm_sync.services.runs import sync_run_start
        from crm_sync.tasks import execute_sync_run
        from history.models import SyncRun

        call_command("migrate", verbosity=0)
        t0 = time.monotonic()
        tenants = [_tenant(n, seller, zoho) for n, seller in enumerate(sellers)]
        bigs, smalls = tenants[: args.big], tenants[args.big :]
        # The small tenants' first syncs, here and inline: afterwards they are ordinary
        # tenants with a cursor and a small last run.
        app.conf.task_always_eager = True
        for tenant in smalls:
            run = sync_run_start(tenant=tenant, schedule="sync_amazon_record", trigger="manual")
            execute_sync_run.apply(args=[run.pk])
        app.conf.task_always_eager = False
        # As after last night's run: the cursors an hour back, new orders since then.
        SyncCursor.objects.filter(tenant__in=smalls).update(
            watermark=F("watermark") - timedelta(hours=1)
        )
        now = datetime.now(UTC) - timedelta(minutes=15)
        for n, seller in enumerate(sellers[args.big :], args.big):
            book.add_generated(
                seed=1000 + n,
                seller_id=seller.seller_id,
                marketplace_ids=[MARKETPLACE],
                orders=args.new_orders,
                buyers=5,
                products=5,
                start=now - timedelta(minutes=9),
                end=now - timedelta(minutes=8),
            )
        print(f"set-up {time.monotonic() - t0:.0f} s", file=sys.stderr)

        worker = _worker(env, workdir, args.concurrency)
        try:
            big_runs = []
            for tenant in bigs:
                run = sync_run_start(tenant=tenant, schedule="sync_amazon_record", trigger="manual")
                execute_sync_run.delay(run.pk)
                big_runs.append(run.pk)
            deadline = time.monotonic() + 120
            while not SyncRun.objects.filter(pk__in=big_runs).exclude(lease_owner="").exists():
                if time.monotonic() > deadline:
                    raise SystemExit("the big run did not start; see the worker log")
                time.sleep(0.5)
            time.sleep(5)  # it is well into its first windows
            sent_at, small_runs = {}, []
            for tenant in smalls:
                run = sync_run_start(tenant=tenant, schedule="sync_amazon_record", trigger="manual")
                execute_sync_run.delay(run.pk)
                sent_at[run.pk] = datetime.now(UTC)
                small_runs.append(run.pk)
            deadline = time.monotonic() + args.limit
            while time.monotonic() < deadline:
                open_runs = SyncRun.objects.filter(pk__in=small_runs, outcome="running").count()
                if open_runs == 0:
                    break
                time.sleep(1)
            done = dict(
                SyncRun.objects.filter(pk__in=small_runs, finished_at__isnull=False).values_list(
                    "pk", "finished_at"
                )
            )
            outcomes = list(
                SyncRun.objects.filter(pk__in=small_runs).values_list("outcome", flat=True)
            )
            big_state = list(
                SyncRun.objects.filter(pk__in=big_runs).values_list(
                    "outcome", "orders_created", "lease_owner"
                )
            )
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
        waits = sorted((done[pk] - sent_at[pk]).total_seconds() for pk in done)
        executing = sum(1 for outcome, _, owner in big_state if outcome == "running" and owner)
        print(
            f"small outcomes: { {o: outcomes.count(o) for o in set(outcomes)} }; "
            f"big runs: {big_state}",
            file=sys.stderr,
        )
        print(
            "RESULT "
            f"small={len(smalls)} small_done={len(done)} "
            f"small_p50_s={statistics.median(waits) if waits else 0:.1f} "
            f"small_max_s={waits[-1] if waits else 0:.1f} big={len(bigs)} "
            f"big_still_running={sum(1 for o, _, _ in big_state if o == 'running')} "
            f"big_executing={executing} "
            f"big_orders_so_far={sum(c for _, c, _ in big_state)} workers={args.concurrency}"
        )


if __name__ == "__main__":
    main()
