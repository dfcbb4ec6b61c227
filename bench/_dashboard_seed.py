"""Seeding bench.dashboard's PostgreSQL: one big tenant's runs and Order History by COPY."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

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
