"""Set-up of the manual's two history modules in the tenant's Zoho org (manual §2.1).

"With the installation of the Amazon Extension in Zoho CRM, *Amazon Sync History* and
*Order History* modules will be added": created through ``POST /settings/modules`` where the
edition allows (Enterprise and above; 500 credits each), with their fields created like the
Products / Sales Orders fields and their generated API names always read back, never derived
from the labels. Order History links to the Sales Order and to its Amazon Sync History record.
Modules already in the org under these labels (a reinstall) are reused, so running set-up
again creates nothing. Where Zoho refuses (edition, module limit), the row says so in the
administrator's words and run history stays in the dashboard only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from crm_sync.models import ZohoConnection
from crm_sync.models.zoho_history import ZohoHistoryModules
from crm_sync.zoho.client import ZohoClient
from crm_sync.zoho.errors import ZohoError
from crm_sync.zoho.metadata import NewLookupField, NewModule, NewTypedField, ZohoModule
from crm_sync.zoho.modules import SALES_ORDERS

log = logging.getLogger(__name__)

KEY_LABEL = "History Key"  # unique text: what every upsert matches on (idempotent mirror)
SYNC_LOOKUP_LABEL = "Amazon Sync History"
SALES_ORDER_LOOKUP_LABEL = "Sales Order"


@dataclass(frozen=True)
class HistoryModuleSpec:
    """One module: its labels, the API name asked for and its fields (labels → specs)."""

    key: str  # "sync" | "order": which column of ZohoHistoryModules holds its API name
    plural: str
    singular: str
    api_name: str
    name_label: str
    fields: tuple[NewTypedField | NewLookupField, ...]


SYNC_SPEC = HistoryModuleSpec(
    key="sync",
    plural="Amazon Sync History",
    singular="Amazon Sync Run",
    api_name="Amazon_Sync_History",
    name_label="Run",
    fields=(
        NewTypedField(KEY_LABEL, "text", 100, unique=True),
        NewTypedField("Schedule", "text", 100),
        NewTypedField("Trigger", "text", 50),
        NewTypedField("Outcome", "text", 50),
        NewTypedField("Started At", "datetime"),
        NewTypedField("Finished At", "datetime"),
        NewTypedField("Orders Fetched", "integer"),
        NewTypedField("Orders Created", "integer"),
        NewTypedField("Orders Updated", "integer"),
        NewTypedField("Products Created", "integer"),
        NewTypedField("Contacts Created", "integer"),
        NewTypedField("Records Failed", "integer"),
        NewTypedField("Error", "textarea", 32000),
    ),
)


def order_spec(sync_module: str) -> HistoryModuleSpec:
    """Order History; its run lookup points at wherever Amazon Sync History was created."""
    return HistoryModuleSpec(
        key="order",
        plural="Order History",
        singular="Order History Entry",
        api_name="Order_History",
        name_label="Entry",
        fields=(
            NewTypedField(KEY_LABEL, "text", 100, unique=True),
            NewTypedField("Amazon Order ID", "text", 50),
            NewTypedField("Action", "text", 50),
            NewTypedField("Old Status", "text", 50),
            NewTypedField("New Status", "text", 50),
            NewTypedField("Recorded At", "datetime"),
            NewTypedField("Message", "textarea", 32000),
            NewLookupField(SALES_ORDER_LOOKUP_LABEL, SALES_ORDERS),
            NewLookupField(SYNC_LOOKUP_LABEL, sync_module),
        ),
    )


class _RefusedError(Exception):
    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def _find(modules: list[ZohoModule], spec: HistoryModuleSpec) -> ZohoModule | None:
    for m in modules:
        if m.api_name.casefold() == spec.api_name.casefold() or (
            m.custom and m.plural_label.casefold() == spec.plural.casefold()
        ):
            return m
    return None


def _ensure_module(client: ZohoClient, spec: HistoryModuleSpec, edition: str) -> tuple[str, bool]:
    """The module's API name, and whether this call created it."""
    found = _find(client.modules(), spec)
    if found is not None:
        return found.api_name, False
    profiles = tuple(p.id for p in client.profiles() if p.id)
    result = client.create_module(
        NewModule(spec.plural, spec.singular, spec.api_name, profiles, spec.name_label)
    )
    if not result.ok and result.code == "NOT_SUPPORTED":
        raise _RefusedError(
            ZohoHistoryModules.Status.UNSUPPORTED,
            f"Your Zoho CRM edition ({edition or 'unknown'}) does not allow custom modules, so "
            "Amazon Sync History and Order History are kept in this app's dashboard only. "
            "Upgrade to Enterprise or above, then press “Set up history modules” in Settings.",
        )
    if not result.ok and result.code == "LIMIT_EXCEEDED":
        raise _RefusedError(
            ZohoHistoryModules.Status.LIMIT,
            "Your Zoho CRM organisation has reached its limit of custom modules, so Amazon Sync "
            "History and Order History are kept in this app's dashboard only. Delete a custom "
            "module you no longer use (Setup → Modules and Fields), then press “Set up history "
            "modules” in Settings.",
        )
    # Created now, or by a concurrent set-up (DUPLICATE_DATA): read the API name back.
    found = next((m for m in client.modules() if result.ok and m.id == result.field_id), None)
    found = found or _find(client.modules(), spec)
    if found is None:
        raise _RefusedError(
            ZohoHistoryModules.Status.FAILED,
            f"Zoho CRM did not create the {spec.plural} module ({result.code}: "
            f"{result.message}). Press “Set up history modules” in Settings to try again.",
        )
    return found.api_name, result.ok


