"""Fake SP-API Notifications API v1 (destinations, subscriptions, event filters).

From models/notifications-api-model/notifications.json (amzn/selling-partner-api-models):

* ``GET|POST /notifications/v1/destinations``, ``GET|DELETE …/destinations/{id}``: grantless
  (an LWA ``client_credentials`` token with scope ``sellingpartnerapi::notifications``); a
  destination belongs to the application (LWA client). ``resourceSpecification.sqs.arn``
  must look like ``arn:aws:sqs:<region>:<account>:<name>``; when the publisher knows an SQS
  endpoint the queue must exist there (Amazon checks it can send to it). A second
  destination for the same ARN is 409.
* ``GET|POST /notifications/v1/subscriptions/{type}``: the seller's token; one
  subscription per (seller, application, type, payload version): a second POST is 409.
  ``processingDirective.eventFilter`` needs ``eventFilterType`` equal to the type (for
  ORDER_CHANGE) and may carry ``marketplaceIds`` and ``orderChangeTypes``.
* ``GET|DELETE /notifications/v1/subscriptions/{type}/{id}``: grantless.
* Every operation 1 request/s, burst 5, per application (and seller) and operation; 429s
  carry no rate header; ``x-amzn-RateLimit-Limit`` on 200/400/404.

When an order in the book changes, :mod:`sandbox.amazon.sqs_publisher` sends ORDER_CHANGE
messages for the subscriptions that match it.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from dataclasses import dataclass, field

from werkzeug.wrappers import Request, Response

from sandbox.amazon.sperror import SpError
from sandbox.amazon.sqs_publisher import OrderChangePublisher
from sandbox.amazon.state import AmazonState
from sandbox.common.buckets import BucketRegistry, TokenBucket

PREFIX = "/notifications/v1/"
GRANTLESS_SCOPES = frozenset(
    {"sellingpartnerapi::notifications", "sellingpartnerapi::client_credential:rotation"}
)
RATE, BURST, RATE_HEADER = 1.0, 5, "1.0"
TYPES = frozenset({"ORDER_CHANGE", "ANY_OFFER_CHANGED", "REPORT_PROCESSING_FINISHED"})
ORDER_CHANGE_TYPES = frozenset({"BuyerRequestedChange", "DeliveryTipChange", "OrderStatusChange"})
ARN_RE = re.compile(r"^arn:aws:sqs:\S+:\S+:\S+$")


def owns(path: str) -> bool:
    return path.startswith(PREFIX)


@dataclass
class Destination:
    destination_id: str
    client_id: str
    name: str
    arn: str

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "destinationId": self.destination_id,
            "resource": {"sqs": {"arn": self.arn}},
        }


@dataclass
class Subscription:
    subscription_id: str
    seller_id: str
    client_id: str
    notification_type: str
    payload_version: str
    destination_id: str
    event_filter: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        body = {
            "subscriptionId": self.subscription_id,
            "payloadVersion": self.payload_version,
            "destinationId": self.destination_id,
        }
        if self.event_filter:
            body["processingDirective"] = {"eventFilter": dict(self.event_filter)}
        return body

    def matches(self, marketplace_id: str, change_type: str) -> bool:
        marketplaces = self.event_filter.get("marketplaceIds")
        types = self.event_filter.get("orderChangeTypes")
        return (not marketplaces or marketplace_id in marketplaces) and (
            not types or change_type in types
        )


class NotificationsApi:
    """Destinations and subscriptions of one stand-in; ``publisher`` sends the messages."""

    def __init__(self, state: AmazonState, spapi) -> None:
        self.s = state
        self.spapi = spapi
        self._lock = threading.Lock()
        self.destinations: dict[str, Destination] = {}
        self.subscriptions: dict[str, Subscription] = {}
        scale = state.time_scale
        now = state.clock.monotonic
        self.buckets = BucketRegistry(lambda key: TokenBucket(BURST, RATE, now, time_scale=scale))
        self.publisher = OrderChangePublisher(state, self)
        state.book.listeners.append(self.publisher.order_changed)

    def subscriptions_for(self, seller_id: str) -> list[tuple[Subscription, Destination]]:
        with self._lock:
            return [
                (sub, self.destinations[sub.destination_id])
                for sub in self.subscriptions.values()
                if sub.seller_id == seller_id and sub.destination_id in self.destinations
            ]

    # ------------------------------------------------------------------ routing
    def handle(self, request: Request) -> Response:
        parts = request.path[len(PREFIX) :].strip("/").split("/")
        operation, grantless = self._operation(request.method, parts)
        if operation:
            request.environ["sandbox.operation"] = operation
        try:
            if not operation:
                raise SpError(404, "NotFound", "Resource not found")
            grant = self._authenticate(request, grantless)
            fault = self.s.apply_fault(request, operation, self.spapi._fault_error)
            if fault is not None:
                return fault
            bucket = (grant.client_id, grant.seller_id, operation)
            if self.s.throttle and not self.buckets.try_acquire(bucket):
                self.s.stats.add("throttled")
                raise SpError(429, "QuotaExceeded", "You exceeded your quota for the requested resource.", rate_header=False)  # fmt: skip
            data = getattr(self, "_" + operation)(request, grant, parts)
            return self.spapi._json(data, 200, RATE_HEADER)
        except SpError as err:
            return self.spapi._error(err, RATE_HEADER)

    @staticmethod
    def _operation(method: str, parts: list[str]) -> tuple[str, bool]:
        if parts[0] == "destinations" and len(parts) == 1:
            return {"GET": "getDestinations", "POST": "createDestination"}.get(method, ""), True
        if parts[0] == "destinations" and len(parts) == 2:
            return {"GET": "getDestination", "DELETE": "deleteDestination"}.get(method, ""), True
        if parts[0] == "subscriptions" and len(parts) == 2:
            ops = {"GET": "getSubscription", "POST": "createSubscription"}
            return ops.get(method, ""), False
        if parts[0] == "subscriptions" and len(parts) == 3:
            ops = {"GET": "getSubscriptionById", "DELETE": "deleteSubscriptionById"}
            return ops.get(method, ""), True
        return "", False

    def _authenticate(self, request: Request, grantless: bool):
        token = request.headers.get("x-amz-access-token", "")
        grant = self.spapi.lwa.grants.get(token)
        if grant is None or grant.expires < self.spapi._now() or grant.resources is not None:
            raise SpError(403, "Unauthorized", "", rate_header=False)
        # Grantless operations take only a grantless token, seller ones only a seller's.
        if grantless != (grant.seller_id == ""):
            raise SpError(403, "Unauthorized", "", rate_header=False)
        if not grantless and grant.seller_id not in self.s.sellers:
            raise SpError(403, "Unauthorized", "", rate_header=False)
        return grant

    @staticmethod
    def _body(request: Request) -> dict:
        try:
            body = json.loads(request.get_data(as_text=True) or "null")
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise SpError(400, "InvalidInput", "The request body is not a JSON object.")
        return body

    # ------------------------------------------------------------------ destinations
    def _getDestinations(self, request, grant, parts) -> dict:  # noqa: N802
        with self._lock:
            mine = [
                d.to_json() for d in self.destinations.values() if d.client_id == grant.client_id
            ]
        return {"payload": mine}

    def _createDestination(self, request, grant, parts) -> dict:  # noqa: N802
        body = self._body(request)
        name = body.get("name")
        arn = ((body.get("resourceSpecification") or {}).get("sqs") or {}).get("arn")
        if not isinstance(name, str) or not name or len(name) > 256:
            raise SpError(400, "InvalidInput", "name is required (at most 256 characters).")
        if not isinstance(arn, str) or len(arn) > 1000 or not ARN_RE.match(arn):
            raise SpError(400, "InvalidInput", "resourceSpecification.sqs.arn is not an SQS ARN.")
        if not self.publisher.queue_reachable(arn):
            raise SpError(400, "InvalidInput", f"Amazon cannot send messages to {arn}: check the queue exists and its policy allows SP-API to SendMessage.")  # fmt: skip
        with self._lock:
            for d in self.destinations.values():
                if d.client_id == grant.client_id and d.arn == arn:
                    raise SpError(409, "Conflict", "A destination for this resource already exists.")  # fmt: skip
            destination = Destination(str(uuid.uuid4()), grant.client_id, name, arn)
            self.destinations[destination.destination_id] = destination
        return {"payload": destination.to_json()}

    def _destination(self, grant, destination_id: str) -> Destination:
        d = self.destinations.get(destination_id)
        if d is None or d.client_id != grant.client_id:
            raise SpError(404, "NotFound", "The destination was not found.")
        return d

    def _getDestination(self, request, grant, parts) -> dict:  # noqa: N802
        return {"payload": self._destination(grant, parts[1]).to_json()}

    def _deleteDestination(self, request, grant, parts) -> dict:  # noqa: N802
        with self._lock:
            self._destination(grant, parts[1])
            del self.destinations[parts[1]]
        return {}

    # ------------------------------------------------------------------ subscriptions
    def _type(self, parts: list[str]) -> str:
        if parts[1] not in TYPES:
            raise SpError(400, "InvalidInput", f"{parts[1][:60]} is not a notification type.")
        return parts[1]

    def _mine(self, grant, notification_type: str) -> Subscription | None:
        for sub in self.subscriptions.values():
            if (sub.seller_id, sub.client_id, sub.notification_type) == (
                grant.seller_id,
                grant.client_id,
                notification_type,
            ):
                return sub
        return None

    def _getSubscription(self, request, grant, parts) -> dict:  # noqa: N802
        notification_type = self._type(parts)
        with self._lock:
            sub = self._mine(grant, notification_type)
        if sub is None:
            raise SpError(404, "NotFound", "The subscription was not found.")
        return {"payload": sub.to_json()}

    def _createSubscription(self, request, grant, parts) -> dict:  # noqa: N802
        notification_type = self._type(parts)
        body = self._body(request)
        version = body.get("payloadVersion")
        destination_id = body.get("destinationId")
        if not isinstance(version, str) or not isinstance(destination_id, str):
            raise SpError(400, "InvalidInput", "payloadVersion and destinationId are required.")
        event_filter = self._event_filter(body.get("processingDirective"), notification_type)
        with self._lock:
            if self._mine(grant, notification_type) is not None:
                raise SpError(409, "Conflict", "A subscription for this notification type and payload version already exists.")  # fmt: skip
            self._destination(grant, destination_id)
            sub = Subscription(
                str(uuid.uuid4()),
                grant.seller_id,
                grant.client_id,
                notification_type,
                version,
                destination_id,
                event_filter,
            )
            self.subscriptions[sub.subscription_id] = sub
        return {"payload": sub.to_json()}

    @staticmethod
    def _event_filter(directive: object, notification_type: str) -> dict:
        if directive is None:
            return {}
        if not isinstance(directive, dict) or not isinstance(
            directive.get("eventFilter", {}), dict
        ):
            raise SpError(400, "InvalidInput", "processingDirective is not an object.")
        event_filter = directive.get("eventFilter") or {}
        if not event_filter:
            return {}
        if event_filter.get("eventFilterType") != notification_type:
            raise SpError(400, "InvalidInput", f"eventFilterType must be {notification_type}.")
        marketplaces = event_filter.get("marketplaceIds")
        if marketplaces is not None and (
            not isinstance(marketplaces, list) or not all(isinstance(m, str) for m in marketplaces)
        ):
            raise SpError(400, "InvalidInput", "marketplaceIds must be a list of strings.")
        types = event_filter.get("orderChangeTypes")
        if types is not None and (
            not isinstance(types, list) or not set(types) <= ORDER_CHANGE_TYPES
        ):
            raise SpError(400, "InvalidInput", "orderChangeTypes holds an unknown type.")
        return {k: v for k, v in event_filter.items() if v is not None}

    def _by_id(self, grant, parts) -> Subscription:
        sub = self.subscriptions.get(parts[2])
        if sub is None or sub.client_id != grant.client_id or sub.notification_type != parts[1]:
            raise SpError(404, "NotFound", "The subscription was not found.")
        return sub

    def _getSubscriptionById(self, request, grant, parts) -> dict:  # noqa: N802
        self._type(parts)
        with self._lock:
            return {"payload": self._by_id(grant, parts).to_json()}

    def _deleteSubscriptionById(self, request, grant, parts) -> dict:  # noqa: N802
        self._type(parts)
        with self._lock:
            del self.subscriptions[self._by_id(grant, parts).subscription_id]
        return {}
