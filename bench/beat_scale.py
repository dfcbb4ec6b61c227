"""Thousands of tenants due in the same minute: does every 23:55 run leave on time, once?

``python -m bench.beat_scale --tenants 10000 --zones 40 --due-at-once 5000``

Starts its own PostgreSQL and Redis (bench._pg_redis), migrates, seeds N tenants over Z time
zones with both schedules each (2N rows), and makes ``--due-at-once`` schedules due at the
same moment T (half a minute ahead) while the others keep their real next 23:55. Then it
runs what production runs: ``--beats`` django-celery-beat processes (2 by default: two beats
by mistake, the case the claim must survive) sending the dispatcher tick, and one dispatcher
worker per beat on the ``dispatch`` queue. The bench takes every message the dispatchers put
on the ``celery`` queue (the scheduled_run triggers, not executed here) with the time it
arrived, until all due runs arrived and a few more ticks passed, or ``--watch`` seconds.

Prints ``RESULT tenants= due= sent= sent_within_60s= max_late_s= median_late_s=
dispatcher_cpu_s= beat_rss_mb= double_dispatched= not_due_sent= beat_entries=``.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench._pg_redis import postgres, proc_cpu_seconds, proc_peak_rss_mb, redis_server

ROOT = Path(__file__).resolve().parents[1]
ZONES = [
    "Pacific/Honolulu",
    "America/Anchorage",
    "America/Los_Angeles",
    "America/Denver",
    "America/Phoenix",
    "America/Chicago",
    "America/Mexico_City",
    "America/New_York",
    "America/Toronto",
    "America/Bogota",
    "America/Caracas",
    "America/Santiago",
    "America/Halifax",
    "America/Sao_Paulo",
    "America/Argentina/Buenos_Aires",
    "Atlantic/Azores",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Lisbon",
    "Europe/Berlin",
    "Europe/Paris",
    "Europe/Madrid",
    "Africa/Lagos",
    "Europe/Athens",
    "Africa/Cairo",
    "Europe/Istanbul",
    "Europe/Moscow",
    "Asia/Dubai",
    "Asia/Karachi",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Asia/Dhaka",
    "Asia/Bangkok",
    "Asia/Singapore",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Adelaide",
    "Australia/Sydney",
    "Pacific/Auckland",
    "Pacific/Chatham",
]


def _env(workdir: str, database_url: str, redis_url: str, interval: float) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "VAR_DIR": workdir,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "CELERY_BROKER_URL": redis_url,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "SCHEDULE_DISPATCH_SECONDS": str(interval),
            "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


def _seed(
    *, tenants: int, zones: int, due: int, due_at: datetime, quiet_until: datetime
) -> set[tuple[int, str]]:
    """Seed the tenants and their schedules; returns the (tenant, schedule) keys due at T."""
    from crm_sync.models import ScheduleKind, TenantSchedule
    from crm_sync.services.schedules import next_run_after
    from tenants.models import Tenant

    names = ZONES[:zones]
    now = datetime.now(UTC)
    Tenant.objects.bulk_create(
        [
            Tenant(name=f"Bench tenant {i}", time_zone=names[i % len(names)], installed_at=now)
            for i in range(tenants)
        ],
        batch_size=2000,
    )
    rows, index, due_keys = [], 0, set()
    # The not-due schedules keep their real next 23:55, moved past the watch window.
    quiet = {z: next_run_after(time_zone=z, after=quiet_until) for z in names}
    for tenant_id, zone in Tenant.objects.order_by("id").values_list("id", "time_zone"):
        for kind in ScheduleKind:
            rows.append(
                TenantSchedule(
                    tenant_id=tenant_id,
                    kind=kind.value,
                    next_run_at=due_at if index < due else quiet[zone],
                )
            )
            if index < due:
                due_keys.add((tenant_id, kind.value))
            index += 1
    TenantSchedule.objects.bulk_create(rows, batch_size=5000)
    return due_keys


def _spawn(env: dict, workdir: str, name: str, args: list[str]) -> subprocess.Popen:
    log = open(os.path.join(workdir, f"{name}.log"), "ab")  # noqa: SIM115 - closed at exit
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", *args],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


class Observer(threading.Thread):
    """Takes every message off the ``celery`` queue and notes when it arrived."""

    def __init__(self, redis_url: str) -> None:
        super().__init__(daemon=True)
        import redis

        self.client = redis.Redis.from_url(redis_url)
        self.arrivals: list[tuple[float, int, str]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            got = self.client.blpop(["celery"], timeout=1)
            if got is None:
                continue
            at = time.time()
            message = json.loads(got[1])
            _args, kwargs, _ = json.loads(base64.b64decode(message["body"]))
            self.arrivals.append((at, kwargs["tenant_id"], kwargs["schedule"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tenants", type=int, default=10_000)
    parser.add_argument("--zones", type=int, default=40)
    parser.add_argument("--due-at-once", type=int, default=5_000)
    parser.add_argument("--beats", type=int, default=2)
    parser.add_argument("--interval", type=float, default=10.0, help="dispatcher tick (s)")
    parser.add_argument("--watch", type=float, default=150.0, help="give up after (s)")
    args = parser.parse_args()
    if not 1 <= args.zones <= len(ZONES):
        raise SystemExit(f"--zones must be 1..{len(ZONES)}")
    due = min(args.due_at_once, 2 * args.tenants)

    workdir = tempfile.mkdtemp(prefix="bench-beat-")
    with postgres() as database_url, redis_server() as redis_url:
        env = _env(workdir, database_url, redis_url, args.interval)
        os.environ.update(env)
        import django

        django.setup()
        from django.core.management import call_command
        from django_celery_beat.models import PeriodicTask

        call_command("migrate", verbosity=0)
        lead = 30.0
        due_at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=lead)
        t0 = time.monotonic()
        due_keys = _seed(
            tenants=args.tenants,
            zones=args.zones,
            due=due,
            due_at=due_at,
            quiet_until=due_at + timedelta(seconds=args.watch + 120),
        )
        seeded_s = time.monotonic() - t0
        if datetime.now(UTC) >= due_at - timedelta(seconds=10):
            raise SystemExit("seeding took too long for the lead time; lower --tenants")
        observer = Observer(redis_url)
        observer.start()
        procs = []
        for i in range(args.beats):
            procs.append(
                (
                    "beat",
                    _spawn(
                        env,
                        workdir,
                        f"beat{i}",
                        [
                            "beat",
                            "--loglevel",
                            "WARNING",
                            "-s",
                            os.path.join(workdir, f"beat{i}.db"),
                            "--pidfile",
                            os.path.join(workdir, f"beat{i}.pid"),
                        ],
                    ),
                )
            )
            procs.append(
                (
                    "dispatcher",
                    _spawn(
                        env,
                        workdir,
                        f"dispatcher{i}",
                        [
                            "worker",
                            "-Q",
                            "dispatch",
                            "--pool=solo",
                            "--without-gossip",
                            "--without-mingle",
                            "--without-heartbeat",
                            "-n",
                            f"dispatcher{i}@%h",
                            "--loglevel",
                            "WARNING",
                        ],
                    ),
                )
            )
        try:
            # The workers' start-up CPU is not the dispatcher's: take the baseline just
            # before the moment comes.
            while datetime.now(UTC) < due_at - timedelta(seconds=1):
                time.sleep(0.2)
            workers = [p for kind, p in procs if kind == "dispatcher"]
            cpu_before = sum(proc_cpu_seconds(p.pid) for p in workers)
            deadline = time.time() + args.watch
            settle_until = None
            while time.time() < deadline:
                time.sleep(0.5)
                if len(observer.arrivals) >= due and settle_until is None:
                    # Everything arrived: watch three more ticks for a second copy.
                    settle_until = time.time() + 3 * args.interval + 2
                if settle_until is not None and time.time() >= settle_until:
                    break
            cpu_s = sum(proc_cpu_seconds(p.pid) for p in workers) - cpu_before
            beat_rss = max(proc_peak_rss_mb(p.pid) for kind, p in procs if kind == "beat")
        finally:
            observer.stop.set()
            for _, p in procs:
                p.terminate()
            for _, p in procs:
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    p.kill()
            observer.join(timeout=5)

        arrivals = observer.arrivals
        t_due = due_at.timestamp()
        first_arrival: dict[tuple[int, str], float] = {}
        for at, tenant_id, kind in arrivals:
            first_arrival.setdefault((tenant_id, kind), at)
        late = sorted(max(0.0, at - t_due) for k, at in first_arrival.items() if k in due_keys)
        sent = len(set(first_arrival) & due_keys)
        double = len(arrivals) - len(first_arrival)
        not_due = len(set(first_arrival) - due_keys)
        entries = PeriodicTask.objects.count()
        print(
            f"seeded {args.tenants} tenants / {2 * args.tenants} schedules in {seeded_s:.1f} s; "
            f"{len(arrivals)} messages; beat entries: "
            f"{sorted(PeriodicTask.objects.values_list('name', flat=True))}",
            file=sys.stderr,
        )
        print(
            "RESULT "
            f"tenants={args.tenants} zones={args.zones} due={due} sent={sent} "
            f"sent_within_60s={sum(1 for s in late if s <= 60)} "
            f"max_late_s={(late[-1] if late else 0):.1f} "
            f"median_late_s={(statistics.median(late) if late else 0):.1f} "
            f"dispatcher_cpu_s={cpu_s:.2f} beat_rss_mb={beat_rss:.0f} "
            f"double_dispatched={double} not_due_sent={not_due} beats={args.beats} "
            f"beat_entries={entries}"
        )


if __name__ == "__main__":
    main()
