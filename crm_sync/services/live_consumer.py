"""The live-updates consumer: SQS → tenant → pipeline → delete.

One loop (``LiveConsumer.step``), any number of consumer processes:

1. take what the receivers brought meanwhile (crm_sync.services.live_intake: SQS long polls
   stay in flight while a gathering is written), or what arrives within
   LIVE_UPDATES_GATHER_SECONDS of the first message, so several changes of one order travel
   together;
2. route each notification by SellerId; record its NotificationId (the dedupe across
   restarts and consumers); a notification already written is deleted at once;
3. per tenant, take the tenant's run slot (``sync_run_start``: one running run per tenant):
   a live update never runs beside the tenant's scheduled run, which would fight over its
   staged rows and order states. While the slot is taken the messages wait here (their
   visibility extended, so SQS does not count a failure);
4. run the pipeline as a *Live update* run under its lease (``execute_run``; the source is
   the run's receipts, crm_sync.sources.notifications);
5. delete the messages whose receipts the checkpoint marked written. The others are handed
   out again after a back-off; on the last allowed receive the failure is recorded in the
   tenant's history, and SQS's redrive policy moves the message to the dead-letter queue.

A consumer killed anywhere loses nothing: undeleted messages come back after their
visibility timeout, a run it left behind is taken over once its lease expires, and what was
already checkpointed is not written again (receipts, order states, upserts).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from crm_sync.models import LiveUpdates
from crm_sync.services import live_queue
from crm_sync.services import live_receipts as receipts
from crm_sync.services.execute import execute_run
from crm_sync.services.lease import LeaseLostError, new_executor_token
from crm_sync.services.live_intake import Deleter, Intake, gather_now
from crm_sync.services.live_queue import (
    NotificationUnreadableError,
    OrderChange,
    ReceivedMessage,
    RoutableButUnreadableError,
)
from crm_sync.services.live_routing import Owners, subscribers_by_seller, tenants_for
from crm_sync.services.runs import _is_stale, sync_run_claim, sync_run_finish, sync_run_start
from history.models import ScheduleKind, SyncRun

logger = logging.getLogger(__name__)

PARK_EXTEND_SECONDS = 120  # visibility of messages waiting for their tenant's run slot


@dataclass
class Pending:
    """Messages of one tenant waiting to be processed."""

    items: list[tuple[ReceivedMessage, OrderChange]] = field(default_factory=list)
    extended_at: float = 0.0


class LiveConsumer:
    """Consumes the queue until ``stop`` is set. ``name`` goes into the executor tokens."""

    def __init__(self, *, name: str = "live", stop: threading.Event | None = None) -> None:
        self.name = name
        self.stop = stop or threading.Event()
        self.parked: dict[int, Pending] = {}
        self.processed = 0
        self.owners = Owners()
        self._intake: Intake | None = None
        self._deleter: Deleter | None = None

    def run_forever(self) -> None:
        self._intake = Intake(stop=self.stop).start()
        self._deleter = Deleter()
        while not self.stop.is_set():
            try:
                self.step()
            except Exception:  # one bad cycle must not stop live updates for everyone
                logger.exception("live updates: cycle failed; trying again")
                self.stop.wait(2.0)
            finally:
                close_old_connections()
        self._deleter.drain()

    def _delete(self, messages: list[ReceivedMessage]) -> None:
        if self._deleter is None:
            live_queue.delete(messages)
        else:
            self._deleter.delete(messages)

    # ------------------------------------------------------------------ one cycle
    def step(self) -> int:
        """Receive, route and process one gathering of messages; returns messages handled."""
        wait = 1 if self.parked else None
        started = time.monotonic()
        if self._intake is None:
            messages = gather_now(wait)
        else:
            messages = self._intake.take(wait=wait or settings.LIVE_UPDATES_WAIT_SECONDS)
        gathered = time.monotonic()
        by_tenant = self._route(messages)
        routed = time.monotonic()
        for tenant_id, pending in list(self.parked.items()):
            by_tenant.setdefault(tenant_id, Pending()).items[:0] = pending.items
            del self.parked[tenant_id]
        for tenant_id, pending in by_tenant.items():
            if self.stop.is_set():
                self.parked[tenant_id] = pending  # not processed: SQS hands them out again
                continue
            self._process_tenant(tenant_id, pending)
        self._extend_parked()
        if messages:
            logger.debug(
                "live updates: %s messages, gather %.2f s, route %.2f s, write %.2f s",
                len(messages),
                gathered - started,
                routed - gathered,
                time.monotonic() - routed,
            )
        return len(messages)

    # ------------------------------------------------------------------ routing
    def _route(self, messages: list[ReceivedMessage]) -> dict[int, Pending]:
        changes: list[tuple[ReceivedMessage, OrderChange]] = []
        for message in messages:
            try:
                changes.append((message, live_queue.parse_order_change(message.body)))
            except NotificationUnreadableError as exc:
                self._unreadable(message, exc)
        subscribers = subscribers_by_seller(seller_ids={c.seller_id for _, c in changes})
        grouped: dict[int, list[tuple[ReceivedMessage, OrderChange]]] = defaultdict(list)
        strangers = []
        for message, change in changes:
            tenant_ids = tenants_for(change, subscribers)
            if not tenant_ids:
                strangers.append(message)
            self.owners.claim(message, tenant_ids)
            for tenant_id in tenant_ids:
                grouped[tenant_id].append((message, change))
        if strangers:
            # Not a seller (or marketplace) of ours: nothing to write, nobody to tell.
            logger.info("live updates: %s notifications for nobody of ours deleted", len(strangers))
            self._delete(strangers)
        by_tenant: dict[int, Pending] = {}
        for tenant_id, items in grouped.items():
            receipts.status_event_received(tenant_id=tenant_id, at=timezone.now())
            states = receipts.receipts_take(tenant_id=tenant_id, changes=[c for _, c in items])
            duplicates = [m for m, c in items if states[c.notification_id] != "pending"]
            if duplicates:
                self._done(tenant_id, duplicates)
            fresh = [(m, c) for m, c in items if states[c.notification_id] == "pending"]
            if fresh:
                by_tenant[tenant_id] = Pending(items=fresh)
        return by_tenant

    def _done(self, tenant_id: int, messages: list[ReceivedMessage]) -> None:
        """``tenant_id`` is through with them: delete those no other organisation waits for."""
        self._delete(self.owners.release(tenant_id, messages))

    def _unreadable(self, message: ReceivedMessage, exc: NotificationUnreadableError) -> None:
        last = message.receive_count >= settings.LIVE_UPDATES_MAX_RECEIVES
        if isinstance(exc, RoutableButUnreadableError) and last:
            subscribers = subscribers_by_seller(seller_ids={exc.seller_id})
            for subscriber in subscribers.get(exc.seller_id, []):
                receipts.dead_letter_record(
                    tenant_id=subscriber.tenant_id,
                    reason=str(exc),
                    notification_id=exc.notification_id,
                )
        logger.warning(
            "live updates: message %s unreadable (receive %s): %s",
            message.message_id,
            message.receive_count,
            exc,
        )
        live_queue.retry_later([message], self._backoff(message.receive_count))

    # ------------------------------------------------------------------ one tenant
    def _process_tenant(self, tenant_id: int, pending: Pending) -> None:
        live = LiveUpdates.objects.filter(tenant_id=tenant_id).values_list("enabled", flat=True)
        if live and not live[0]:
            ids = [c.notification_id for _, c in pending.items]
            receipts.receipts_ignore(tenant_id=tenant_id, notification_ids=ids)
            self._done(tenant_id, [m for m, _ in pending.items])
            return
        self._take_over_dead_runs(tenant_id)
        run = sync_run_start(
            tenant=_tenant(tenant_id),
            schedule=ScheduleKind.SYNC_RECORDS,
            trigger=SyncRun.Trigger.LIVE,
            record_skip=False,
        )
        if run is None:
            # The tenant's scheduled run (or another consumer's live update) is running.
            self.parked[tenant_id] = pending
            return
        ids = [c.notification_id for _, c in pending.items]
        receipts.receipts_attach(run=run, notification_ids=ids)
        run = self._execute(run)
        done = receipts.receipts_done(tenant_id=tenant_id, notification_ids=ids)
        self._done(tenant_id, [m for m, c in pending.items if c.notification_id in done])
        self.processed += len(done)
        failed = [(m, c) for m, c in pending.items if c.notification_id not in done]
        if failed:
            self._failed(tenant_id, run, failed)
        else:
            receipts.status_written(tenant_id=tenant_id)
        receipts.run_forget_if_empty(run)

    def _execute(self, run: SyncRun) -> SyncRun:
        executor = new_executor_token(f"{self.name}-live")
        claimed = sync_run_claim(run_id=run.pk, executor=executor)
        if claimed is None:
            return run
        try:
            return execute_run(run=claimed, executor=executor, final_attempt=True)
        except LeaseLostError:
            logger.warning("live run %s: another executor took it over", run.pk)
            run.refresh_from_db()
            return run
        except Exception:
            logger.exception("live run %s: unexpected error", run.pk)
            return sync_run_finish(
                run_id=run.pk,
                executor=executor,
                failed_with=f"An internal error stopped the live update (reference: run "
                f"{run.pk}). The notification is tried again.",
            )

    def _take_over_dead_runs(self, tenant_id: int) -> None:
        """A live-update run whose consumer died (lease expired) is finished here, from its
        receipts; its messages come back from SQS and are then duplicates."""
        now = timezone.now()
        for run in SyncRun.objects.filter(
            tenant_id=tenant_id, outcome=SyncRun.Outcome.RUNNING, trigger=SyncRun.Trigger.LIVE
        ):
            if _is_stale(run, now):
                logger.warning("live run %s: its consumer stopped; finishing it", run.pk)
                receipts.run_forget_if_empty(self._execute(run))

    def _failed(
        self, tenant_id: int, run: SyncRun, failed: list[tuple[ReceivedMessage, OrderChange]]
    ) -> None:
        reason = receipts.failure_reason(run, [c.amazon_order_id for _, c in failed])
        receipts.status_error(
            tenant_id=tenant_id,
            message=f"{reason} The notification is tried again; the nightly runs also catch it.",
        )
        for message, change in failed:
            if message.receive_count >= settings.LIVE_UPDATES_MAX_RECEIVES:
                receipts.dead_letter_record(
                    tenant_id=tenant_id,
                    reason=reason,
                    notification_id=change.notification_id,
                    amazon_order_id=change.amazon_order_id,
                    change_time=change.change_time,
                    run=run,
                )
            self.owners.forget([message])
            live_queue.retry_later([message], self._backoff(message.receive_count))

    @staticmethod
    def _backoff(receive_count: int) -> int:
        return int(min(900, settings.LIVE_UPDATES_RETRY_SECONDS * 2 ** max(0, receive_count - 1)))

    def _extend_parked(self) -> None:
        now = time.monotonic()
        for pending in self.parked.values():
            if now - pending.extended_at > PARK_EXTEND_SECONDS / 3:
                live_queue.retry_later([m for m, _ in pending.items], PARK_EXTEND_SECONDS)
                pending.extended_at = now


def _tenant(tenant_id: int):
    from tenants.models import Tenant

    return Tenant.objects.get(pk=tenant_id)
