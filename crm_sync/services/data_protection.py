"""The daily data-protection job (Amazon's Data Protection Policy), per tenant:

1. recompute every held order's expiry with the tenant's current retention;
2. for orders whose buyer data is due: clear it in Zoho (Sales Orders' street; Contacts whose
   every order expired become anonymous, keeping their key), 100 records a call; clean our
   own rows and stored emails; record one Order History row per order ("buyer data removed:
   Amazon data protection, 30 days after delivery"); forget the values;
3. delete non-PII data older than the tenant's limit (default 18 months);
4. record what it did (``DataProtectionRun``), shown on the Data protection page.

``now`` is injectable so tests and the bench can move time past the retention.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from crm_sync import retention
from crm_sync.models.data_protection import BuyerDataHold, DataProtectionRun
from crm_sync.pipeline.holds import refresh_expiry
from crm_sync.services import redact_local, redact_zoho
from crm_sync.services.data_protection_settings import data_protection_settings
from crm_sync.services.purge import purge_old
from crm_sync.zoho.client import client_for
from crm_sync.zoho.errors import ZohoError
from history.models import OrderEvent, SyncRun
from tenants.models import Tenant

logger = logging.getLogger(__name__)

ZOHO_PROBLEM = (
    "Buyer data of {n} orders could not be removed from Zoho CRM ({why}). It was removed from "
    "this app's own records; the job tries Zoho again every day. {what}"
)


def _refresh_expiries(tenant_id: int, retention_days: int) -> None:
    """A shorter retention chosen in Settings applies to orders already held."""
    changed = []
    for hold in BuyerDataHold.objects.filter(tenant_id=tenant_id, removed_at=None):
        before = hold.expires_at
        refresh_expiry(hold, retention_days=retention_days)
        if hold.expires_at != before:
            changed.append(hold)
    BuyerDataHold.objects.bulk_update(
        changed, ["delivered_at", "delivery_basis", "expires_at"], batch_size=500
    )


def _contacts_to_anonymise(tenant_id: int, due: list[BuyerDataHold], now: datetime) -> set[str]:
    """Keys of contacts that carry buyer data and may hold a value only due orders had.

    A buyer whose orders may still be kept keeps a contact only if every name, email, street
    and phone of the due orders is also one of a kept order: orders of one buyer expire at
    different times (each counts from its own delivery), and the contact may describe an
    order that is due while an older one, promised later, is kept."""
    keys = {h.buyer_key for h in due if h.contact_has_pii}
    due_ids = {h.amazon_order_id for h in due}
    kept: dict[str, list[BuyerDataHold]] = {}
    for hold in (
        BuyerDataHold.objects.filter(tenant_id=tenant_id, buyer_key__in=keys, removed_at=None)
        .exclude(amazon_order_id__in=due_ids)
        .filter(Q(expires_at=None) | Q(expires_at__gt=now))
    ):
        kept.setdefault(hold.buyer_key, []).append(hold)
    going: dict[str, list[BuyerDataHold]] = {}
    for hold in due:
        going.setdefault(hold.buyer_key, []).append(hold)
    return {
        key for key in keys if key not in kept or set(_values(going[key])) - set(_values(kept[key]))
    }


def _events_for(tenant_id: int, holds: list[BuyerDataHold], retention_days: int) -> list:
    """One Order History row per order, on the run that last touched the order (an event
    belongs to a run; the job itself is recorded in ``DataProtectionRun``)."""
    order_ids = [h.amazon_order_id for h in holds]
    last_run = dict(
        OrderEvent.objects.filter(tenant_id=tenant_id, amazon_order_id__in=order_ids)
        .order_by("amazon_order_id", "created_at", "id")
        .values_list("amazon_order_id", "run_id")
    )
    fallback = SyncRun.objects.filter(tenant_id=tenant_id).order_by("-started_at").first()
    events = []
    for hold in holds:
        run_id = last_run.get(hold.amazon_order_id) or (fallback.pk if fallback else None)
        if run_id is None:
            continue
        events.append(
            OrderEvent(
                tenant_id=tenant_id,
                run_id=run_id,
                amazon_order_id=hold.amazon_order_id,
                action=OrderEvent.Action.REDACTED,
                amazon_last_update=hold.expires_at,
                message=retention.reason(retention_days=retention_days, basis=hold.delivery_basis),
            )
        )
    return events


def _values(holds: list[BuyerDataHold]) -> list[str]:
    found: set[str] = set()
    for hold in holds:
        if hold.values:
            found |= set(json.loads(hold.values.reveal()))
    return sorted(found)


def _redact_zoho(tenant: Tenant, due, anonymise, run) -> tuple[set[str], set[str], str]:
    """Clear Zoho; returns (orders done, contacts done, a problem for the seller or "")."""
    order_ids = {h.amazon_order_id for h in due}
    try:
        client = client_for(tenant)
        names = client.connection.field_api_names
        orders = redact_zoho.redact_sales_orders(
            tenant_id=tenant.pk, client=client, order_ids=order_ids
        )
        contacts = redact_zoho.anonymise_contacts(
            tenant_id=tenant.pk, client=client, names=names, buyer_keys=anonymise
        )
    except ZohoError as exc:
        what = (
            "Reconnect Zoho CRM in Settings."
            if "reconnect" in str(exc).lower() or "connect" in str(exc).lower()
            else "Nothing to do unless this repeats."
        )
        return set(), set(), ZOHO_PROBLEM.format(n=len(order_ids), why=exc, what=what)
    run.zoho_writes += orders.writes + contacts.writes
    run.sales_orders_redacted += orders.cleared
    run.contacts_anonymised += contacts.cleared
    refused = len(orders.refused) + len(contacts.refused)
    problem = ""
    if refused:
        sample = next(iter({**orders.refused, **contacts.refused}.values()))
        problem = ZOHO_PROBLEM.format(
            n=refused, why=sample, what="Check the records in Zoho CRM if this repeats."
        )
    return orders.done, contacts.done, problem


def _flush_sqlite_journal() -> None:
    """On SQLite (the embedded default), copy the write-ahead log into the database file and
    empty it, so no earlier page image holding removed buyer data stays in the -wal file
    (with secure_delete, freed space in the file itself is zeroed)."""
    if connection.vendor == "sqlite" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def data_protection_run(*, tenant_id: int, now: datetime | None = None) -> DataProtectionRun:
    """Run the job for one tenant (see the module docstring)."""
    now = now or timezone.now()
    tenant = Tenant.objects.get(pk=tenant_id)
    found = data_protection_settings(tenant_id=tenant_id)
    run = DataProtectionRun.objects.create(tenant_id=tenant_id, started_at=now)
    problems: list[str] = []

    _refresh_expiries(tenant_id, found.retention_days)
    due = list(
        BuyerDataHold.objects.filter(tenant_id=tenant_id, removed_at=None, expires_at__lte=now)
    )
    if due:
        anonymise = _contacts_to_anonymise(tenant_id, due, now)
        values = _values(due)
        order_ids = {h.amazon_order_id for h in due}
        since = min(h.created_at for h in due)
        run.local_rows_scrubbed += redact_local.scrub_staged(
            tenant_id=tenant_id, order_ids=order_ids, buyer_keys=anonymise, values=values
        )
        run.local_rows_scrubbed += redact_local.scrub_history(
            tenant_id=tenant_id, order_ids=order_ids, values=values, since=since
        )
        run.emails_scrubbed += redact_local.scrub_emails(values=values, since=since)
        orders_done, contacts_done, problem = _redact_zoho(tenant, due, anonymise, run)
        if problem:
            problems.append(problem)
        finished = [
            h
            for h in due
            if h.amazon_order_id in orders_done
            and not (h.buyer_key in anonymise and h.buyer_key not in contacts_done)
        ]
        with transaction.atomic():
            BuyerDataHold.objects.filter(pk__in=[h.pk for h in finished]).update(
                removed_at=now, values="", updated_at=now
            )
            OrderEvent.objects.bulk_create(
                _events_for(tenant_id, finished, found.retention_days), ignore_conflicts=True
            )
        run.orders_redacted = len(finished)

    run.purged = purge_old(tenant_id=tenant_id, now=now, older_than_days=found.non_pii_days)
    _flush_sqlite_journal()
    run.finished_at = now
    run.error = " ".join(problems)
    run.outcome = DataProtectionRun.Outcome.PARTIAL if problems else run.Outcome.SUCCESS
    run.save()
    logger.info(
        "data protection tenant=%s orders=%s sales_orders=%s contacts=%s zoho_writes=%s outcome=%s",
        tenant_id,
        run.orders_redacted,
        run.sales_orders_redacted,
        run.contacts_anonymised,
        run.zoho_writes,
        run.outcome,
    )
    return run


def data_protection_tenants() -> list[int]:
    """Tenants the daily job visits: every tenant holding buyer data or history."""
    return sorted(
        set(BuyerDataHold.objects.values_list("tenant_id", flat=True).distinct())
        | set(SyncRun.objects.values_list("tenant_id", flat=True).distinct())
    )
