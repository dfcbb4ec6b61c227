"""Which organisations a notification is for, and when its message may go.

A Seller ID may be connected in more than one organisation (two Zoho CRMs fed by one Amazon
account, say a company's and its accountant's). Amazon keeps one ORDER_CHANGE subscription
per seller and application, so they share it (crm_sync.services.live_subscription), and a
notification goes to every organisation that connected its seller through SP-API and sells
in its marketplace (Summary.MarketplaceId; a notification without a readable one goes to
all of them). Each organisation records its own receipt, runs its own live update and
checkpoint; the SQS message is deleted only once every one of them is through with it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from amazon_ext.models import AmazonCredentials, ConnectionKind
from crm_sync.services.live_queue import OrderChange, ReceivedMessage


@dataclass(frozen=True)
class Subscriber:
    tenant_id: int
    marketplace_ids: frozenset[str]


def subscribers_by_seller(*, seller_ids: set[str]) -> dict[str, list[Subscriber]]:
    """Every SP-API organisation of each Seller ID, oldest connection first."""
    found: dict[str, list[Subscriber]] = defaultdict(list)
    rows = (
        AmazonCredentials.objects.filter(kind=ConnectionKind.SPAPI, seller_id__in=seller_ids)
        .order_by("pk")
        .values_list("seller_id", "tenant_id", "marketplace_ids")
    )
    for seller_id, tenant_id, marketplace_ids in rows:
        found[seller_id].append(Subscriber(tenant_id, frozenset(marketplace_ids or [])))
    return dict(found)


def tenants_for(change: OrderChange, subscribers: dict[str, list[Subscriber]]) -> list[int]:
    """The organisations ``change`` is for (none: not a seller of ours, or not a marketplace
    any of its organisations sells in)."""
    candidates = subscribers.get(change.seller_id, [])
    if change.summary is None:
        return [s.tenant_id for s in candidates]
    marketplace = change.summary.marketplace_id
    return [s.tenant_id for s in candidates if marketplace in s.marketplace_ids]


@dataclass
class Owners:
    """The organisations each received message (by MessageId) still waits for."""

    waiting: dict[str, set[int]] = field(default_factory=dict)

    def claim(self, message: ReceivedMessage, tenant_ids: list[int]) -> None:
        self.waiting.setdefault(message.message_id, set()).update(tenant_ids)

    def release(self, tenant_id: int, messages: list[ReceivedMessage]) -> list[ReceivedMessage]:
        """``tenant_id`` is through with ``messages``; returns those nobody waits for now."""
        free = []
        for message in messages:
            waiting = self.waiting.get(message.message_id)
            if waiting is not None:
                waiting.discard(tenant_id)
                if waiting:
                    continue
                del self.waiting[message.message_id]
            free.append(message)
        return free

    def forget(self, messages: list[ReceivedMessage]) -> None:
        """Handed back to SQS (a retry): routed afresh when it comes again."""
        for message in messages:
            self.waiting.pop(message.message_id, None)
