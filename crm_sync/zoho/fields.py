"""Custom-field setup: the fields the manual (sections 2.2–2.4) says the extension creates.

Zoho generates each field's API name from its label, but an org that once had a field of that
name gets another (``ASIN_No1``), so the names are always read back and stored per tenant in
``ZohoConnection.field_api_names``, keyed by the manual's labels. Fields that already exist
(same label, any case) are reused, so running setup again creates nothing.
"""

from __future__ import annotations

import logging

from django.utils import timezone

from crm_sync.models import ZohoConnection
from crm_sync.zoho.client import ZohoClient
from crm_sync.zoho.errors import ZohoFieldSetupError
from crm_sync.zoho.metadata import FieldDefinition, NewTextField
from crm_sync.zoho.modules import CONTACTS, PRODUCTS, SALES_ORDERS

log = logging.getLogger(__name__)

# Module API name → the manual's labels, in the manual's order.
MANUAL_FIELDS: dict[str, tuple[str, ...]] = {
    PRODUCTS: ("ASIN No", "Currency Code"),
    SALES_ORDERS: ("Order Type", "Amazon Order Status", "Sales Channel", "Amazon Order ID"),
    CONTACTS: ("Buyer Name", "Amazon Order ID", "Amazon Buyer Email", "Amazon Buyer Key"),
}
# The field each module's upserts key on; it must be unique ("Do not allow duplicates").
KEY_FIELDS: dict[str, str] = {
    PRODUCTS: "ASIN No",
    SALES_ORDERS: "Amazon Order ID",
    # Not the email: Amazon gives most orders none, and an email is PII that must go 30 days
    # after delivery. "Amazon Buyer Key" holds a keyed hash of the relay alias
    # (crm_sync.buyer_keys); orgs set up before it keep "Amazon Buyer Email" unique too.
    CONTACTS: "Amazon Buyer Key",
}
# System fields that exist only once an org has switched multi-currency on.
CURRENCY_FIELDS: dict[str, tuple[str, ...]] = {
    SALES_ORDERS: ("Currency", "Exchange Rate"),
    PRODUCTS: ("Currency",),
}
# Not a module: what the mapping needs to know of the org itself, stored beside the field
# names ({"Org": {"Home Currency": "USD"}}) so every run's ``names`` carries it.
ORG = "Org"
HOME_CURRENCY = "Home Currency"
TEXT_LENGTH = 255  # Zoho's maximum for a single-line text field
UNIQUE_FIELDS_PER_MODULE = 2  # Zoho's limit
CREATE_ROUTE = "POST /settings/fields"


def _by_label(fields: list[FieldDefinition]) -> dict[str, FieldDefinition]:
    return {f.label.casefold(): f for f in fields}


def _create(
    client: ZohoClient, module: str, specs: list[NewTextField], report: dict, *, first: bool
) -> tuple[dict[str, str], list[NewTextField]]:
    """Create ``specs``; return {label: new field id} and, on the ``first`` try, the specs to
    try again without ``unique`` (the edition allows fewer unique fields than Zoho's two)."""
    created: dict[str, str] = {}
    retry: list[NewTextField] = []
    for spec, outcome in zip(specs, client.create_fields(module, specs), strict=True):
        if outcome.ok and outcome.field_id:
            created[spec.label] = outcome.field_id
        elif first and spec.unique and outcome.code == "LIMIT_EXCEEDED":
            retry.append(NewTextField(spec.label, length=spec.length))
        elif first and outcome.code == "DUPLICATE_DATA":
            pass  # created meanwhile (or hidden from the list); the re-read finds it
        else:
            report["errors"].append(
                f"{module} field {spec.label!r}: {outcome.code} {outcome.message}"
            )
    return created, retry


