"""The one typed client for Zoho CRM's REST API (v8). Nothing else builds a Zoho URL or
reads Zoho's JSON.

``ZohoClient`` adds Zoho's endpoints to ``transport.ZohoTransport`` (auth, call slots, the
retry policy, call counts) and answers in the types of ``records`` and ``metadata``.
Writes go in Zoho's batches of 100 (records) and 5 (fields).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from django.conf import settings

from crm_sync.models import ZohoConnection
from crm_sync.zoho.errors import RECONNECT_MESSAGE, ZohoApiError, ZohoError, ZohoReconnectRequired
from crm_sync.zoho.metadata import (
    FieldCreateResult,
    FieldDefinition,
    NewModule,
    NewTextField,
    ZohoModule,
    ZohoOrg,
    ZohoProfile,
    ZohoUser,
)
from crm_sync.zoho.modules import SALES_ORDERS
from crm_sync.zoho.records import (
    RecordResult,
    SalesOrderRecord,
    ZohoRecord,
    record_from_json,
    result_from_json,
)
from crm_sync.zoho.transport import ZohoTransport, response_json

__all__ = ["RecordResult", "ZohoClient", "client_for"]

WRITE_BATCH = 100  # Zoho's limit per insert/update/upsert call
FIELDS_BATCH = 5  # Zoho's limit per POST /settings/fields
PAGE_SIZE = 200  # Zoho's per_page maximum
PAGE_LIMIT_WITHOUT_TOKEN = 2000  # beyond this, list paging needs page_token
MAX_PAGES = 500  # 100,000 records: Zoho's own ceiling for page_token paging


def _body(resp: Any) -> dict:
    body = response_json(resp)
    return body if isinstance(body, dict) else {}


class ZohoClient(ZohoTransport):
    """Zoho CRM for one tenant's connection. Safe to share between threads."""

    # -----------------------------------------------------------------------------------------
    # record writes

    def upsert(
        self,
        module: str,
        records: Sequence[dict],
        *,
        duplicate_check_fields: Sequence[str],
        trigger: Sequence[str] = (),
    ) -> list[RecordResult]:
        """Insert or update by ``duplicate_check_fields`` (unique or system fields), 100 a call.

        Results come back in input order, one per record; failures are results, not
        exceptions. A request-level failure raises with ``partial_results`` set.
        """
        extra = {"duplicate_check_fields": list(duplicate_check_fields), "trigger": list(trigger)}
        return self._write("POST", f"/{module}/upsert", records, extra, idempotent=True)

    def insert(
        self, module: str, records: Sequence[dict], *, trigger: Sequence[str] = ()
    ) -> list[RecordResult]:
        """Create records, 100 a call. Not retried on 5xx: Zoho may have created them."""
        return self._write("POST", f"/{module}", records, {"trigger": list(trigger)}, False)

    def update(
        self, module: str, records: Sequence[dict], *, trigger: Sequence[str] = ()
    ) -> list[RecordResult]:
        """Update records (each has ``id``), 100 a call."""
        if any(not r.get("id") for r in records):
            raise ValueError("every record passed to update() needs its Zoho id")
        return self._write("PUT", f"/{module}", records, {"trigger": list(trigger)}, True)

    def _write(
        self, method: str, path: str, records: Sequence[dict], extra: dict, idempotent: bool
    ) -> list[RecordResult]:
        results: list[RecordResult] = []
        for start in range(0, len(records), WRITE_BATCH):
            batch = list(records[start : start + WRITE_BATCH])
            try:
                resp, uncertain = self._exchange(
                    method,
                    path,
                    json={"data": batch, **extra},
                    results_key="data",
                    expected=len(batch),
                    idempotent=idempotent,
                )
            except ZohoError as exc:
                exc.partial_results = results
                raise
            entries = _body(resp).get("data")
            if not isinstance(entries, list) or len(entries) != len(batch):
                # Never guess which records these answers belong to.
                exc = ZohoApiError(
                    resp.status_code,
                    "UNEXPECTED_RESPONSE",
                    f"{len(entries or [])} results for {len(batch)} records",
                    method=method,
                    path=path,
                )
                exc.partial_results = results
                raise exc
            batch_results = [
                result_from_json(start + i, e, uncertain=uncertain) for i, e in enumerate(entries)
            ]
            results.extend(batch_results)
            with self._lock:
                self.stats["writes"] += 1
                self.stats["records_written"] += sum(r.ok for r in batch_results)
        return results

    # -----------------------------------------------------------------------------------------
    # record reads

    def get_record(self, module: str, record_id: str) -> ZohoRecord | None:
        """One record with its subforms; a ``SalesOrderRecord`` (with its line rows) for
        Sales Orders. None if it does not exist."""
        try:
            body = _body(self._call("GET", f"/{module}/{record_id}"))
        except ZohoApiError as exc:
            if exc.status == 404 or exc.code in {"INVALID_DATA", "NO_DATA"}:
                return None
            raise
        data = body.get("data") or []
        return record_from_json(module, data[0]) if data else None

    def get_sales_order(self, record_id: str) -> SalesOrderRecord | None:
        """A Sales Order with its ``Ordered_Items`` rows (only get-by-id returns them)."""
        record = self.get_record(SALES_ORDERS, record_id)
        return record if isinstance(record, SalesOrderRecord) else None

    def list_records(
        self,
        module: str,
        fields: Sequence[str],
        *,
        per_page: int = PAGE_SIZE,
        sort_by: str | None = None,
        sort_order: str | None = None,
        max_pages: int = MAX_PAGES,
    ) -> Iterator[ZohoRecord]:
        """Every record of ``module`` (``fields`` is mandatory in v8, at most 50), page by page;
        after 2,000 records it switches to ``page_token`` as Zoho requires."""
        params: dict[str, Any] = {"fields": ",".join(fields), "per_page": min(per_page, PAGE_SIZE)}
        if sort_by:
            params["sort_by"] = sort_by
        if sort_order:
            params["sort_order"] = sort_order
        page = 1
        token: str | None = None
        for _ in range(max_pages):
            query = dict(params, page_token=token) if token else dict(params, page=page)
            body = _body(self._call("GET", f"/{module}", params=query))
            for entry in body.get("data") or []:
                record = record_from_json(module, entry)
                if record is not None:
                    yield record
            info = body.get("info") or {}
            if not info.get("more_records"):
                return
            if page * params["per_page"] >= PAGE_LIMIT_WITHOUT_TOKEN:
                token = info.get("next_page_token")
                if not token:
                    raise ZohoApiError(
                        200, "NO_PAGE_TOKEN", "over 2,000 records and no page token", path=module
                    )
            page += 1

    # -----------------------------------------------------------------------------------------
    # settings and metadata

    def fields(self, module: str) -> list[FieldDefinition]:
        """Every field of a module, with its generated API name and whether it is unique."""
        body = _body(self._call("GET", "/settings/fields", params={"module": module}))
        return [
            FieldDefinition.from_json(f) for f in body.get("fields") or [] if isinstance(f, dict)
        ]

    def field(self, module: str, field_id: str) -> FieldDefinition | None:
        """One field by id (how a just-created field's API name is read back)."""
        path = f"/settings/fields/{field_id}"
        items = _body(self._call("GET", path, params={"module": module})).get("fields") or []
        return FieldDefinition.from_json(items[0]) if items and isinstance(items[0], dict) else None

    def create_fields(self, module: str, fields: Sequence[NewTextField]) -> list[FieldCreateResult]:
        """Create custom fields, at most 5 a call; one result per field, in order. Zoho's
        results carry the new field's id but not its API name (read it back)."""
        results: list[FieldCreateResult] = []
        for start in range(0, len(fields), FIELDS_BATCH):
            batch = [f.as_json() for f in fields[start : start + FIELDS_BATCH]]
            resp = self._call(
                "POST",
                "/settings/fields",
                params={"module": module},
                json={"fields": batch},
                results_key="fields",
                expected=len(batch),
                idempotent=False,
            )
            entries = _body(resp).get("fields")
            if not isinstance(entries, list) or len(entries) != len(batch):
                raise ZohoApiError(
                    resp.status_code,
                    "UNEXPECTED_RESPONSE",
                    f"{len(entries or [])} results for {len(batch)} fields",
                    path="/settings/fields",
                )
            results.extend(FieldCreateResult.from_json(e) for e in entries)
        return results

    def org(self) -> ZohoOrg:
        """The organisation this connection belongs to (edition, primary contact)."""
        orgs = _body(self._call("GET", "/org")).get("org") or []
        return ZohoOrg.from_json(orgs[0] if orgs and isinstance(orgs[0], dict) else {})

    def users(self, type: str = "AllUsers", *, max_pages: int = 50) -> list[ZohoUser]:
        """Users of one Zoho ``type`` (``AdminUsers``, ``ActiveUsers``, ``CurrentUser`` …)."""
        found: list[ZohoUser] = []
        for page in range(1, max_pages + 1):
            params = {"type": type, "page": page, "per_page": PAGE_SIZE}
            body = _body(self._call("GET", "/users", params=params))
            found.extend(
                ZohoUser.from_json(u) for u in body.get("users") or [] if isinstance(u, dict)
            )
            if not (body.get("info") or {}).get("more_records"):
                break
        return found

    def modules(self) -> list[ZohoModule]:
        """The org's modules; the edition decides which exist (no Sales Orders below
        Professional)."""
        body = _body(self._call("GET", "/settings/modules"))
        return [ZohoModule.from_json(m) for m in body.get("modules") or [] if isinstance(m, dict)]

    def profiles(self) -> list[ZohoProfile]:
        """The org's profiles (a custom module must name at least one)."""
        body = _body(self._call("GET", "/settings/profiles"))
        return [ZohoProfile.from_json(p) for p in body.get("profiles") or [] if isinstance(p, dict)]

    def create_module(self, module: NewModule) -> FieldCreateResult:
        """Create one custom module (Zoho's limit per call; 500 credits). The answer has the
        module's id only: read its API name back from ``modules()``. Zoho's refusals
        (``NOT_SUPPORTED`` below Enterprise, ``LIMIT_EXCEEDED``, ``DUPLICATE_DATA``) come back
        as a failed result, not an exception."""
        try:
            resp = self._call(
                "POST",
                "/settings/modules",
                json={"modules": [module.as_json()]},
                idempotent=False,
            )
        except ZohoApiError as exc:
            if exc.status == 400:
                return FieldCreateResult(False, None, exc.code, str(exc))
            raise
        entries = _body(resp).get("modules") or [None]
        return FieldCreateResult.from_json(entries[0])

    def delete_records(self, module: str, ids: Sequence[str]) -> int:
        """Delete records by id, 100 a call (Zoho's limit); returns how many Zoho deleted."""
        deleted = 0
        for start in range(0, len(ids), WRITE_BATCH):
            batch = ",".join(ids[start : start + WRITE_BATCH])
            resp = self._call("DELETE", f"/{module}", params={"ids": batch}, idempotent=True)
            entries = _body(resp).get("data") or []
            deleted += sum(
                1 for e in entries if isinstance(e, dict) and e.get("status") == "success"
            )
        return deleted


def client_for(tenant: Any, **options: Any) -> ZohoClient:
    """The client for a tenant's Zoho connection; raises ``ZohoReconnectRequired`` if it has
    none or it needs reconnecting."""
    connection = ZohoConnection.objects.filter(tenant=tenant).first()
    if connection is None:
        raise ZohoReconnectRequired(
            "Zoho CRM is not connected; an administrator must connect it in Settings."
        )
    if connection.status == ZohoConnection.Status.BROKEN:
        raise ZohoReconnectRequired(connection.status_reason or RECONNECT_MESSAGE)
    options.setdefault("backoff_base", settings.ZOHO_BACKOFF_BASE)
    return ZohoClient(connection, **options)
