"""Remove expired buyer data from everything we store ourselves: staged records, Order
History messages, quarantine reasons, Amazon Sync History errors and notes, and stored sent
emails (the file email backend's folder).

Free text is cleaned by the very values Amazon handed out for the order (kept encrypted on
its ``BuyerDataHold`` until now): each is replaced by ``[removed]``. Structured staged rows
lose their name, email, street and phone fields outright. Order states hold no buyer data
(ids, status, dates), so they have nothing to clean.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db.models import Q

from crm_sync.models import StagedRecord
from crm_sync.zoho.modules import CONTACTS, SALES_ORDERS
from history.models import OrderEvent, QuarantinedOrder, SyncRun

logger = logging.getLogger(__name__)

REMOVED = "[removed]"
FILE_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
# Field API names that hold buyer data in staged rows (custom fields are matched by value).
STAGED_PII_FIELDS = frozenset({"First_Name", "Email", "Phone", "Mailing_Street", "Shipping_Street"})


def scrub_text(text: str, values: Iterable[str]) -> str:
    """``text`` with every value replaced, longest first (a street contains a name)."""
    for value in sorted(set(values), key=len, reverse=True):
        if value and value in text:
            text = text.replace(value, REMOVED)
    return text


def _scrub_json(data, values: list[str]):
    if isinstance(data, dict):
        return {
            k: "" if k in STAGED_PII_FIELDS and isinstance(v, str) else _scrub_json(v, values)
            for k, v in data.items()
        }
    if isinstance(data, list):
        return [_scrub_json(v, values) for v in data]
    if isinstance(data, str):
        return scrub_text(data, values)
    return data


def scrub_staged(
    *, tenant_id: int, order_ids: set[str], buyer_keys: set[str], values: list[str]
) -> int:
    """Staged rows of these orders and contacts (a run that died leaves them), cleaned."""
    rows = list(
        StagedRecord.objects.filter(tenant_id=tenant_id).filter(
            Q(module=SALES_ORDERS, amazon_key__in=order_ids)
            | Q(module=CONTACTS, amazon_key__in=buyer_keys)
        )
    )
    changed = []
    for row in rows:
        cleaned = _scrub_json(row.data, values)
        if cleaned != row.data:
            row.data = cleaned
            changed.append(row)
    StagedRecord.objects.bulk_update(changed, ["data"], batch_size=500)
    return len(changed)


def scrub_history(
    *, tenant_id: int, order_ids: set[str], values: list[str], since: datetime
) -> int:
    """Order History messages and quarantine reasons of these orders, and the errors and
    notes of runs since ``since`` (when we first held the data), cleaned."""
    if not values:
        return 0
    count = 0
    events = []
    for event in OrderEvent.objects.filter(tenant_id=tenant_id, amazon_order_id__in=order_ids):
        cleaned = scrub_text(event.message, values)
        if cleaned != event.message:
            event.message = cleaned
            events.append(event)
    OrderEvent.objects.bulk_update(events, ["message"], batch_size=500)
    count += len(events)
    held = []
    for entry in QuarantinedOrder.objects.filter(
        tenant_id=tenant_id, amazon_order_id__in=order_ids
    ):
        cleaned = scrub_text(entry.reason, values)
        if cleaned != entry.reason:
            entry.reason = cleaned
            held.append(entry)
    QuarantinedOrder.objects.bulk_update(held, ["reason"], batch_size=500)
    count += len(held)
    runs = []
    for run in SyncRun.objects.filter(tenant_id=tenant_id, started_at__gte=since).only(
        "id", "error", "notes"
    ):
        error = scrub_text(run.error, values)
        notes = [scrub_text(n, values) if isinstance(n, str) else n for n in run.notes or []]
        if error != run.error or notes != (run.notes or []):
            run.error, run.notes = error, notes
            runs.append(run)
    SyncRun.objects.bulk_update(runs, ["error", "notes"], batch_size=500)
    return count + len(runs)


def scrub_emails(*, values: list[str], since: datetime) -> int:
    """Stored sent emails (file backend only; SMTP keeps nothing here) written since
    ``since``, cleaned. Emails name no buyer by design; this catches any that did."""
    if not values or settings.EMAIL_BACKEND != FILE_BACKEND:
        return 0
    folder = Path(getattr(settings, "EMAIL_FILE_PATH", "") or "")
    if not folder.is_dir():
        return 0
    count = 0
    floor = since.timestamp() - 60
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.stat().st_mtime < floor:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        cleaned = scrub_text(text, values)
        if cleaned != text:
            path.write_text(cleaned, encoding="utf-8")
            count += 1
    if count:
        logger.info("data protection: %s stored emails cleaned", count)
    return count
