"""Celery tasks: thin shells that load by id and call services."""

from __future__ import annotations

import logging
import random

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from crm_sync.services.execute import TransientSyncError, execute_run
from crm_sync.services.fairness import BACKLOG_QUEUE, LANE_WAIT_SECONDS, run_admitted
from crm_sync.services.lease import LeaseLostError, new_executor_token
from crm_sync.services.notifications import run_email_send
from crm_sync.services.retry import manual_slot_give_back
from crm_sync.services.runs import (
    sync_run_claim,
    sync_run_finish,
    sync_run_is_running,
    sync_run_release,
    sync_run_start,
    sync_runs_recover,
)
from crm_sync.services.setup import setup_problems
from history.models import SyncRun
from tenants.models import Tenant

logger = logging.getLogger(__name__)
MAX_RETRIES = 3


# Both schedules fire at 23:55; the second waits for the first instead of being skipped.
BUSY_RETRY_SECONDS = 60
BUSY_MAX_RETRIES = 180


@shared_task(
    bind=True,
    name="crm_sync.tasks.scheduled_run",
    ignore_result=True,
    max_retries=BUSY_MAX_RETRIES,
)
def scheduled_run(self, tenant_id: int, schedule: str) -> None:
    """Beat's daily trigger for one tenant and schedule."""
    tenant = Tenant.objects.filter(pk=tenant_id).first()
    if tenant is None:
        return
    if setup_problems(tenant=tenant):
        # Paused until set-up is complete (the Schedules page says what is missing): no
        # failing run, no failure email.
        logger.info("tenant %s: %s paused, set-up incomplete", tenant_id, schedule)
        return
    run = sync_run_start(
        tenant=tenant,
        schedule=schedule,
        trigger=SyncRun.Trigger.SCHEDULED,
        record_skip=self.request.retries >= BUSY_MAX_RETRIES,
    )
    if run is None:
        raise self.retry(countdown=BUSY_RETRY_SECONDS)
    if run.outcome == SyncRun.Outcome.RUNNING:
        execute_sync_run.delay(run.pk)
    else:
        send_run_email.delay(run.pk)


@shared_task(
    bind=True,
    name="crm_sync.tasks.execute_sync_run",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=settings.SYNC_SOFT_TIME_LIMIT,
    time_limit=settings.SYNC_HARD_TIME_LIMIT,
    max_retries=MAX_RETRIES,
    ignore_result=True,
)
def execute_sync_run(self, run_id: int) -> None:
    if not self.request.is_eager and not run_admitted(run_id=run_id):
        # A large run while the backlog lane is full: wait outside the pool (services.fairness).
        execute_sync_run.apply_async((run_id,), countdown=LANE_WAIT_SECONDS, queue=BACKLOG_QUEUE)
        return
    executor = new_executor_token(self.request.id)
    run = sync_run_claim(run_id=run_id, executor=executor)
    if run is None:
        if sync_run_is_running(run_id=run_id) and not self.request.is_eager:
            # A live executor holds it (Celery handed out a copy of a running task): wait
            # for its lease to end, then look again; the copy takes over only if the
            # holder died, and stops once the run is over.
            execute_sync_run.apply_async((run_id,), countdown=settings.SYNC_RUN_LEASE_SECONDS)
        logger.info("run %s: over, or held by a live executor; this copy stops", run_id)
        return
    try:
        run = execute_run(
            run=run, executor=executor, final_attempt=self.request.retries >= MAX_RETRIES
        )
    except LeaseLostError:
        logger.warning("run %s: another executor took it over; this copy stopped", run_id)
        return
    except TransientSyncError as exc:
        countdown = min(300, 30 * 2**self.request.retries) * (0.5 + random.random())
        logger.info("run %s: transient failure, retrying in %.0f s", run_id, countdown)
        sync_run_release(run_id=run_id, executor=executor)
        raise self.retry(exc=exc, countdown=countdown) from None
    except SoftTimeLimitExceeded:
        run = sync_run_finish(
            run_id=run_id,
            executor=executor,
            failed_with="Stopped at the time limit.",
        )
    except Exception:
        logger.exception("run %s: unexpected error", run_id)
        run = sync_run_finish(
            run_id=run_id,
            executor=executor,
            failed_with=f"An internal error stopped the run (reference: run {run_id}).",
        )
    if run.outcome == SyncRun.Outcome.RUNNING:
        return  # a backfill goes on in a task of its own (services.execute)
    manual_slot_give_back(run_id=run.pk)
    send_run_email.delay(run.pk)
    mirror_run_to_zoho.delay(run.pk)


