"""SP-API Notifications API v1: the SQS destination and a seller's ORDER_CHANGE subscription.

Facts from models/notifications-api-model/notifications.json (amzn/selling-partner-api-models):

* every operation is 1 request/s, burst 5 (one bucket per operation, paced like Orders);
* destinations belong to the *application*: ``createDestination``, ``getDestinations`` and
  ``deleteSubscriptionById`` are *grantless* — an LWA token from the app's client id and
  secret (``grant_type=client_credentials``, ``scope=sellingpartnerapi::notifications``),
  no seller refresh token;
* ``createSubscription`` / ``getSubscription`` act for one seller (the seller's LWA access
  token); ``processingDirective.eventFilter`` (``eventFilterType=ORDER_CHANGE``,
  ``marketplaceIds``) limits what Amazon sends. A second createSubscription for the same
  type and payload version answers 409; the existing one is then read back.
When to call them (once per application, on connect, on disconnect) is decided elsewhere.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass

from amazon_ext.amazon.base import ClientStats
from amazon_ext.amazon.errors import AmazonRequestError, AmazonResponseError
from amazon_ext.amazon.pacing import QuotaPacer
from amazon_ext.amazon.spapi.lwa import LwaTokens, _token_url
from amazon_ext.amazon.spapi.lwa_endpoint import post_token
from amazon_ext.amazon.spapi.operations import USAGE_PLANS, UsagePlan
from amazon_ext.amazon.spapi.transport import AmazonNotFoundError, SpApiTransport

NOTIFICATION_TYPE = "ORDER_CHANGE"
PAYLOAD_VERSION = "1.0"
GRANTLESS_SCOPE = "sellingpartnerapi::notifications"
BASE = "/notifications/v1"

CREATE_DESTINATION = "createDestination"
GET_DESTINATIONS = "getDestinations"
CREATE_SUBSCRIPTION = "createSubscription"
GET_SUBSCRIPTION = "getSubscription"
DELETE_SUBSCRIPTION = "deleteSubscriptionById"
# The model's usage plan for every Notifications operation: 1 request/s, burst 5.
for _operation in (
    CREATE_DESTINATION,
    GET_DESTINATIONS,
    CREATE_SUBSCRIPTION,
    GET_SUBSCRIPTION,
    DELETE_SUBSCRIPTION,
):
    USAGE_PLANS.setdefault(_operation, UsagePlan(1.0, 5))


@dataclass(frozen=True)
class Destination:
    destination_id: str
    name: str
    sqs_arn: str


@dataclass(frozen=True)
class Subscription:
    subscription_id: str
    destination_id: str
    marketplace_ids: tuple[str, ...]


class GrantlessTokens:
    """LWA access tokens for the application itself (client_credentials grant), kept in
    memory until shortly before they expire. Same token provider shape as LwaTokens."""

    def __init__(self, *, client_id: str, client_secret: str, token_url: str | None = None):
        self.client_id = client_id.strip()
        self._secret = client_secret.strip()
        self.token_url = token_url or _token_url()
        self._token: tuple[str, float] | None = None
        self._lock = threading.Lock()

    @property
    def secrets(self) -> tuple[str, ...]:
        return (self._secret,)

    def access_token(self, *, rejected: str | None = None) -> str:
        with self._lock:
            if self._token and self._token[0] != rejected and time.time() < self._token[1]:
                return self._token[0]
            body = post_token(
                {
                    "grant_type": "client_credentials",
                    "scope": GRANTLESS_SCOPE,
                    "client_id": self.client_id,
                    "client_secret": self._secret,
                },
                token_url=self.token_url,
                secrets=self.secrets,
                what="grantless token",
            )
            expires_in = float(body.get("expires_in") or 3600)
            margin = min(300.0, expires_in / 10)
            self._token = (str(body["access_token"]), time.time() + expires_in - margin)
            return self._token[0]


class NotificationsClient:
    """Notifications API calls for one application (grantless) and, when a refresh token is
    given, one seller. ``host`` is the region's SP-API host (sellingpartnerapi-na.amazon.com…)."""

    def __init__(
        self,
        *,
        host: str,
        lwa_client_id: str,
        lwa_client_secret: str,
        seller_id: str = "",
        lwa_refresh_token: str = "",
        pacer: QuotaPacer | None = None,
    ) -> None:
        self.stats = ClientStats()
        self._grantless = GrantlessTokens(client_id=lwa_client_id, client_secret=lwa_client_secret)
        self._seller = (
            LwaTokens(
                client_id=lwa_client_id,
                client_secret=lwa_client_secret,
                refresh_token=lwa_refresh_token,
            )
            if lwa_refresh_token
            else None
        )
        # Grantless buckets are the application's; seller ones are per seller + app.
        self._transport = SpApiTransport(
            seller_id=seller_id or "application",
            host=host,
            bucket_prefix=f"spapi:notifications:{lwa_client_id}:{seller_id or 'grantless'}",
            stats=self.stats,
            secrets=[lwa_client_secret, lwa_refresh_token],
            pacer=pacer,
        )

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> NotificationsClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ destinations
    def get_destinations(self) -> list[Destination]:
        body = self._call(GET_DESTINATIONS, f"{BASE}/destinations", grantless=True)
        payload = body.get("payload")
        if not isinstance(payload, list):
            raise _malformed(GET_DESTINATIONS)
        return [d for d in (_destination(item) for item in payload) if d is not None]

    def create_destination(self, *, name: str, sqs_arn: str) -> Destination:
        request = {"name": name[:256], "resourceSpecification": {"sqs": {"arn": sqs_arn}}}
        body = self._call(
            CREATE_DESTINATION, f"{BASE}/destinations", grantless=True, json_body=request
        )
        destination = _destination(body.get("payload"))
        if destination is None:
            raise _malformed(CREATE_DESTINATION)
        return destination

    def ensure_destination(self, *, name: str, sqs_arn: str) -> Destination:
        """The application's destination for ``sqs_arn``: an existing one, else a new one."""
        for destination in self.get_destinations():
            if destination.sqs_arn == sqs_arn:
                return destination
        return self.create_destination(name=name, sqs_arn=sqs_arn)

    # ------------------------------------------------------------------ subscriptions
    def get_subscription(self) -> Subscription | None:
        """The seller's ORDER_CHANGE subscription, or None when there is none (404)."""
        try:
            body = self._call(
                GET_SUBSCRIPTION,
                f"{BASE}/subscriptions/{NOTIFICATION_TYPE}",
                params={"payloadVersion": PAYLOAD_VERSION},
            )
        except AmazonNotFoundError:
            return None
        return _subscription(body.get("payload"))

    def create_subscription(
        self, *, destination_id: str, marketplace_ids: list[str]
    ) -> Subscription:
        """Subscribe the seller to ORDER_CHANGE for ``marketplace_ids``; an existing
        subscription (409) is returned as it is."""
        request = {
            "payloadVersion": PAYLOAD_VERSION,
            "destinationId": destination_id,
            "processingDirective": {
                "eventFilter": {
                    "eventFilterType": NOTIFICATION_TYPE,
                    "marketplaceIds": list(marketplace_ids),
                }
            },
        }
        try:
            body = self._call(
                CREATE_SUBSCRIPTION,
                f"{BASE}/subscriptions/{NOTIFICATION_TYPE}",
                json_body=request,
            )
        except AmazonRequestError:
            existing = self.get_subscription()
            if existing is None:
                raise
            return existing
        subscription = _subscription(body.get("payload"))
        if subscription is None:
            raise _malformed(CREATE_SUBSCRIPTION)
        return subscription

    def delete_subscription(self, subscription_id: str) -> bool:
        """Delete the subscription (grantless); False when Amazon no longer had it."""
        try:
            self._call(
                DELETE_SUBSCRIPTION,
                f"{BASE}/subscriptions/{NOTIFICATION_TYPE}/{subscription_id}",
                grantless=True,
                method="DELETE",
            )
        except AmazonNotFoundError:
            return False
        return True

    # ------------------------------------------------------------------ one call
    def _call(
        self,
        operation: str,
        path: str,
        *,
        grantless: bool = False,
        params: dict | None = None,
        json_body: dict | None = None,
        method: str | None = None,
    ) -> dict:
        if grantless:
            token = self._grantless.access_token
        elif self._seller is not None:
            token = self._seller.access_token
        else:
            raise ValueError(f"{operation} needs the seller's refresh token")
        raw, request_id = self._transport.call(
            operation,
            path,
            token=token,
            params=params,
            json_body=json.dumps(json_body) if json_body is not None else None,
            method=method,
        )
        if not raw:
            return {}
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise _malformed(operation, request_id) from exc
        if not isinstance(body, dict):
            raise _malformed(operation, request_id)
        return body