def _setup_module(client: ZohoClient, module: str, labels: tuple[str, ...], report: dict) -> dict:
    """Create ``module``'s missing fields; return {label: api_name} for those found."""
    existing = client.fields(module)
    by_label = _by_label(existing)
    unique_used = sum(f.unique for f in existing)
    key = KEY_FIELDS.get(module)

    specs: list[NewTextField] = []
    for label in labels:
        if label.casefold() in by_label:
            report["reused"].setdefault(module, []).append(label)
            meta = by_label[label.casefold()]
            if meta.data_type not in (None, "text"):
                report["warnings"].append(
                    f"{module} field {label!r} exists as {meta.data_type}, not text."
                )
            continue
        want_unique = label == key and unique_used < UNIQUE_FIELDS_PER_MODULE
        unique_used += want_unique
        specs.append(NewTextField(label, length=TEXT_LENGTH, unique=want_unique))

    created_ids: dict[str, str] = {}
    if specs:
        created_ids, retry = _create(client, module, specs, report, first=True)
        if retry:
            again, _ = _create(client, module, retry, report, first=False)
            created_ids.update(again)
        report["created"][module] = sorted(created_ids, key=labels.index)
        # Read the generated names back; never derive them from the label.
        existing = client.fields(module)
        by_label = _by_label(existing)

    by_id = {f.id: f for f in existing if f.id}
    names: dict[str, str] = {}
    for label in labels:
        meta = by_id.get(created_ids.get(label, "")) or by_label.get(label.casefold())
        if meta is None and label in created_ids:
            meta = client.field(module, created_ids[label])
        if meta and meta.api_name:
            names[label] = meta.api_name
            if label == key:
                report["key_fields"][module] = {
                    "label": label,
                    "api_name": names[label],
                    "unique": meta.unique,
                }
        elif not any(label in e for e in report["errors"]):
            report["errors"].append(f"{module} field {label!r} could not be read back.")
    # Multi-currency orgs: Zoho's own Currency and Exchange Rate fields, read back the same
    # way; their presence is how the mapping knows a record may carry its currency.
    for label in CURRENCY_FIELDS.get(module, ()):
        meta = by_label.get(label.casefold())
        if meta is not None and meta.api_name and not meta.custom:
            names[label] = meta.api_name
    return names


def fields_setup(*, connection: ZohoConnection, client: ZohoClient | None = None) -> dict:
    """Create the manual's custom fields where missing and store their API names.

    Returns a report: ``created``/``reused`` labels per module, ``key_fields`` (API name and
    whether it is unique), ``create_calls``, ``warnings``, ``errors`` and ``api_names``.
    Raises ``ZohoFieldSetupError`` (with the report) when a field is missing or a key field
    is not unique, because the sync upserts on those and would create duplicates.
    """
    client = client or ZohoClient(connection)
    report: dict = {
        "created": {},
        "reused": {},
        "key_fields": {},
        "create_calls": 0,
        "warnings": [],
        "errors": [],
        "api_names": {},
    }
    calls_before = client.stats[CREATE_ROUTE]
    for module, labels in MANUAL_FIELDS.items():
        report["api_names"][module] = _setup_module(client, module, labels, report)
    # A product's Unit_Price is kept in this currency only (crm_sync.mapping.products).
    report["api_names"][ORG] = {HOME_CURRENCY: client.org().currency}
    report["create_calls"] = client.stats[CREATE_ROUTE] - calls_before

    not_unique = [
        f"{module} “{info['label']}”"
        for module, info in report["key_fields"].items()
        if not info["unique"]
    ]
    connection.field_api_names = report["api_names"]
    complete = not report["errors"] and not not_unique
    connection.fields_ready_at = timezone.now() if complete else None
    connection.save(update_fields=["field_api_names", "fields_ready_at", "updated_at"])
    log.info(
        "zoho field setup tenant=%s created=%s create_calls=%s complete=%s",
        connection.tenant_id,
        sum(len(v) for v in report["created"].values()),
        report["create_calls"],
        complete,
    )
    if not_unique:
        raise ZohoFieldSetupError(
            "These Zoho CRM fields exist but allow duplicates, so the sync cannot match records "
            f"on them: {', '.join(not_unique)}. In Zoho CRM, open Setup → Modules and Fields, "
            "edit each field and tick “Do not allow duplicate values” (a module allows two such "
            "fields), then run field setup again.",
            report,
        )
    if report["errors"]:
        raise ZohoFieldSetupError(
            "Zoho CRM field setup did not finish: " + "; ".join(report["errors"]), report
        )
    return report