@shared_task(name="crm_sync.tasks.recover_stale_runs", ignore_result=True)
def recover_stale_runs() -> None:
    """Beat, every minute: send again the runs whose worker died (see services.lease)."""
    recovered = sync_runs_recover()
    if recovered:
        logger.warning("resumed runs whose worker stopped: %s", recovered)


@shared_task(name="crm_sync.tasks.dispatch_due_schedules", ignore_result=True)
def dispatch_due_schedules() -> None:
    """Beat, every few seconds: send the scheduled runs whose 23:55 tenant-local has come
    (see services.dispatch; safe to run twice at once)."""
    from crm_sync.services.dispatch import schedules_dispatch

    schedules_dispatch()


@shared_task(
    name="crm_sync.tasks.mirror_run_to_zoho",
    ignore_result=True,
    acks_late=True,
    soft_time_limit=600,
    time_limit=660,
)
def mirror_run_to_zoho(run_id: int) -> None:
    """After a run ends: its Amazon Sync History and Order History records into Zoho's
    history modules (never slows or fails the run; the sweep retries what failed)."""
    from crm_sync.services.zoho_history import zoho_history_mirror_run

    if settings.ZOHO_HISTORY_MIRROR_AFTER_RUN:
        zoho_history_mirror_run(run_id=run_id)


@shared_task(name="crm_sync.tasks.mirror_history_sweep", ignore_result=True)
def mirror_history_sweep() -> None:
    """Beat, every few minutes: mirror the finished runs not yet all in Zoho."""
    from crm_sync.services.zoho_history import zoho_history_mirror_run, zoho_history_runs_pending

    for run_id in zoho_history_runs_pending():
        zoho_history_mirror_run(run_id=run_id)


@shared_task(
    name="crm_sync.tasks.send_run_email",
    ignore_result=True,
    max_retries=5,
    autoretry_for=(OSError,),
    retry_backoff=True,
)
def send_run_email(run_id: int) -> None:
    run = SyncRun.objects.select_related("tenant", "triggered_by").filter(pk=run_id).first()
    if run is not None:
        run_email_send(run=run)


@shared_task(
    name="crm_sync.tasks.live_updates_subscribe",
    ignore_result=True,
    max_retries=5,
    autoretry_for=(OSError,),
    retry_backoff=True,
)
def live_updates_subscribe_task(tenant_id: int) -> None:
    """Make the tenant's ORDER_CHANGE subscription match its settings (idempotent)."""
    from crm_sync.services.live_subscription import live_updates_subscribe

    if Tenant.objects.filter(pk=tenant_id).exists():
        live_updates_subscribe(tenant_id=tenant_id)


@shared_task(
    name="crm_sync.tasks.run_preview",
    ignore_result=True,
    soft_time_limit=settings.SYNC_SOFT_TIME_LIMIT,
    time_limit=settings.SYNC_HARD_TIME_LIMIT,
)
def run_preview(preview_id: int) -> None:
    """A Preview: the pipeline up to the write step, nothing written (services.preview)."""
    from crm_sync.services.preview import preview_execute

    preview_execute(preview_id=preview_id)


@shared_task(name="crm_sync.tasks.data_protection_daily", ignore_result=True)
def data_protection_daily() -> None:
    """Beat, once a day: one data-protection job per tenant (Amazon's Data Protection
    Policy; crm_sync.services.data_protection), each its own task so one tenant's Zoho
    trouble never holds up another's."""
    from crm_sync.services.data_protection import data_protection_tenants

    for tenant_id in data_protection_tenants():
        data_protection_tenant.delay(tenant_id)


@shared_task(
    name="crm_sync.tasks.data_protection_tenant",
    ignore_result=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=3,
    autoretry_for=(OSError,),
    retry_backoff=True,
    soft_time_limit=settings.SYNC_SOFT_TIME_LIMIT,
    time_limit=settings.SYNC_HARD_TIME_LIMIT,
)
def data_protection_tenant(tenant_id: int) -> None:
    """Remove the tenant's expired buyer data and purge its old history (idempotent: what
    was removed is marked, so a repeat finds nothing more to do)."""
    from crm_sync.services.data_protection import data_protection_run

    if Tenant.objects.filter(pk=tenant_id).exists():
        data_protection_run(tenant_id=tenant_id)
