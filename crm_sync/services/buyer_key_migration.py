"""The move from email-keyed Contacts (before buyer keys) to ``Amazon Buyer Key``, once per
tenant, at the first run after the upgrade (field setup has created the key field):

1. every Contact in Zoho that carries an *Amazon Buyer Email* (the old key, the relay
   alias lower-cased) and no key gets ``HMAC(secret, alias)``, 100 a call, and our link is
   re-keyed to it, so the next order of that buyer updates the same contact: no duplicate;
2. orders written before the upgrade get their buyer-data record (``BuyerDataHold``): their
   Sales Order's contact (read from Zoho, 200 a page) gives the key, their state the
   shipment or cancellation, so their buyer data expires like everyone else's.

The old shared "Amazon Customer" contact (``amazon-customer@withheld.invalid``) holds no
buyer data and keeps its orders; new orders without a buyer go to the per-marketplace ones.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from crm_sync import retention
from crm_sync.buyer_keys import is_hashed, normalise_alias
from crm_sync.mapping import WITHHELD_BUYER_KEY
from crm_sync.models import AmazonOrderState, ZohoLink
from crm_sync.models.data_protection import BuyerDataHold
from crm_sync.pipeline.holds import refresh_expiry
from crm_sync.services.data_protection_settings import (
    data_protection_settings,
    keyer_for_tenant,
)
from crm_sync.zoho.client import ZohoClient
from crm_sync.zoho.modules import CONTACTS, SALES_ORDERS

logger = logging.getLogger(__name__)


def _rekey_contacts(tenant_id: int, client: ZohoClient, names: dict) -> dict[str, str]:
    """Fill the key on old contacts; returns {Zoho contact id: new key}."""
    keyer = keyer_for_tenant(tenant_id=tenant_id)
    email_field = names[CONTACTS]["Amazon Buyer Email"]
    key_field = names[CONTACTS]["Amazon Buyer Key"]
    updates, relink, keys_by_id = [], {}, {}
    for record in client.list_records(CONTACTS, ["id", email_field, key_field]):
        old = (record.get(email_field) or "").strip()
        if record.get(key_field):
            keys_by_id[record.id] = record.get(key_field)
            continue
        if not old or old.lower() == WITHHELD_BUYER_KEY:
            continue
        new = keyer.of_alias(old)
        updates.append({"id": record.id, key_field: new})
        relink[normalise_alias(old)] = (new, record.id)
    done: dict[str, str] = {}
    for update, result in zip(updates, client.update(CONTACTS, updates), strict=True):
        if result.ok:
            done[update["id"]] = update[key_field]
    with transaction.atomic():
        for old, (new, zoho_id) in relink.items():
            if zoho_id not in done:
                continue
            ZohoLink.objects.filter(tenant_id=tenant_id, module=CONTACTS, amazon_key=new).delete()
            moved = ZohoLink.objects.filter(
                tenant_id=tenant_id, module=CONTACTS, amazon_key=old
            ).update(amazon_key=new, zoho_id=zoho_id, fingerprint="")
            if not moved:
                ZohoLink.objects.create(
                    tenant_id=tenant_id, module=CONTACTS, amazon_key=new, zoho_id=zoho_id
                )
    return {**keys_by_id, **done}


def _hold_old_orders(
    tenant_id: int, client: ZohoClient, names: dict, keys_by_contact: dict[str, str]
) -> int:
    """Buyer-data records for orders written before the upgrade."""
    order_field = names[SALES_ORDERS]["Amazon Order ID"]
    contact_of: dict[str, str] = {}
    for record in client.list_records(SALES_ORDERS, ["id", order_field, "Contact_Name"]):
        lookup = record.get("Contact_Name")
        if isinstance(lookup, dict) and lookup.get("id") and record.get(order_field):
            contact_of[record.get(order_field)] = str(lookup["id"])
    known = set(
        BuyerDataHold.objects.filter(tenant_id=tenant_id).values_list("amazon_order_id", flat=True)
    )
    days = data_protection_settings(tenant_id=tenant_id).retention_days
    holds = []
    for state in AmazonOrderState.objects.filter(tenant_id=tenant_id).exclude(zoho_id=""):
        if state.amazon_order_id in known:
            continue
        key = keys_by_contact.get(contact_of.get(state.amazon_order_id, ""), "")
        hold = BuyerDataHold(
            tenant_id=tenant_id,
            amazon_order_id=state.amazon_order_id,
            marketplace_id=state.marketplace_id,
            buyer_key=key or "unknown",
            contact_has_pii=is_hashed(key),
            purchase_date=state.last_update_date,
            shipped_at=state.last_update_date if state.order_status in retention.SHIPPED else None,
            cancelled_at=(
                state.last_update_date if state.order_status in retention.CANCELLED else None
            ),
        )
        refresh_expiry(hold, retention_days=days)
        holds.append(hold)
    BuyerDataHold.objects.bulk_create(holds, ignore_conflicts=True, batch_size=500)
    return len(holds)


def buyer_keys_migrate(
    *, tenant_id: int, client: ZohoClient, names: dict, now: datetime | None = None
) -> bool:
    """Run the move once (see the module docstring); True if it ran now. A tenant that
    never wrote a contact has nothing to move."""
    found = data_protection_settings(tenant_id=tenant_id)
    if found.keys_migrated_at is not None:
        return False
    if ZohoLink.objects.filter(tenant_id=tenant_id, module=CONTACTS).exists():
        keys = _rekey_contacts(tenant_id, client, names)
        held = _hold_old_orders(tenant_id, client, names, keys)
        logger.info(
            "buyer keys migrated tenant=%s contacts=%s orders_held=%s",
            tenant_id,
            len(keys),
            held,
        )
    found.keys_migrated_at = now or timezone.now()
    found.save(update_fields=["keys_migrated_at", "updated_at"])
    return True
