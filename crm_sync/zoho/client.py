"""The one typed client for Zoho CRM's REST API (v8). Nothing else builds a Zoho URL.

Every call goes to ``connection.api_domain + /crm/v8`` with ``Authorization: Zoho-oauthtoken``,
holds one of the tenant's concurrency slots (``limits.call_slot``) while in flight, and is
counted in ``client.stats`` so a sync can report its Zoho calls.

Retries: 429 → exponential backoff with jitter (base 2 s, doubling, capped at 60 s, at most
``max_attempts`` tries); 5xx and network errors → the same, but only for requests that are
safe to repeat (not a plain insert); 401 INVALID_TOKEN → one refresh, one retry; any other 4xx
→ ``ZohoApiError`` at once. Logs carry tenant id, method, path and status, never tokens or
record payloads.
"""

from __future__ import annotations

import logging
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import requests
from django.conf import settings

from crm_sync.models import ZohoConnection
from crm_sync.zoho import oauth
from crm_sync.zoho.errors import (
    RECONNECT_MESSAGE,
    ZohoApiError,
    ZohoError,
    ZohoRateLimitedError,
    ZohoReconnectRequired,
)
from crm_sync.zoho.limits import call_slot

log = logging.getLogger(__name__)

API_VERSION = "v8"
WRITE_BATCH = 100  # Zoho's limit per insert/update/upsert call
FIELDS_BATCH = 5  # Zoho's limit per POST /settings/fields
PAGE_SIZE = 200  # Zoho's per_page maximum
PAGE_LIMIT_WITHOUT_TOKEN = 2000  # beyond this, list paging needs page_token
MAX_PAGES = 500  # 100,000 records: Zoho's own ceiling for page_token paging
CREDITS_PERSIST_SECONDS = 10.0
TOKEN_REJECTED = frozenset({"INVALID_TOKEN", "INVALID_OAUTHTOKEN", "AUTHENTICATION_FAILURE"})
SCOPE_MESSAGE = (
    "Zoho CRM refused a call for lack of permission (OAUTH_SCOPE_MISMATCH); an administrator "
    "must reconnect Zoho CRM in Settings to grant it."
)


@dataclass(frozen=True)
class RecordResult:
    """Zoho's answer for one record of a write, at the record's position in the input."""

    index: int
    ok: bool
    action: str | None  # "insert" | "update" (upsert and insert/update) or None on failure
    zoho_id: str | None
    code: str | None  # e.g. "SUCCESS", "DUPLICATE_DATA", "MANDATORY_NOT_FOUND"
    message: str | None
    field: str | None  # details.api_name of the offending field
    details: dict = field(default_factory=dict, repr=False)


def _route(path: str) -> str:
    """``/Products/4150868000000376008`` → ``/Products/{id}`` for per-route counting."""
    return re.sub(r"/\d+(?=/|$)", "/{id}", path)


def _json(resp: requests.Response) -> Any:
    if resp.status_code == 204 or not resp.content:
        return None
    try:
        return resp.json()
    except ValueError:
        return None


def _error_parts(body: Any) -> tuple[str | None, str | None, dict]:
    """(code, message, details) from any of Zoho's error shapes."""
    entry = body
    if isinstance(body, dict) and isinstance(body.get("data"), list) and body["data"]:
        entry = body["data"][0]
    elif isinstance(body, list) and body:
        entry = body[0]
    if not isinstance(entry, dict):
        return None, None, {}
    details = entry.get("details") if isinstance(entry.get("details"), dict) else {}
    return entry.get("code"), entry.get("message"), details


def _result(index: int, entry: Any) -> RecordResult:
    if not isinstance(entry, dict):
        return RecordResult(index, False, None, None, "NO_RESULT", "Zoho sent no result", None)
    details = entry.get("details") if isinstance(entry.get("details"), dict) else {}
    ok = entry.get("status") == "success"
    field_name = details.get("api_name")
    if not field_name and isinstance(details.get("errors"), list):  # MULTIPLE_OR_MULTI_ERRORS
        first = next((e for e in details["errors"] if isinstance(e, dict)), {})
        field_name = (first.get("details") or {}).get("api_name")
    zoho_id = details.get("id") if ok else None
    return RecordResult(
        index=index,
        ok=ok,
        action=entry.get("action") if ok else None,
        zoho_id=str(zoho_id) if zoho_id else None,
        code=entry.get("code"),
        message=entry.get("message"),
        field=field_name,
        details=details,
    )


