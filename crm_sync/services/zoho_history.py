"""Mirror finished runs into the Zoho history modules (Amazon Sync History, Order History).

Runs after a run ends, as its own task, so a slow or refusing Zoho never slows or fails the
sync; a beat sweep catches up whatever was missed (a crash, a run finished before the modules
existed, a live update or backfill run). Every record is an upsert on its unique History Key
("run-<id>", "event-<id>"), in Zoho's batches of 100, and the marker moves after each batch:
a re-run or a crash writes no duplicate.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from crm_sync.models.zoho_history import ZohoHistoryMirror, ZohoHistoryModules
from crm_sync.zoho.client import ZohoClient, client_for
from crm_sync.zoho.errors import ZohoError
from crm_sync.zoho.modules_setup import (
    KEY_LABEL,
    SALES_ORDER_LOOKUP_LABEL,
    SYNC_LOOKUP_LABEL,
)
from history.models import OrderEvent, SyncRun

log = logging.getLogger(__name__)

BATCH = 100  # Zoho's records per upsert
SWEEP_RUNS = 50  # runs per sweep: a tenant's years of history go in over a few sweeps
SWEEP_WINDOW = timedelta(days=400)


def _when(value: datetime | None) -> str | None:
    return value.astimezone(UTC).replace(microsecond=0).isoformat() if value else None


def run_key(run: SyncRun) -> str:
    return f"run-{run.pk}"


def event_key(event: OrderEvent) -> str:
    return f"event-{event.pk}"


# What an Order History record needs of an event, read as plain rows (10,000 model
# instances per big run cost more than the records built from them).
EVENT_COLUMNS = (
    "pk",
    "amazon_order_id",
    "action",
    "old_status",
    "new_status",
    "created_at",
    "message",
    "zoho_record_id",
)
ACTION_LABELS = dict(OrderEvent.Action.choices)


def _sync_record(run: SyncRun, names: dict[str, str]) -> dict:
    label = f"{run.get_schedule_display()} · {run.started_at:%Y-%m-%d %H:%M} UTC"
    values = {
        KEY_LABEL: run_key(run),
        "Schedule": run.get_schedule_display(),
        "Trigger": run.get_trigger_display(),
        "Outcome": run.get_outcome_display(),
        "Started At": _when(run.started_at),
        "Finished At": _when(run.finished_at),
        "Orders Fetched": run.orders_fetched,
        "Orders Created": run.orders_created,
        "Orders Updated": run.orders_updated,
        "Products Created": run.products_created,
        "Contacts Created": run.contacts_created,
        "Records Failed": run.records_failed,
        "Error": run.error[:32000],
    }
    return {"Name": label[:120], **{names[k]: v for k, v in values.items()}}


def _event_record(event, run_zoho_id: str, names: dict, link_order: bool) -> dict:
    """``event``: an OrderEvent or a row of EVENT_COLUMNS (``named=True``)."""
    action = ACTION_LABELS.get(event.action, event.action)
    values = {
        KEY_LABEL: event_key(event),
        "Amazon Order ID": event.amazon_order_id,
        "Action": action,
        "Old Status": event.old_status,
        "New Status": event.new_status,
        "Recorded At": _when(event.created_at),
        "Message": event.message[:32000],
        SYNC_LOOKUP_LABEL: {"id": run_zoho_id},
    }
    if link_order and event.zoho_record_id:
        values[SALES_ORDER_LOOKUP_LABEL] = {"id": event.zoho_record_id}
    name = f"{event.amazon_order_id} · {action}"
    return {"Name": name[:120], **{names[k]: v for k, v in values.items()}}


def _upsert(client: ZohoClient, module: str, names: dict, records: list[dict]):
    return client.upsert(module, records, duplicate_check_fields=[names[KEY_LABEL]])


def _write_events(
    client: ZohoClient, modules: ZohoHistoryModules, mirror: ZohoHistoryMirror
) -> None:
    names = modules.field_api_names[modules.order_module]
    order_field = names[SALES_ORDER_LOOKUP_LABEL]
    while True:
        batch = list(
            OrderEvent.objects.filter(run_id=mirror.run_id, pk__gt=mirror.events_upto)
            .order_by("pk")
            .values_list(*EVENT_COLUMNS, named=True)[:BATCH]
        )
        if not batch:
            return
        records = [_event_record(e, mirror.zoho_id, names, True) for e in batch]
        results = _upsert(client, modules.order_module, names, records)
        # A Sales Order deleted in Zoho meanwhile: keep the history, without the link.
        unlinked = [r.index for r in results if not r.ok and r.field == order_field]
        if unlinked:
            again = [_event_record(batch[i], mirror.zoho_id, names, False) for i in unlinked]
            retried = _upsert(client, modules.order_module, names, again)
            results = [r for r in results if r.index not in unlinked] + retried
        failed = [r for r in results if not r.ok]
        if failed:
            raise ZohoError(
                f"Zoho CRM refused {len(failed)} Order History records ({failed[0].code}: "
                f"{failed[0].message})"
            )
        mirror.events_upto = batch[-1].pk
        mirror.save(update_fields=["events_upto", "updated_at"])


def zoho_history_mirror_run(*, run_id: int, client: ZohoClient | None = None) -> bool:
    """Write one finished run and its Order History rows into Zoho; True when all are there.

    Does nothing for a run still going, a tenant whose org has no history modules, or a run
    already mirrored. Zoho's failures are recorded on the marker (the sweep tries again);
    they never reach the run.
    """
    run = SyncRun.objects.select_related("tenant").filter(pk=run_id).first()
    if run is None or run.outcome == SyncRun.Outcome.RUNNING or run.finished_at is None:
        return False
    modules = ZohoHistoryModules.objects.filter(tenant_id=run.tenant_id).first()
    if modules is None or not modules.ready:
        return False
    mirror, _ = ZohoHistoryMirror.objects.get_or_create(run=run)
    if mirror.done:
        return True
    own_client = client is None
    try:
        client = client or client_for(run.tenant)
        sync_names = modules.field_api_names[modules.sync_module]
        result = _upsert(client, modules.sync_module, sync_names, [_sync_record(run, sync_names)])
        if not result[0].ok or not result[0].zoho_id:
            raise ZohoError(f"Zoho CRM refused the Amazon Sync History record ({result[0].code})")
        mirror.zoho_id = result[0].zoho_id
        mirror.save(update_fields=["zoho_id", "updated_at"])
        _write_events(client, modules, mirror)
    except (ZohoError, KeyError) as exc:
        mirror.error = str(exc)[:2000]
        mirror.save(update_fields=["error", "updated_at"])
        log.warning("zoho history mirror run=%s stopped: %s", run_id, type(exc).__name__)
        return False
    finally:
        if own_client and client is not None:
            client.close()
    mirror.done, mirror.error = True, ""
    mirror.save(update_fields=["done", "error", "updated_at"])
    return True


def zoho_history_runs_pending(*, limit: int = SWEEP_RUNS) -> list[int]:
    """Finished runs of tenants with history modules that are not yet all in Zoho, oldest
    first (the sweep's work list)."""
    ready = ZohoHistoryModules.objects.filter(status=ZohoHistoryModules.Status.READY)
    return list(
        SyncRun.objects.filter(
            tenant_id__in=ready.values("tenant_id"),
            finished_at__gte=timezone.now() - SWEEP_WINDOW,
        )
        .exclude(outcome=SyncRun.Outcome.RUNNING)
        .filter(Q(zoho_mirror__isnull=True) | Q(zoho_mirror__done=False))
        .order_by("finished_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
