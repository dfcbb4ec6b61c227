"""The SQS queue Amazon sends ORDER_CHANGE notifications to, through boto3.

Production: a real queue (AMAZON_SQS_QUEUE_URL, AMAZON_SQS_REGION, AWS credentials from the
environment as boto3 reads them). Locally and in the tests: moto's server
(AMAZON_SQS_ENDPOINT_URL). The queue's redrive policy sends a message received
LIVE_UPDATES_MAX_RECEIVES times without being deleted to the dead-letter queue; that is
SQS's job, not ours, so a consumer that dies never loses the count.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from django.conf import settings

from amazon_ext.amazon import values


def configured() -> bool:
    return bool(settings.AMAZON_SQS_QUEUE_URL)


def queue_arn(queue_url: str | None = None) -> str:
    """The queue's ARN (createDestination wants it): AMAZON_SQS_QUEUE_ARN, else built from
    the URL ``https://sqs.<region>.amazonaws.com/<account>/<name>``."""
    url = queue_url or settings.AMAZON_SQS_QUEUE_URL
    if settings.AMAZON_SQS_QUEUE_ARN and not queue_url:
        return settings.AMAZON_SQS_QUEUE_ARN
    account, name = url.rstrip("/").split("/")[-2:]
    return f"arn:aws:sqs:{settings.AMAZON_SQS_REGION}:{account}:{name}"


@cache
def _client_for(endpoint_url: str, region: str):
    # Imported here: boto3 takes ~0.2 s to import, and every process that renders a page or
    # an email loads this module (the live-updates template tag) whether or not it uses SQS.
    import boto3
    from botocore.config import Config

    return boto3.client(
        "sqs",
        region_name=region,
        endpoint_url=endpoint_url or None,
        config=Config(retries={"max_attempts": 5, "mode": "standard"}, read_timeout=30),
    )


def sqs_client():
    return _client_for(settings.AMAZON_SQS_ENDPOINT_URL, settings.AMAZON_SQS_REGION)


@dataclass(frozen=True)
class ReceivedMessage:
    """One SQS message: its receipt handle (to delete it), how often SQS handed it out, the
    raw body."""

    message_id: str
    receipt_handle: str
    receive_count: int
    body: str


@dataclass(frozen=True)
class OrderChange:
    """What an ORDER_CHANGE notification tells us (no prices, no buyer: getOrder does)."""

    notification_id: str
    seller_id: str
    amazon_order_id: str
    change_time: datetime
    change_type: str
    summary: OrderSummary | None = None


@dataclass(frozen=True)
class OrderSummary:
    """The notification's ``Summary``, when every field we use reads cleanly."""

    order_status: str
    marketplace_id: str
    purchase_date: datetime
    latest_delivery_date: datetime | None = None


class NotificationUnreadableError(ValueError):
    """The message is not an ORDER_CHANGE notification we can act on."""


def parse_order_change(body: str) -> OrderChange:
    """Read the fields we need (OrderChangeNotification.json), strictly."""
    try:
        document = json.loads(body)
    except ValueError as exc:
        raise NotificationUnreadableError("the message is not JSON") from exc
    if not isinstance(document, dict):
        raise NotificationUnreadableError("the message is not a JSON object")
    if document.get("NotificationType") != "ORDER_CHANGE":
        raise NotificationUnreadableError(
            f"NotificationType {values.clip(str(document.get('NotificationType')), 40)!r} "
            "is not ORDER_CHANGE"
        )
    metadata = document.get("NotificationMetadata") or {}
    change = (document.get("Payload") or {}).get("OrderChangeNotification") or {}
    if not isinstance(metadata, dict) or not isinstance(change, dict):
        raise NotificationUnreadableError("NotificationMetadata or Payload is not an object")
    notification_id = metadata.get("NotificationId")
    if not isinstance(notification_id, str) or not 0 < len(notification_id) <= 100:
        raise NotificationUnreadableError("NotificationMetadata.NotificationId is missing")
    seller_id = change.get("SellerId")
    if not isinstance(seller_id, str) or not 0 < len(seller_id) <= 32:
        raise NotificationUnreadableError("OrderChangeNotification.SellerId is missing")
    trigger = change.get("OrderChangeTrigger") or {}
    raw_time = (trigger.get("TimeOfOrderChange") if isinstance(trigger, dict) else None) or (
        document.get("EventTime")
    )
    try:
        order_id = values.check_order_id(str(change.get("AmazonOrderId") or ""))
        when = values.parse_datetime(str(raw_time or ""), name="TimeOfOrderChange")
    except (ValueError, TypeError, ArithmeticError) as exc:
        raise _bad(seller_id, notification_id, exc) from exc
    return OrderChange(
        notification_id=notification_id,
        seller_id=seller_id,
        amazon_order_id=order_id,
        change_time=when,
        change_type=str(change.get("OrderChangeType") or "")[:40],
        summary=_summary(change.get("Summary")),
    )