def _destination(item: object) -> Destination | None:
    if not isinstance(item, dict):
        return None
    sqs = ((item.get("resource") or {}).get("sqs") or {}) if isinstance(item, dict) else {}
    destination_id = item.get("destinationId")
    if not isinstance(destination_id, str) or not isinstance(sqs, dict):
        return None
    return Destination(
        destination_id=destination_id,
        name=str(item.get("name") or ""),
        sqs_arn=str(sqs.get("arn") or ""),
    )


def _subscription(item: object) -> Subscription | None:
    if not isinstance(item, dict):
        return None
    subscription_id = item.get("subscriptionId")
    destination_id = item.get("destinationId")
    if not isinstance(subscription_id, str) or not isinstance(destination_id, str):
        return None
    event_filter = (item.get("processingDirective") or {}).get("eventFilter") or {}
    marketplaces = event_filter.get("marketplaceIds") if isinstance(event_filter, dict) else None
    return Subscription(
        subscription_id=subscription_id,
        destination_id=destination_id,
        marketplace_ids=tuple(str(m) for m in marketplaces or ()),
    )


def _malformed(operation: str, request_id: str | None = None) -> AmazonResponseError:
    return AmazonResponseError(
        f"Amazon's answer to {operation} could not be read; live updates will try again.",
        code="MalformedResponse",
        request_id=request_id,
    )
