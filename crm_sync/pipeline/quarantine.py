"""Quarantine: an order that cannot be read or mapped is set aside, never fatal.

One poison order (an impossible date, an absurd amount, items Amazon garbled, money in two
currencies) used to fail its whole page, and since the cursor never moved, every later run
too. Now the pipeline sets it aside per order:

* Order History gets a ``quarantined`` row with the reason and a short excerpt (the id, the
  field and a clipped value, where it sat on the page; never buyer name, email or address),
  and the run ends "Completed with errors" with a line telling the user to Replay it;
* ``QuarantinedOrder`` remembers it (``attempts``), so the next runs re-read it by id
  (crm_sync.sources.listing) and a Replay can bring it in by hand;
* it does **not** hold the source's cursor: the rest of the page and the run go on.

An order whose status is not one Amazon documents is not quarantined: it is written with
Amazon's value in *Amazon Order Status* (Zoho's Status is not guessed) and flagged in Order
History. Once an order goes through, its quarantine is resolved with a ``replayed`` row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from amazon_ext.amazon import values
from amazon_ext.amazon.base import unreadable_reason
from amazon_ext.amazon.errors import AmazonResponseError
from amazon_ext.amazon.types import Order, UnreadableOrder
from crm_sync import mapping
from crm_sync.buyer_keys import BuyerKeyer
from crm_sync.pipeline.items import with_items
from crm_sync.pipeline.job import Counts, SyncJob
from crm_sync.pipeline.mapped import MappedOrder, map_order
from crm_sync.pipeline.plan import Plan
from history.models import OrderEvent, QuarantinedOrder

# What mapping one hostile order can raise besides its own refusal (Decimal overflow etc.).
UNMAPPABLE_ERRORS = (mapping.UnmappableOrderError, ValueError, ArithmeticError)
REPLAY_HINT = "Replay it from Order History once Amazon's answer is right"


class Quarantine:
    """One run's quarantine bookkeeping: what it set aside, and which orders went through."""

    def __init__(self, job: SyncJob) -> None:
        self.job = job
        self.set_aside: set[str] = set()
        # Only the orders resolve() can act on are kept: those with an open quarantine
        # entry when the run began (a small set). Keeping every order the run took held a
        # 50,000-order backfill in memory to the end. An order quarantined during this run
        # is set aside and cannot go on in it, so the set does not need to grow.
        self.open_ids: frozenset[str] = frozenset(
            QuarantinedOrder.objects.filter(
                tenant_id=job.tenant_id, resolved_at__isnull=True
            ).values_list("amazon_order_id", flat=True)
        )
        self.taken: dict[str, Order] = {}

    # ---- setting orders aside ------------------------------------------------------------

    def record(self, unreadable: Sequence[UnreadableOrder], *, listed: bool = False) -> None:
        """Quarantine these orders (one transaction). ``listed``: they came straight from a
        listing page, so they also count as fetched."""
        if not unreadable:
            return
        job = self.job
        counts = Counts(orders_fetched=len(unreadable) if listed else 0)
        already = set(
            OrderEvent.objects.filter(
                run=job.run, action=OrderEvent.Action.QUARANTINED
            ).values_list("amazon_order_id", flat=True)
        )
        events = []
        for entry in unreadable:
            order_id = entry.amazon_order_id or f"(unreadable id #{entry.position})"
            self.set_aside.add(order_id)
            self.taken.pop(order_id, None)
            if order_id in already:
                continue  # a redelivered run lists the page again
            already.add(order_id)
            counts.records_failed += 1
            can_replay = entry.amazon_order_id is not None
            job.failures.append(
                f"Order {order_id}: quarantined: {entry.reason}. "
                + (
                    f"{REPLAY_HINT}."
                    if can_replay
                    else "Its id cannot be read, so it cannot be replayed."
                )
            )
            events.append(
                OrderEvent(
                    tenant_id=job.tenant_id,
                    run=job.run,
                    amazon_order_id=order_id[:32],
                    action=OrderEvent.Action.QUARANTINED,
                    message=_excerpt(entry),
                )
            )
            if can_replay:
                self._remember(entry.amazon_order_id, entry.reason)
        with transaction.atomic():
            OrderEvent.objects.bulk_create(events, ignore_conflicts=True)
            counts.save_to(job.run.pk)

    def _remember(self, amazon_order_id: str, reason: str) -> None:
        job = self.job
        entry, created = QuarantinedOrder.objects.get_or_create(
            tenant_id=job.tenant_id,
            amazon_order_id=amazon_order_id,
            defaults={"reason": reason, "last_run": job.run},
        )
        if created:
            return
        changes = {"reason": reason, "last_run": job.run, "resolved_at": None}
        if entry.last_run_id != job.run.pk or entry.resolved_at is not None:
            changes["attempts"] = F("attempts") + 1
        QuarantinedOrder.objects.filter(pk=entry.pk).update(last_seen_at=timezone.now(), **changes)

    # ---- reading and mapping one order at a time -----------------------------------------

    def with_items(self, orders: list[Order], *, included: bool) -> list[Order]:
        """``orders`` with their items; an order whose items Amazon garbled is quarantined
        and left out. The whole batch is fetched at once; only after an unreadable answer
        are the orders asked for one by one to find the bad one."""
        try:
            return with_items(self.job, orders, included=included)
        except AmazonResponseError as exc:
            if exc.code != "MalformedResponse" or not orders:
                raise
            first = exc
        if len(orders) == 1:
            self.record([_unreadable(orders[0], f"its items: {unreadable_reason(first)}")])
            return []
        full, bad = [], []
        for order in orders:
            try:
                full.extend(with_items(self.job, [order], included=False))
            except AmazonResponseError as exc:
                if exc.code != "MalformedResponse":
                    raise
                bad.append(_unreadable(order, f"its items: {unreadable_reason(exc)}"))
        self.record(bad)
        return full

    def mappable(self, orders: list[Order]) -> list[Order]:
        """The orders the mapping can write; the others are quarantined with its reason."""
        return [m.order for m in self.mapped(orders, BuyerKeyer.throwaway())]

    def mapped(self, orders: list[Order], keyer: BuyerKeyer) -> list[MappedOrder]:
        """The orders the mapping can write, mapped (``keyer``: the tenant's, so staging
        can stage these records); the others are quarantined with its reason."""
        good, bad = [], []
        names = self.job.names
        for order in orders:
            try:
                good.append(map_order(order, names, keyer))
            except UNMAPPABLE_ERRORS as exc:
                reason = getattr(exc, "reason", None) or str(exc) or type(exc).__name__
                bad.append(_unreadable(order, values.clip(str(reason), 300)))
        self.record(bad)
        return good

    def flag_unknown_statuses(self, plan: Plan) -> None:
        """An Order History ``flagged`` row for each order whose status Amazon does not
        document: written as Amazon sent it, nothing guessed."""
        job = self.job
        events = [
            OrderEvent(
                tenant_id=job.tenant_id,
                run=job.run,
                amazon_order_id=order.amazon_order_id,
                action=OrderEvent.Action.FLAGGED,
                new_status=order.order_status[:32],
                amazon_last_update=order.last_update_date,
                message=(
                    f"Amazon sent the order status {values.quote(order.order_status, 40)}, "
                    "which is not one Amazon documents. Zoho CRM shows it as Amazon sent it in "
                    "Amazon Order Status; the Sales Order's Status is left as it was, not guessed."
                ),
            )
            for order in (*plan.new, *plan.fill, *plan.status, *plan.touched)
            if not values.is_known_status(order.order_status)
        ]
        if events:
            OrderEvent.objects.bulk_create(events, ignore_conflicts=True)

    def went_on(self, orders: Iterable[Order]) -> None:
        """These orders were read and mapped and are on their way to Zoho."""
        if not self.open_ids:
            return
        for order in orders:
            order_id = order.amazon_order_id
            if order_id in self.open_ids and order_id not in self.set_aside:
                self.taken[order_id] = order

    # ---- resolving -----------------------------------------------------------------------

    def resolve(self) -> None:
        """After the last checkpoint: the quarantined orders this run read, mapped and wrote
        are resolved, each with a ``replayed`` row in Order History."""
        job = self.job
        failed = {f.amazon_order_id for f in job.failed_orders}
        done = {oid: o for oid, o in self.taken.items() if oid not in failed}
        if not done:
            return
        open_entries = list(
            QuarantinedOrder.objects.filter(
                tenant_id=job.tenant_id, resolved_at__isnull=True, amazon_order_id__in=list(done)
            )
        )
        if not open_entries:
            return
        now = timezone.now()
        events = [
            OrderEvent(
                tenant_id=job.tenant_id,
                run=job.run,
                amazon_order_id=entry.amazon_order_id,
                action=OrderEvent.Action.REPLAYED,
                new_status=done[entry.amazon_order_id].order_status[:32],
                amazon_last_update=done[entry.amazon_order_id].last_update_date,
                message=(
                    f"Read again from Amazon (run #{job.run.pk}, {job.run.get_trigger_display()}) "
                    f"after {entry.attempts} quarantined attempt(s), and sent to Zoho CRM."
                ),
            )
            for entry in open_entries
        ]
        with transaction.atomic():
            QuarantinedOrder.objects.filter(pk__in=[e.pk for e in open_entries]).update(
                resolved_at=now
            )
            OrderEvent.objects.bulk_create(events, ignore_conflicts=True)


def _unreadable(order: Order, reason: str) -> UnreadableOrder:
    return UnreadableOrder(amazon_order_id=order.amazon_order_id, position=0, reason=reason)


def _excerpt(entry: UnreadableOrder) -> str:
    """The Order History message: the reason (field and clipped value) and where it was."""
    where = [f"order #{entry.position} of its page"] if entry.position else []
    if entry.request_id:
        where.append(f"Amazon RequestId {values.clip(entry.request_id, 80)}")
    suffix = f" ({'; '.join(where)})" if where else ""
    hint = f" {REPLAY_HINT}." if entry.amazon_order_id else ""
    return values.clip(f"{entry.reason}{suffix}.{hint}", 1000)