def _summary(summary: object) -> OrderSummary | None:
    """Summary's status, marketplace and dates; None when one is missing or unreadable (then
    the order is fetched with getOrder, as if there were no Summary)."""
    if not isinstance(summary, dict):
        return None
    try:
        status = values.check_order_status(str(summary.get("OrderStatus") or ""))
        marketplace = values.check_marketplace_id(str(summary.get("MarketplaceId") or ""))
        purchased = values.parse_datetime(str(summary.get("PurchaseDate") or ""))
        latest = summary.get("LatestDeliveryDate")
        latest_delivery = values.parse_datetime(str(latest)) if latest else None
    except (ValueError, TypeError, ArithmeticError):
        return None
    if not values.is_known_status(status) or not marketplace:
        return None
    return OrderSummary(status, marketplace, purchased, latest_delivery)


class RoutableButUnreadableError(NotificationUnreadableError):
    """Unreadable, but we know whose it is: the tenant's history can say so."""

    def __init__(self, message: str, *, seller_id: str, notification_id: str) -> None:
        super().__init__(message)
        self.seller_id = seller_id
        self.notification_id = notification_id


def _bad(seller_id: str, notification_id: str, exc: BaseException) -> RoutableButUnreadableError:
    detail = values.clip(str(getattr(exc, "detail", None) or exc), 200)
    return RoutableButUnreadableError(
        f"ORDER_CHANGE notification {notification_id[:60]} could not be read: {detail}",
        seller_id=seller_id,
        notification_id=notification_id,
    )


def receive(*, max_messages: int = 10, wait_seconds: int | None = None) -> list[ReceivedMessage]:
    """One long poll (up to 20 s): at most 10 messages."""
    answer = sqs_client().receive_message(
        QueueUrl=settings.AMAZON_SQS_QUEUE_URL,
        MaxNumberOfMessages=max(1, min(10, max_messages)),
        WaitTimeSeconds=settings.LIVE_UPDATES_WAIT_SECONDS
        if wait_seconds is None
        else wait_seconds,
        MessageSystemAttributeNames=["ApproximateReceiveCount"],
    )
    return [
        ReceivedMessage(
            message_id=m["MessageId"],
            receipt_handle=m["ReceiptHandle"],
            receive_count=int((m.get("Attributes") or {}).get("ApproximateReceiveCount", 1)),
            body=m.get("Body") or "",
        )
        for m in answer.get("Messages", [])
    ]


def delete(messages: list[ReceivedMessage]) -> None:
    """Delete messages (10 per call, SQS's limit)."""
    for start in range(0, len(messages), 10):
        chunk = messages[start : start + 10]
        sqs_client().delete_message_batch(
            QueueUrl=settings.AMAZON_SQS_QUEUE_URL,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m.receipt_handle} for i, m in enumerate(chunk)
            ],
        )


def retry_later(messages: list[ReceivedMessage], seconds: int) -> None:
    """Hand the messages out again in ``seconds`` (not deleted: SQS counts the receive)."""
    for start in range(0, len(messages), 10):
        chunk = messages[start : start + 10]
        sqs_client().change_message_visibility_batch(
            QueueUrl=settings.AMAZON_SQS_QUEUE_URL,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m.receipt_handle, "VisibilityTimeout": seconds}
                for i, m in enumerate(chunk)
            ],
        )


def depth(queue_url: str | None = None) -> dict[str, int]:
    """Messages waiting and in flight (approximate, as SQS counts them)."""
    attributes = sqs_client().get_queue_attributes(
        QueueUrl=queue_url or settings.AMAZON_SQS_QUEUE_URL,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return {
        "waiting": int(attributes.get("ApproximateNumberOfMessages", 0)),
        "in_flight": int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)),
    }


def create_local_queue(name: str, *, visibility_seconds: int = 60) -> tuple[str, str]:
    """For moto / a developer account: the queue and its dead-letter queue (redrive after
    LIVE_UPDATES_MAX_RECEIVES receives). Returns (queue URL, dead-letter queue URL)."""
    client = sqs_client()
    dlq_url = client.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = client.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    redrive = {
        "deadLetterTargetArn": dlq_arn,
        "maxReceiveCount": settings.LIVE_UPDATES_MAX_RECEIVES,
    }
    url = client.create_queue(
        QueueName=name,
        Attributes={
            "VisibilityTimeout": str(visibility_seconds),
            "RedrivePolicy": json.dumps(redrive),
        },
    )["QueueUrl"]
    return url, dlq_url
