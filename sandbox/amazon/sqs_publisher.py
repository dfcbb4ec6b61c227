"""ORDER_CHANGE messages from the Amazon stand-in into SQS (moto's server locally).

When an order in the book is added or changes, every subscription of its seller whose event
filter matches gets one message (OrderChangeNotification.json: NotificationMetadata,
Payload.OrderChangeNotification with Summary and OrderItems, no prices and no buyer).

Amazon gives no delivery guarantee, and neither do we — knobs (``configure`` or
``POST /_sandbox/notifications``):

* ``drop``: share of messages never sent; ``duplicate``: share sent twice (same
  NotificationId, a second SQS message); ``reorder``: share held back ``reorder_seconds``
  so later changes overtake them; ``delay``: seconds before any message goes out;
* ``sqs_endpoint``: where the queues are (moto), ``region``; ``seed`` makes it repeatable.

``changed_at`` keeps, per (order id, LastUpdateDate), the wall-clock time of the change,
and ``published_at`` when its first message reached SQS, so a benchmark can measure change
→ Zoho latency and how much of it was spent before the queue.
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import random
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from sandbox.amazon.records import BookOrder, iso_z

logger = logging.getLogger(__name__)
APPLICATION_ID = "amzn1.sp.solution.sandbox0001"
SENDERS = 4  # SendMessageBatch calls in flight


@dataclass
class Knobs:
    drop: float = 0.0
    duplicate: float = 0.0
    reorder: float = 0.0
    reorder_seconds: float = 1.0
    delay: float = 0.0
    sqs_endpoint: str = ""
    region: str = "us-east-1"
    seed: int | None = None


class OrderChangePublisher:
    """Builds and sends the messages from a background thread (book changes never wait)."""

    def __init__(self, state, api) -> None:
        self.state = state
        self.api = api
        self.knobs = Knobs()
        self._random = random.Random()
        self._lock = threading.Condition()
        self._heap: list[tuple[float, int, str, str, tuple[str, str]]] = []
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None
        self._urls: dict[str, str] = {}
        self._client = None
        self.counts = {"changes": 0, "published": 0, "dropped": 0, "duplicated": 0, "reordered": 0, "failed": 0}  # fmt: skip
        self.changed_at: dict[tuple[str, str], float] = {}
        # (order id, LastUpdateDate) → when its first message reached SQS (wall clock).
        self.published_at: dict[tuple[str, str], float] = {}
        self._pool: ThreadPoolExecutor | None = None
        self._sending = 0

    # ------------------------------------------------------------------ knobs
    def configure(self, **values) -> dict:
        with self._lock:
            for key, value in values.items():
                if not hasattr(self.knobs, key):
                    raise ValueError(f"unknown knob {key}")
                current = getattr(self.knobs, key)
                cast = type(current) if current is not None else int
                setattr(self.knobs, key, cast(value) if value is not None else None)
            for key in ("drop", "duplicate", "reorder"):
                if not 0.0 <= getattr(self.knobs, key) <= 1.0:
                    raise ValueError(f"{key} must be between 0 and 1")
            if "seed" in values:
                self._random.seed(self.knobs.seed)
            if "sqs_endpoint" in values or "region" in values:
                self._client, self._urls = None, {}
            return self.snapshot()

    def snapshot(self) -> dict:
        knobs = dict(vars(self.knobs))
        return {"knobs": knobs, "counts": dict(self.counts), "queued": len(self._heap)}

    # ------------------------------------------------------------------ SQS
    def _sqs(self):
        if self._client is None:
            import boto3

            self._client = boto3.client(
                "sqs",
                region_name=self.knobs.region,
                endpoint_url=self.knobs.sqs_endpoint or None,
                aws_access_key_id="sandbox",
                aws_secret_access_key="sandbox",  # moto accepts any
            )
        return self._client

    def _queue_url(self, arn: str) -> str:
        url = self._urls.get(arn)
        if url is None:
            _, _, _, _region, account, name = arn.split(":", 5)
            url = self._sqs().get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)[
                "QueueUrl"
            ]
            self._urls[arn] = url
        return url

    def queue_reachable(self, arn: str) -> bool:
        """With no SQS endpoint configured nothing can be checked (or sent)."""
        if not self.knobs.sqs_endpoint:
            return True
        try:
            self._queue_url(arn)
        except Exception:
            return False
        return True

    # ------------------------------------------------------------------ publishing
    def order_changed(self, order: BookOrder) -> None:
        targets = [
            (sub, dest)
            for sub, dest in self.api.subscriptions_for(order.seller_id)
            if sub.notification_type == "ORDER_CHANGE"
            and sub.matches(order.marketplace_id, "OrderStatusChange")
        ]
        now = time.time()
        with self._lock:
            self.counts["changes"] += 1
            key = (order.amazon_order_id, iso_z(order.last_update_date))
            self.changed_at.setdefault(key, now)
            for sub, dest in targets:
                body = json.dumps(_notification(order, sub.subscription_id), separators=(",", ":"))
                if self._random.random() < self.knobs.drop:
                    self.counts["dropped"] += 1
                    continue
                copies = 2 if self._random.random() < self.knobs.duplicate else 1
                self.counts["duplicated"] += copies - 1
                for copy in range(copies):
                    due = now + self.knobs.delay
                    if self._random.random() < self.knobs.reorder:
                        due += self.knobs.reorder_seconds * (0.5 + self._random.random())
                        self.counts["reordered"] += 1
                    due += copy * self._random.random() * self.knobs.reorder_seconds
                    heapq.heappush(self._heap, (due, next(self._seq), dest.arn, body, key))
            if targets:
                self._start()
                self._lock.notify()

    def _start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._loop, name="order-change-sqs", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        while True:
            with self._lock:
                # While every sender is busy, due messages gather into fuller batches.
                while self._sending >= SENDERS:
                    self._lock.wait(0.05)
                while not self._heap or self._heap[0][0] > time.time():
                    timeout = (self._heap[0][0] - time.time()) if self._heap else 5.0
                    self._lock.wait(max(0.005, timeout))
                    if not self._heap and timeout >= 5.0:
                        return  # idle: the next change starts a new thread
                due_now = []
                while self._heap and self._heap[0][0] <= time.time() and len(due_now) < 10:
                    due_now.append(heapq.heappop(self._heap))
            # Amazon delivers at any rate: SendMessageBatch calls (10 messages each) go out
            # SENDERS at a time, so a slow SQS (moto on a loaded machine) does not make the
            # stand-in fall behind the changes.
            by_queue: dict[str, list[tuple[str, str]]] = {}
            for _, _, arn, body, key in due_now:
                by_queue.setdefault(arn, []).append((body, key))
            for arn, messages in by_queue.items():
                with self._lock:
                    self._sending += 1
                self._senders().submit(self._send, arn, messages)

    def _senders(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=SENDERS, thread_name_prefix="sqs-send")
        return self._pool

    def _send(self, arn: str, messages: list[tuple[str, tuple[str, str]]]) -> None:
        try:
            entries = [{"Id": str(i), "MessageBody": b} for i, (b, _) in enumerate(messages)]
            answer = self._sqs().send_message_batch(QueueUrl=self._queue_url(arn), Entries=entries)
            sent, now = answer.get("Successful", []), time.time()
            with self._lock:
                self.counts["published"] += len(sent)
                self.counts["failed"] += len(answer.get("Failed", []))
                for entry in sent:
                    self.published_at.setdefault(messages[int(entry["Id"])][1], now)
        except Exception:
            with self._lock:
                self.counts["failed"] += len(messages)
            logger.warning("ORDER_CHANGE not sent to %s", arn, exc_info=True)
        finally:
            with self._lock:
                self._sending -= 1
                self._lock.notify_all()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Until every queued message is sent (tests, benchmarks)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if not self._heap and not self._sending:
                    break
            time.sleep(0.02)
        time.sleep(0.05)
        return not self._heap


def _notification(order: BookOrder, subscription_id: str) -> dict:
    changed = iso_z(order.last_update_date)
    return {
        "NotificationVersion": "1.0",
        "NotificationType": "ORDER_CHANGE",
        "PayloadVersion": "1.0",
        "EventTime": changed,
        "Payload": {
            "OrderChangeNotification": {
                "NotificationLevel": "OrderLevel",
                "SellerId": order.seller_id,
                "AmazonOrderId": order.amazon_order_id,
                "OrderChangeType": "OrderStatusChange",
                "OrderChangeTrigger": {
                    "TimeOfOrderChange": changed,
                    "ChangeReason": "Order status changed",
                },
                "Summary": {
                    "MarketplaceId": order.marketplace_id,
                    "OrderStatus": order.status,
                    "PurchaseDate": iso_z(order.purchase_date),
                    "FulfillmentType": order.fulfillment_channel,
                    "OrderType": order.order_type,
                    "NumberOfItemsShipped": order.number_of_items_shipped,
                    "NumberOfItemsUnshipped": order.number_of_items_unshipped,
                    "OrderItems": [
                        {
                            "OrderItemId": item.order_item_id,
                            "SellerSKU": item.seller_sku,
                            "Quantity": item.quantity,
                            "QuantityShipped": item.quantity_shipped,
                        }
                        for item in order.items
                    ],
                },
            }
        },
        "NotificationMetadata": {
            "ApplicationId": APPLICATION_ID,
            "SubscriptionId": subscription_id,
            "PublishTime": iso_z(order.last_update_date),
            "NotificationId": str(uuid.uuid4()),
        },
    }
