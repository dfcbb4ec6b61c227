"""Subscribing a tenant's seller to ORDER_CHANGE, and unsubscribing it.

``live_updates_subscribe`` makes Amazon match what the tenant wants, whatever happened
before (it is idempotent, and runs as a task after every Amazon connect, switch and
uninstall):

* wanted — the installation has a queue (AMAZON_SQS_QUEUE_URL), the tenant is connected
  through SP-API and has live updates on: the application's SQS destination (created once,
  grantless, remembered in NotificationDestination) and the seller's ORDER_CHANGE
  subscription with an event filter for the tenant's marketplaces;
* not wanted (MWS, switched off, no queue) or subscribed for another seller, application
  or marketplaces: the old subscription is deleted (grantless, by its id).

A Seller ID connected in several organisations through the same application shares
Amazon's one subscription (one per seller, application and type): its event filter covers
every marketplace of the organisations that want live updates (crm_sync.services.
live_routing sends each notification to those selling in its marketplace), and an
organisation that leaves (switch off, MWS, uninstall) only forgets it while others still
use it.

Errors land on the Schedules page (LiveUpdates.last_error) with what to do.
"""

from __future__ import annotations

import logging

from celery import current_app
from django.db import transaction
from django.utils import timezone

from amazon_ext.amazon.errors import AmazonError
from amazon_ext.amazon.factory import _lwa_client_secret, _reveal
from amazon_ext.amazon.marketplaces import SPAPI_ENDPOINTS, marketplace_for
from amazon_ext.amazon.spapi.notifications import NotificationsClient
from amazon_ext.models import AmazonCredentials, ConnectionKind
from crm_sync.models import LiveUpdates, NotificationDestination
from crm_sync.services import live_queue
from crm_sync.services.live_receipts import live_updates_for, status_error

logger = logging.getLogger(__name__)
DESTINATION_NAME = "amazon-zoho-sync ORDER_CHANGE"
SUBSCRIBE_TASK = "crm_sync.tasks.live_updates_subscribe"


def _host(marketplace_ids: list[str]) -> str:
    for marketplace_id in marketplace_ids:
        marketplace = marketplace_for(marketplace_id)
        if marketplace is not None:
            return SPAPI_ENDPOINTS[marketplace.spapi_region].removeprefix("https://")
    return SPAPI_ENDPOINTS["na"].removeprefix("https://")


def _grantless_client(live: LiveUpdates) -> NotificationsClient:
    """The subscribing application's grantless client, from what the subscription kept."""
    return NotificationsClient(
        host=_host(list(live.marketplace_ids or [])),
        lwa_client_id=live.lwa_client_id,
        lwa_client_secret=_reveal(live.lwa_client_secret),
    )


def _client(credentials: AmazonCredentials, *, seller: bool) -> NotificationsClient:
    return NotificationsClient(
        host=_host(list(credentials.marketplace_ids or [])),
        lwa_client_id=credentials.lwa_client_id,
        lwa_client_secret=_lwa_client_secret(credentials),
        seller_id=credentials.seller_id if seller else "",
        lwa_refresh_token=_reveal(credentials.lwa_refresh_token) if seller else "",
    )


def live_updates_set(*, tenant_id: int, enabled: bool) -> LiveUpdates:
    """Switch live updates on or off (Settings); Amazon is told after the commit."""
    live = live_updates_for(tenant_id=tenant_id)
    LiveUpdates.objects.filter(pk=live.pk).update(enabled=enabled)
    live.refresh_from_db()
    _subscribe_on_commit(tenant_id)
    return live


def live_updates_changed(*, tenant_id: int) -> None:
    """The tenant's Amazon connection changed (connect, switch to MWS, new seller)."""
    _subscribe_on_commit(tenant_id)


def _subscribe_on_commit(tenant_id: int) -> None:
    # By name (crm_sync.services.enqueue's rule): the task calls this module back.
    transaction.on_commit(lambda: current_app.tasks[SUBSCRIBE_TASK].delay(tenant_id))


def live_updates_subscribe(*, tenant_id: int) -> LiveUpdates:
    """Make Amazon's subscription match what the tenant wants (see the module docstring)."""
    live = live_updates_for(tenant_id=tenant_id)
    credentials = AmazonCredentials.objects.filter(tenant_id=tenant_id).first()
    wanted = (
        live_queue.configured()
        and live.enabled
        and credentials is not None
        and credentials.kind == ConnectionKind.SPAPI
    )
    peers = _peers(credentials, tenant_id) if wanted else []
    marketplaces = _union(credentials, peers) if credentials else []
    same = (
        credentials is not None
        and live.seller_id == credentials.seller_id
        and live.lwa_client_id == credentials.lwa_client_id
        and sorted(live.marketplace_ids or []) == sorted(marketplaces)
    )
    try:
        if live.subscription_id and (not wanted or not same):
            _unsubscribe(live, credentials)
        if wanted and not live.subscription_id:
            _subscribe(live, credentials, marketplaces, peers)
    except AmazonError as exc:
        logger.warning("tenant %s: live updates subscription failed: %s", tenant_id, exc)
        status_error(
            tenant_id=tenant_id,
            message=f"Amazon refused the live-updates subscription: {exc} Live updates "
            "try again when you save Settings; the daily schedules keep the CRM in step.",
        )
    live.refresh_from_db()
    return live


