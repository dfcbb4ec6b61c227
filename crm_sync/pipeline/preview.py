"""Preview: the pipeline up to the write step, without writing.

``preview_pipeline(job, source)`` takes the source's batches through the real steps before
the write — ``plan.classify`` against ``AmazonOrderState``, the orders' items, the
quarantine's mapping check and ``stage.stage`` (which compares with the fingerprints of what
Zoho holds) — each batch inside one short transaction that is **rolled back** once its
staged rows and Order History rows are read: nothing stays in the database (no staged row,
no history, no order state, no run), no cursor moves (``commit`` is never called), and Zoho
receives no call at all. Amazon calls (items) happen before the transaction, so it stays
short. Using the real staging, not a copy of it, is what makes the preview list what the
following run writes.

What it reports (:class:`PreviewSummary`): per module the records to create and to update
(a product or contact upsert whose key we have a link for is an update; Zoho may still find
an unlinked record by its key), the first records as they would be sent (lookups to contact
and products still as Amazon keys), and the orders that would fail and why. Across batches
the last staged row per key wins, as the real run's upsert of its staged rows; a contact is
described by the buyer's latest order.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from django.db import transaction
from django.utils import timezone

from amazon_ext.amazon import values
from amazon_ext.amazon.errors import AmazonResponseError
from crm_sync import mapping
from crm_sync.models import AmazonOrderState, StagedRecord, ZohoLink
from crm_sync.pipeline.items import with_items
from crm_sync.pipeline.job import SyncJob
from crm_sync.pipeline.plan import classify
from crm_sync.pipeline.quarantine import Quarantine
from crm_sync.pipeline.stage import stage
from crm_sync.sources import OrderSource
from crm_sync.zoho.modules import CONTACTS, PRODUCTS, SALES_ORDERS
from history.models import OrderEvent, SyncRun

SAMPLES = 5  # first records shown per module
FAILURES_SHOWN = 200
KEYS_KEPT = 20_000  # keys listed per module and action (the counts are always complete)


@dataclass
class ModulePreview:
    create: list[str] = field(default_factory=list)
    update: list[str] = field(default_factory=list)
    creates: int = 0
    updates: int = 0
    samples: list[dict] = field(default_factory=list)


@dataclass
class PreviewSummary:
    """What the run would do in Zoho. ``modules``: Products, Contacts, Sales_Orders →
    records to create / update (keys and counts) and the first records as sent."""

    orders_read: int = 0
    orders_unchanged: int = 0
    modules: dict[str, ModulePreview] = field(default_factory=dict)
    failures: list[dict] = field(default_factory=list)
    failures_total: int = 0
    flagged: list[dict] = field(default_factory=list)

    def as_json(self) -> dict:
        return asdict(self)


class _Collector:
    def __init__(self, job: SyncJob) -> None:
        self.job = job
        self.summary = PreviewSummary(
            modules={m: ModulePreview() for m in (PRODUCTS, CONTACTS, SALES_ORDERS)}
        )
        # module → key → staged row (action, data, fingerprint): the last word per key, as
        # the real run's upsert of its staged rows keeps it.
        self.rows: dict[str, dict[str, StagedRecord]] = {
            m: {} for m in (PRODUCTS, CONTACTS, SALES_ORDERS)
        }
        self.contact_dates: dict[str, object] = {}

    def fail(self, amazon_order_id: str | None, reason: str) -> None:
        self.summary.failures_total += 1
        if len(self.summary.failures) < FAILURES_SHOWN:
            self.summary.failures.append({"amazon_order_id": amazon_order_id, "reason": reason})

    def take(self, batch, creates_new_orders: bool) -> None:
        """Plan and fetch items outside any transaction (Amazon calls take time); then stage
        in one short transaction that is rolled back once its rows are read."""
        job = self.job
        orders = list(batch.orders)
        self.summary.orders_read += len(orders)
        states = {
            s.amazon_order_id: s
            for s in AmazonOrderState.objects.filter(
                tenant_id=job.tenant_id, amazon_order_id__in=[o.amazon_order_id for o in orders]
            )
        }
        plan = classify(orders, states, creates_new_orders=creates_new_orders)
        changed = len(plan.new) + len(plan.fill) + len(plan.status) + len(plan.touched)
        self.summary.orders_unchanged += len(orders) - changed
        for order in (*plan.new, *plan.fill, *plan.status):
            if not values.is_known_status(order.order_status):
                self.summary.flagged.append(
                    {"amazon_order_id": order.amazon_order_id, "status": order.order_status}
                )
        full = plan.new + plan.fill
        try:
            full = with_items(job, full, included=batch.items_included)
        except AmazonResponseError as exc:
            for order in full:
                self.fail(order.amazon_order_id, f"its items could not be read: {exc}")
            full = []
        with transaction.atomic():
            self._stage(batch, plan, states, full, len(orders))
            transaction.set_rollback(True)  # read; now undone

    def _stage(self, batch, plan, states, full, fetched) -> None:
        job = self.job
        # A run row only for this transaction: staged rows and history point at it.
        job.run = SyncRun.objects.create(
            tenant_id=job.tenant_id,
            schedule=job.run.schedule,
            trigger=job.run.trigger,
            started_at=timezone.now(),
            outcome=SyncRun.Outcome.SKIPPED,
        )
        quarantine = Quarantine(job)
        quarantine.record(batch.unreadable, listed=True)
        full = quarantine.mappable(full)
        stage(job, plan=plan, states=states, full=full, fetched=fetched)
        failing = (OrderEvent.Action.FAILED, OrderEvent.Action.QUARANTINED)
        for event in OrderEvent.objects.filter(run=job.run, action__in=failing):
            self.fail(event.amazon_order_id, event.message)
        for row in StagedRecord.objects.filter(run=job.run):
            if row.module == CONTACTS:
                earlier = self.contact_dates.get(row.amazon_key)
                if earlier is not None and row.purchase_date and earlier > row.purchase_date:
                    continue  # a later order of this buyer describes the contact
                self.contact_dates[row.amazon_key] = row.purchase_date
            self.rows.setdefault(row.module, {})[row.amazon_key] = row
        job.failures.clear()

    def finish(self) -> PreviewSummary:
        for module in (PRODUCTS, CONTACTS, SALES_ORDERS):
            rows = self.rows.get(module, {})
            known = set(
                ZohoLink.objects.filter(
                    tenant_id=self.job.tenant_id, module=module, amazon_key__in=list(rows)
                ).values_list("amazon_key", flat=True)
            )
            for key, row in rows.items():
                if module == SALES_ORDERS:
                    update = not row.action.startswith("create")
                else:
                    update = key in known
                self._add(module, key, row.data, update=update)
        return self.summary

    def _add(self, module: str, key: str, data: dict, *, update: bool) -> None:
        preview = self.summary.modules[module]
        keys = preview.update if update else preview.create
        if update:
            preview.updates += 1
        else:
            preview.creates += 1
        if len(keys) < KEYS_KEPT:
            keys.append(key)
        if len(preview.samples) < SAMPLES:
            preview.samples.append(
                {"key": key, "action": "update" if update else "create",
                 "record": mapping.to_json_ready(data)}
            )  # fmt: skip


def _settle_tenant_settings(tenant_id: int) -> None:
    """What staging creates on first use (the tenant's buyer-key secret) is created before
    the rolled-back transactions: otherwise each batch would key buyers with a secret of its
    own, and the preview would list contacts the run never writes."""
    try:
        from crm_sync.services.data_protection_settings import data_protection_settings
    except ImportError:  # an installation without buyer keys
        return
    data_protection_settings(tenant_id=tenant_id)


def preview_pipeline(job: SyncJob, source: OrderSource) -> PreviewSummary:
    """What ``run_pipeline(job, source)`` would write, with no write anywhere."""
    _settle_tenant_settings(job.tenant_id)
    collector = _Collector(job)
    for batch in source.batches():
        if batch.orders or batch.unreadable:
            creates = batch.creates_new_orders
            collector.take(batch, source.creates_new_orders if creates is None else creates)
        job.heartbeat()
    return collector.finish()
