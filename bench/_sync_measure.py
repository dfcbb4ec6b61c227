"""What bench.sync_e2e measures besides the run itself: the Amazon span (first request to
last answer) and the quota floor of the calls a run made."""

from __future__ import annotations

import time

# operation → (documented rate per second, burst), as the quota floor counts them.
QUOTAS = {
    "ListOrders": (1 / 60, 6),
    "ListOrdersByNextToken": (1 / 60, 6),  # MWS: one bucket with ListOrders
    "ListOrderItems": (0.5, 30),
    "ListOrderItemsByNextToken": (0.5, 30),
    "getOrders": (0.0167, 20),
    "getOrderItems": (0.5, 30),
    "searchOrders": (0.0056, 20),
}
BUCKET = {"ListOrdersByNextToken": "ListOrders", "ListOrderItemsByNextToken": "ListOrderItems"}
LIST_OPS = ("ListOrders", "ListOrdersByNextToken", "getOrders", "searchOrders")
ITEM_OPS = ("ListOrderItems", "ListOrderItemsByNextToken", "getOrderItems", "getOrder")


class AmazonSpan:
    """When the run's first Amazon request started and its last ended: the shared HTTP
    layer's send, timed (instrumentation only; answers pass through unchanged)."""

    def __init__(self) -> None:
        self.first: float | None = None
        self.last: float | None = None

    def install(self) -> None:
        from amazon_ext.amazon import http

        original = http.send

        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.first = started if self.first is None else self.first
                self.last = time.perf_counter()

        http.send = timed

    def reset(self) -> None:
        self.first = self.last = None

    def seconds(self) -> float:
        return (self.last - self.first) if self.first is not None else 0.0


SPAN = AmazonSpan()


def quota_floor_seconds(calls: dict, time_scale: float) -> float:
    """Calls beyond each bucket's burst at its documented rate; the slowest bucket."""
    per_bucket: dict[str, int] = {}
    for operation, count in calls.items():
        if operation in QUOTAS:
            bucket = BUCKET.get(operation, operation)
            per_bucket[bucket] = per_bucket.get(bucket, 0) + count
    floors = [
        max(0, count - QUOTAS[bucket][1]) / QUOTAS[bucket][0]
        for bucket, count in per_bucket.items()
    ]
    return max(floors, default=0.0) / time_scale


def warm_like_a_worker() -> None:
    """What a running worker has loaded before it takes a run: its broker connection (eager
    tasks still acquire a producer; on the embedded broker that imports SQLAlchemy) and the
    template engines (their tag libraries). Their one-time ~0.5 s is not a cost per order."""
    from django.template import engines

    from config.celery_app import app

    with app.producer_or_acquire():
        pass
    engines.all()