class ZohoClient:
    """Zoho CRM for one tenant's connection. Safe to share between threads."""

    def __init__(
        self,
        connection: ZohoConnection,
        *,
        backoff_base: float = 2.0,
        backoff_cap: float = 60.0,
        max_attempts: int = 5,
        max_concurrency: int | None = None,
        redis_url: str | None = None,
        timeout: float | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.connection = connection
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.max_attempts = max(1, max_attempts)
        self.max_concurrency = max_concurrency
        self.redis_url = redis_url
        self.timeout = settings.ZOHO_HTTP_TIMEOUT if timeout is None else timeout
        self.stats: Counter[str] = Counter()  # "METHOD /route" → calls, writes, records_written
        self.events: Counter[str] = Counter()  # retries and refreshes, for diagnosis
        self._session = session or requests.Session()
        self._sleep = sleep
        self._lock = threading.Lock()
        self._credits_saved_at = 0.0
        self._credits_saved: int | None = connection.credits_remaining

    def __repr__(self) -> str:
        return f"<ZohoClient tenant={self.connection.tenant_id} api={self.connection.api_domain}>"

    def __enter__(self) -> ZohoClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.flush_credits(force=True)
        self._session.close()

    @property
    def calls(self) -> int:
        """HTTP calls made (every attempt, retries included)."""
        return sum(n for key, n in self.stats.items() if " " in key)

    @property
    def base_url(self) -> str:
        return f"{self.connection.api_domain.rstrip('/')}/crm/{API_VERSION}"

    # -----------------------------------------------------------------------------------------
    # transport

    def request(
        self, method: str, path: str, *, params: dict | None = None, json: Any = None
    ) -> requests.Response:
        """One API call with the retry rules above; raises ``ZohoApiError`` on failure."""
        return self._call(method, path, params=params, json=json)

    def _backoff(self, retry: int) -> float:
        delay = min(self.backoff_cap, self.backoff_base * (2**retry))
        return min(self.backoff_cap, delay * random.uniform(0.75, 1.25))

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict | None = None,
        json: Any = None,
        results_key: str | None = None,
        expected: int = 0,
        idempotent: bool = True,
    ) -> requests.Response:
        method = method.upper()
        path = "/" + path.lstrip("/")
        route = f"{method} {_route(path)}"
        tenant = self.connection.tenant_id
        retries = 0
        refreshed = False
        rejected: str | None = None
        # Bounded: max_attempts tries for 429/5xx plus the one retry after a refresh.
        for _ in range(self.max_attempts + 1):
            token = oauth.ensure_access_token(self.connection, rejected=rejected)
            rejected = None
            headers = {"Authorization": f"Zoho-oauthtoken {token}"}
            try:
                with call_slot(tenant, limit=self.max_concurrency, redis_url=self.redis_url):
                    resp = self._session.request(
                        method,
                        self.base_url + path,
                        params=params,
                        json=json,
                        headers=headers,
                        timeout=self.timeout,
                    )
            except requests.RequestException as exc:
                with self._lock:
                    self.stats[route] += 1
                log.warning(
                    "zoho tenant=%s %s %s failed: %s", tenant, method, path, type(exc).__name__
                )
                if idempotent and retries + 1 < self.max_attempts:
                    self._wait(retries, "network")
                    retries += 1
                    continue
                raise ZohoApiError(
                    0, "NETWORK_ERROR", type(exc).__name__, method=method, path=path
                ) from None
            with self._lock:
                self.stats[route] += 1
            self._track_credits(resp)
            status = resp.status_code
            if status < 300:
                log.debug("zoho tenant=%s %s %s %s", tenant, method, path, status)
                return resp
            log.info("zoho tenant=%s %s %s %s", tenant, method, path, status)
            body = _json(resp)
            if status == 400 and results_key and self._is_per_item(body, results_key, expected):
                return resp  # every item failed; the caller reports each one
            code, message, details = _error_parts(body)
            if status == 429 or (status >= 500 and idempotent):
                if retries + 1 < self.max_attempts:
                    self._wait(retries, str(status))
                    retries += 1
                    continue
                error_class = ZohoRateLimitedError if status == 429 else ZohoApiError
                raise error_class(status, code, message, details, method=method, path=path)
            if status == 401:
                if code in TOKEN_REJECTED and not refreshed:
                    refreshed = True
                    rejected = token
                    with self._lock:
                        self.events["token_rejected"] += 1
                    continue
                if code == "OAUTH_SCOPE_MISMATCH":
                    oauth.mark_broken(connection=self.connection, reason=SCOPE_MESSAGE)
                    raise ZohoReconnectRequired(SCOPE_MESSAGE)
                if code == "AUTHENTICATION_FAILURE":
                    oauth.mark_broken(connection=self.connection)
                    raise ZohoReconnectRequired()
            raise ZohoApiError(status, code, message, details, method=method, path=path)
        raise ZohoApiError(0, "RETRIES_EXHAUSTED", "gave up", method=method, path=path)

    @staticmethod
    def _is_per_item(body: Any, key: str, expected: int) -> bool:
        items = body.get(key) if isinstance(body, dict) else None
        return isinstance(items, list) and len(items) == expected

    def _wait(self, retry: int, why: str) -> None:
        delay = self._backoff(retry)
        with self._lock:
            self.events[f"retry_{why}"] += 1
        log.info("zoho tenant=%s backing off %.2fs after %s", self.connection.tenant_id, delay, why)
        self._sleep(delay)

    def _track_credits(self, resp: requests.Response) -> None:
        raw = resp.headers.get("X-API-CREDITS-REMAINING")
        if raw is None:
            return
        try:
            self.connection.credits_remaining = int(raw)
        except ValueError:
            return
        self.flush_credits()

    def flush_credits(self, *, force: bool = False) -> None:
        """Save credits remaining at most every few seconds (it changes on every call)."""
        value = self.connection.credits_remaining
        now = time.monotonic()
        if value is None or value == self._credits_saved or self.connection.pk is None:
            return
        if not force and now - self._credits_saved_at < CREDITS_PERSIST_SECONDS:
            return
        self._credits_saved, self._credits_saved_at = value, now
        ZohoConnection.objects.filter(pk=self.connection.pk).update(credits_remaining=value)

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
                resp = self._call(
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
            entries = (_json(resp) or {}).get("data")
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
            batch_results = [_result(start + i, e) for i, e in enumerate(entries)]
            results.extend(batch_results)
            with self._lock:
                self.stats["writes"] += 1
                self.stats["records_written"] += sum(r.ok for r in batch_results)
        return results

    # -----------------------------------------------------------------------------------------
    # record reads

    def get_record(self, module: str, record_id: str) -> dict | None:
        """One record with its subforms (e.g. ``Ordered_Items``); None if it does not exist."""
        try:
            body = _json(self._call("GET", f"/{module}/{record_id}"))
        except ZohoApiError as exc:
            if exc.status == 404 or exc.code in {"INVALID_DATA", "NO_DATA"}:
                return None
            raise
        data = (body or {}).get("data") or []
        return data[0] if data else None

    def list_records(
        self,
        module: str,
        fields: Sequence[str],
        *,
        per_page: int = PAGE_SIZE,
        sort_by: str | None = None,
        sort_order: str | None = None,
        max_pages: int = MAX_PAGES,
    ) -> Iterator[dict]:
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
            body = _json(self._call("GET", f"/{module}", params=query))
            if not body:
                return
            yield from body.get("data") or []
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

    def coql(self, query: str) -> dict:
        """Run a COQL ``select``; returns ``{"data": [...], "info": {...}}`` (empty on 204)."""
        body = _json(self._call("POST", "/coql", json={"select_query": query}))
        if not body:
            return {"data": [], "info": {"count": 0, "more_records": False}}
        body.setdefault("data", [])
        body.setdefault("info", {})
        return body

    def search(
        self,
        module: str,
        criteria: str,
        *,
        fields: Sequence[str] | None = None,
        per_page: int = PAGE_SIZE,
        max_pages: int = 10,
    ) -> list[dict]:
        """Records matching ``criteria`` (see ``criteria_equals``); 204 means none.

        Zoho's search index lags writes; use ``coql`` to read back what was just written.
        """
        found: list[dict] = []
        params: dict[str, Any] = {"criteria": criteria, "per_page": min(per_page, PAGE_SIZE)}
        if fields:
            params["fields"] = ",".join(fields)
        for page in range(1, max_pages + 1):
            body = _json(self._call("GET", f"/{module}/search", params=dict(params, page=page)))
            if not body:
                break
            found.extend(body.get("data") or [])
            if not (body.get("info") or {}).get("more_records"):
                break
        return found

    # -----------------------------------------------------------------------------------------
    # metadata

    def fields(self, module: str) -> list[dict]:
        """Field metadata (``api_name``, ``field_label``, ``unique``, …) of a module."""
        body = _json(self._call("GET", "/settings/fields", params={"module": module}))
        return list((body or {}).get("fields") or [])

    def field(self, module: str, field_id: str) -> dict | None:
        body = _json(self._call("GET", f"/settings/fields/{field_id}", params={"module": module}))
        items = (body or {}).get("fields") or []
        return items[0] if items else None

    def create_fields(self, module: str, fields: Sequence[dict]) -> list[dict]:
        """Create custom fields, at most 5 a call; one result per field, in order. Zoho's
        results carry the new ``details.id`` but not the API name (read it back)."""
        results: list[dict] = []
        for start in range(0, len(fields), FIELDS_BATCH):
            batch = list(fields[start : start + FIELDS_BATCH])
            resp = self._call(
                "POST",
                "/settings/fields",
                params={"module": module},
                json={"fields": batch},
                results_key="fields",
                expected=len(batch),
                idempotent=False,
            )
            entries = (_json(resp) or {}).get("fields")
            if not isinstance(entries, list) or len(entries) != len(batch):
                raise ZohoApiError(
                    resp.status_code,
                    "UNEXPECTED_RESPONSE",
                    f"{len(entries or [])} results for {len(batch)} fields",
                    path="/settings/fields",
                )
            results.extend(entries)
        return results

    def org(self) -> dict:
        body = _json(self._call("GET", "/org")) or {}
        orgs = body.get("org") or []
        return orgs[0] if orgs else {}

    def users(self, type: str = "AllUsers", *, max_pages: int = 50) -> list[dict]:
        """Users of one Zoho ``type`` (``AdminUsers``, ``ActiveUsers``, ``CurrentUser`` …)."""
        found: list[dict] = []
        for page in range(1, max_pages + 1):
            params = {"type": type, "page": page, "per_page": PAGE_SIZE}
            body = _json(self._call("GET", "/users", params=params))
            if not body:
                break
            found.extend(body.get("users") or [])
            if not (body.get("info") or {}).get("more_records"):
                break
        return found

    def modules(self) -> list[dict]:
        body = _json(self._call("GET", "/settings/modules")) or {}
        return list(body.get("modules") or [])


def criteria_equals(field_name: str, value: str) -> str:
    """``(Field:equals:value)`` with Zoho's backslash escapes for ``( ) ,``. Note that
    ``equals`` on a text field matches as "contains" in Zoho search."""
    escaped = re.sub(r"([(),\\])", r"\\\1", value)
    return f"({field_name}:equals:{escaped})"


def coql_literal(value: str) -> str:
    """A quoted COQL string literal; backslashes and single quotes are escaped."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def client_for(tenant, **options: Any) -> ZohoClient:
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