def _ensure_fields(client: ZohoClient, module: str, spec: HistoryModuleSpec) -> dict[str, str]:
    """Create the missing fields; return {label: API name}, read back from Zoho."""
    existing = {f.label.casefold(): f for f in client.fields(module)}
    missing = [f for f in spec.fields if f.label.casefold() not in existing]
    if missing:
        outcomes = client.create_fields(module, missing)
        errors = [
            f"{f.label!r}: {o.code}"
            for f, o in zip(missing, outcomes, strict=True)
            if not o.ok and o.code != "DUPLICATE_DATA"
        ]
        if errors:
            raise _RefusedError(
                ZohoHistoryModules.Status.FAILED,
                f"Zoho CRM refused fields of {spec.plural} ({', '.join(errors)}). Press “Set up "
                "history modules” in Settings to try again.",
            )
        existing = {f.label.casefold(): f for f in client.fields(module)}
    names = {"Name": "Name"}
    for f in spec.fields:
        meta = existing.get(f.label.casefold())
        if meta is None or not meta.api_name:
            raise _RefusedError(
                ZohoHistoryModules.Status.FAILED,
                f"{spec.plural} field {f.label!r} could not be read back from Zoho CRM.",
            )
        if f.label == KEY_LABEL and not meta.unique:
            raise _RefusedError(
                ZohoHistoryModules.Status.FAILED,
                f"{spec.plural} field “{KEY_LABEL}” allows duplicates, so history could be "
                "written twice. In Zoho CRM edit the field and tick “Do not allow duplicate "
                "values”, then press “Set up history modules” in Settings.",
            )
        names[f.label] = meta.api_name
    return names


def history_modules_setup(
    *, connection: ZohoConnection, client: ZohoClient | None = None
) -> ZohoHistoryModules:
    """Create (or find) both modules and their fields; record the outcome for Settings.

    Never raises for Zoho's refusals: the sync does not depend on these modules.
    """
    client = client or ZohoClient(connection)
    row, _ = ZohoHistoryModules.objects.get_or_create(tenant_id=connection.tenant_id)
    if row.org_id and row.org_id != connection.org_id:
        row.created_modules, row.field_api_names = [], {}
    row.org_id = connection.org_id
    created = list(row.created_modules)
    try:
        sync_module, made = _ensure_module(client, SYNC_SPEC, connection.edition)
        created += [sync_module] if made else []
        names = {sync_module: _ensure_fields(client, sync_module, SYNC_SPEC)}
        spec = order_spec(sync_module)
        order_module, made = _ensure_module(client, spec, connection.edition)
        created += [order_module] if made else []
        names[order_module] = _ensure_fields(client, order_module, spec)
    except _RefusedError as exc:
        row.status, row.message = exc.status, exc.message
    except ZohoError as exc:
        row.status = ZohoHistoryModules.Status.FAILED
        row.message = (
            f"Zoho CRM could not be reached to set up the history modules ({exc}). Press “Set "
            "up history modules” in Settings to try again."
        )
    else:
        row.status, row.message = ZohoHistoryModules.Status.READY, ""
        row.sync_module, row.order_module = sync_module, order_module
        row.field_api_names = names
    row.created_modules = sorted(set(created))
    row.save()
    log.info("zoho history modules tenant=%s status=%s", connection.tenant_id, row.status)
    return row