def _peers(credentials: AmazonCredentials, tenant_id: int) -> list[LiveUpdates]:
    """The other organisations that want live updates for this seller through this
    application (they share its subscription)."""
    tenant_ids = AmazonCredentials.objects.filter(
        kind=ConnectionKind.SPAPI,
        seller_id=credentials.seller_id,
        lwa_client_id=credentials.lwa_client_id,
    ).exclude(tenant_id=tenant_id)
    return [
        live_updates_for(tenant_id=other)
        for other in tenant_ids.values_list("tenant_id", flat=True)
        if live_updates_for(tenant_id=other).enabled
    ]


def _union(credentials: AmazonCredentials, peers: list[LiveUpdates]) -> list[str]:
    """The tenant's marketplaces in its order, then those only its peers sell in."""
    marketplaces = list(credentials.marketplace_ids or [])
    for peer in peers:
        peer_credentials = AmazonCredentials.objects.filter(tenant_id=peer.tenant_id).first()
        for marketplace_id in peer_credentials.marketplace_ids or [] if peer_credentials else []:
            if marketplace_id not in marketplaces:
                marketplaces.append(marketplace_id)
    return marketplaces


def _subscribe(
    live: LiveUpdates,
    credentials: AmazonCredentials,
    marketplaces: list[str],
    peers: list[LiveUpdates],
) -> None:
    held = next((p for p in peers if p.subscription_id), None)
    if held is not None and sorted(held.marketplace_ids or []) == sorted(marketplaces):
        _record(live, credentials, held.subscription_id, marketplaces, [])
        return
    if held is not None:  # its filter lacks a marketplace: Amazon's one subscription anew
        _unsubscribe(held, None, shared_too=True)
    subscription_id = _create(credentials, marketplaces)
    _record(live, credentials, subscription_id, marketplaces, peers)
    logger.info("tenant %s: subscribed to ORDER_CHANGE", live.tenant_id)


def _record(
    live: LiveUpdates,
    credentials: AmazonCredentials,
    subscription_id: str,
    marketplaces: list[str],
    peers: list[LiveUpdates],
) -> None:
    secret = _lwa_client_secret(credentials)
    for row in [live, *peers]:
        row.lwa_client_secret = secret
        row.save(update_fields=["lwa_client_secret"])
    LiveUpdates.objects.filter(pk__in=[live.pk, *(p.pk for p in peers)]).update(
        subscription_id=subscription_id,
        seller_id=credentials.seller_id,
        lwa_client_id=credentials.lwa_client_id,
        marketplace_ids=marketplaces,
        subscribed_at=timezone.now(),
    )
    LiveUpdates.objects.filter(pk=live.pk).update(last_error="", last_error_at=None)
    live.refresh_from_db()


def _create(credentials: AmazonCredentials, marketplaces: list[str]) -> str:
    arn = live_queue.queue_arn()
    host = _host(list(credentials.marketplace_ids or []))
    with _client(credentials, seller=True) as client:
        destination = NotificationDestination.objects.filter(
            lwa_client_id=credentials.lwa_client_id, host=host, sqs_arn=arn
        ).first()
        if destination is None:
            found = client.ensure_destination(name=DESTINATION_NAME, sqs_arn=arn)
            destination, _ = NotificationDestination.objects.get_or_create(
                lwa_client_id=credentials.lwa_client_id,
                host=host,
                sqs_arn=arn,
                defaults={"destination_id": found.destination_id},
            )
        subscription = client.create_subscription(
            destination_id=destination.destination_id, marketplace_ids=marketplaces
        )
    return subscription.subscription_id


def _unsubscribe(
    live: LiveUpdates, credentials: AmazonCredentials | None, *, shared_too: bool = False
) -> None:
    """Delete the subscription with the application it was made with (grantless, with the
    secret kept at subscribing). Should that be unknown, the subscription is forgotten here
    and the consumer deletes its notifications unread (live updates off for the seller).
    Another organisation still using it keeps it (unless ``shared_too``: it is remade)."""
    sharing = LiveUpdates.objects.filter(subscription_id=live.subscription_id).exclude(pk=live.pk)
    if sharing.exists() and not shared_too:
        logger.info("tenant %s: subscription kept for the seller's other organisations", live.tenant_id)  # fmt: skip
    elif live.lwa_client_secret:
        with _grantless_client(live) as client:
            client.delete_subscription(live.subscription_id)
    elif credentials is not None and credentials.lwa_client_id == live.lwa_client_id:
        with _client(credentials, seller=False) as client:
            client.delete_subscription(live.subscription_id)
    else:
        logger.warning(
            "tenant %s: subscription %s left to lapse (its application's secret is unknown)",
            live.tenant_id,
            live.subscription_id,
        )
    rows = sharing if shared_too else LiveUpdates.objects.none()
    LiveUpdates.objects.filter(pk__in=[live.pk, *rows.values_list("pk", flat=True)]).update(
        subscription_id="", subscribed_at=None, seller_id="", marketplace_ids=[]
    )
    live.subscription_id = ""


def live_updates_unsubscribe_now(*, tenant_id: int) -> bool:
    """Uninstall: delete the subscription before the tenant's rows go (never blocks the
    uninstall). True when Amazon deleted it (or there was none)."""
    live = LiveUpdates.objects.filter(tenant_id=tenant_id).first()
    if live is None or not live.subscription_id:
        return True
    credentials = AmazonCredentials.objects.filter(tenant_id=tenant_id).first()
    try:
        _unsubscribe(live, credentials)
    except AmazonError as exc:
        logger.warning("tenant %s: subscription not deleted at uninstall: %s", tenant_id, exc)
        return False
    return True
