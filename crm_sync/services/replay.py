"""Replay: re-read chosen orders from Amazon and send them through the pipeline, as a tracked
run with trigger "Replay". From Order History one order; from a run all its failed and
quarantined orders. A replay does not use Run Now's allowance and obeys one run per tenant
(a replay asked for while a run is going is recorded as skipped, like any trigger)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction

from crm_sync.models import ScheduleKind
from crm_sync.services.enqueue import run_execution_enqueue
from crm_sync.services.runs import sync_run_start
from crm_sync.services.setup import setup_problems
from history.models import SyncRun
from history.quarantine import MAX_REPLAY, is_replayable, replayable_ids_for_run
from tenants.models import Tenant


class ReplayRefusedError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def replay_start(*, tenant: Tenant, user, amazon_order_ids: Sequence[str]) -> SyncRun:
    """Open a Replay run for these orders and send it to the worker (on commit)."""
    ids = [i for i in dict.fromkeys(amazon_order_ids) if is_replayable(i)][:MAX_REPLAY]
    if not ids:
        raise ReplayRefusedError(
            "Nothing to replay: no Amazon Order ID of the form 113-1234567-1234567 was given."
        )
    problems = setup_problems(tenant=tenant)
    if problems:
        raise ReplayRefusedError(
            " ".join(p.message for p in problems) + " Finish the set-up, then replay."
        )
    with transaction.atomic():
        run = sync_run_start(
            tenant=tenant,
            schedule=ScheduleKind.SYNC_RECORDS,
            trigger=SyncRun.Trigger.REPLAY,
            user=user,
        )
        run.replay_order_ids = ids
        run.save(update_fields=["replay_order_ids"])
        if run.outcome == SyncRun.Outcome.RUNNING:
            run_execution_enqueue(run_id=run.pk)
    return run


def replay_order(*, tenant: Tenant, user, amazon_order_id: str) -> SyncRun:
    """Replay one order (Order History's Replay button)."""
    return replay_start(tenant=tenant, user=user, amazon_order_ids=[amazon_order_id.strip()])


def replay_run_failures(*, tenant: Tenant, user, run: SyncRun) -> SyncRun:
    """Replay every failed and quarantined order of ``run`` (the run page's button)."""
    if run.tenant_id != tenant.id:
        raise ReplayRefusedError("No such run.")
    ids = replayable_ids_for_run(run=run)
    if not ids:
        raise ReplayRefusedError(f"Run #{run.pk} has no failed or quarantined orders to replay.")
    return replay_start(tenant=tenant, user=user, amazon_order_ids=ids)
