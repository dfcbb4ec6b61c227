"""Executing a claimed run: build the clients, run the pipeline under the run's lease, turn
failures into plain words."""

from __future__ import annotations

import logging

import redis

from amazon_ext.amazon.errors import AmazonCredentialError, AmazonError
from amazon_ext.amazon.factory import orders_client_for
from amazon_ext.models import AmazonCredentials
from crm_sync.pipeline import SyncJob, run_pipeline
from crm_sync.services.buyer_key_migration import buyer_keys_migrate
from crm_sync.services.enqueue import run_execution_enqueue
from crm_sync.services.lease import RunLease
from crm_sync.services.next_step import sync_run_set_next_step
from crm_sync.services.progress import quota_wait_reporter
from crm_sync.services.runs import sync_run_finish, sync_run_heartbeat, sync_run_release
from crm_sync.sources.for_run import source_for_run
from crm_sync.zoho.client import client_for
from crm_sync.zoho.errors import ZohoError, ZohoReconnectRequiredError
from crm_sync.zoho.fields import fields_setup
from history.models import SyncRun
from outbound.errors import is_retryable
from tenants.encryption import SecretDecryptionError

logger = logging.getLogger(__name__)

CREDENTIAL_FIELD_NAMES = {
    "access_key": "AWS Access Key",
    "secret_key": "Secret Key",
    "mws_auth_token": "MWS Auth Token",
    "seller_id": "Seller ID",
    "lwa_client_id": "LWA client id",
    "lwa_client_secret": "LWA client secret",
    "lwa_refresh_token": "LWA refresh token",
}
# Our own Redis (locks, quota buckets, Zoho call slots) blinking is transient too.
REDIS_TROUBLE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


class TransientSyncError(Exception):
    """Amazon, Zoho or our Redis did not answer in time; the task retries later from the
    checkpoint."""


class _Calls:
    """API calls of the run: this attempt's clients' counts added to what earlier attempts
    (a killed worker's included, as its lease renewals saved them) already sent."""

    def __init__(self, earlier: dict | None) -> None:
        self.earlier = dict(earlier or {})
        self.amazon = None
        self.zoho = None

    def __call__(self) -> dict:
        stats = getattr(self.amazon, "stats", None)
        zoho_stats = dict(getattr(self.zoho, "stats", {}) or {})
        current = {
            "amazon": dict(getattr(stats, "calls", {}) or {}),
            "amazon_throttled": getattr(stats, "throttled", 0),
            "zoho": {k: v for k, v in zoho_stats.items() if k not in ("writes", "records_written")},
            "zoho_writes": zoho_stats.get("writes", 0),
        }
        return _added(self.earlier, current)

    def close(self) -> None:
        """The run's sockets and the Amazon client's item threads go with the run, not at
        the next garbage collection; the counts stay readable."""
        for client in (self.amazon, self.zoho):
            if client is not None:
                client.close()


def _added(base: dict, current: dict) -> dict:
    total = dict(base)
    for key, value in current.items():
        if isinstance(value, dict):
            total[key] = _added(base.get(key) or {}, value)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            total[key] = (base.get(key) or 0) + value
        else:
            total[key] = value
    return total


def execute_run(*, run: SyncRun, executor: str, final_attempt: bool = True) -> SyncRun:
    """Run the pipeline for a run this executor has claimed, and close it.

    Raises TransientSyncError when a retry may succeed and this is not the final attempt,
    and crm_sync.services.lease.LeaseLostError when another executor took the run over.
    """
    credentials = AmazonCredentials.objects.filter(tenant_id=run.tenant_id).first()
    if credentials is None:
        return sync_run_finish(
            run_id=run.pk,
            executor=executor,
            failed_with=(
                "Amazon credentials are not set up (Skip was chosen at install). An "
                "administrator can enter them in Settings → Extension Settings."
            ),
        )
    calls = _Calls(run.api_calls)

    def renew(api_calls: dict | None) -> bool:
        return sync_run_heartbeat(run_id=run.pk, executor=executor, api_calls=api_calls)

    def failed(message: str, next_step: str = "") -> SyncRun:
        logger.warning("run %s failed: %s", run.pk, message)
        finished = sync_run_finish(
            run_id=run.pk, executor=executor, failed_with=message, api_calls=calls()
        )
        return sync_run_set_next_step(run=finished, next_step=next_step)

    try:
        with RunLease(renew, extra=calls) as lease:
            calls.zoho = client_for(run.tenant)
            calls.zoho.ensure_token()  # Zoho first: no Amazon listing for a run that can't write
            calls.amazon = orders_client_for(
                credentials, report_quota_wait=quota_wait_reporter(run_id=run.pk)
            )
            connection = calls.zoho.connection
            # Set up before the home currency was read: once more, to read it (fields.ORG).
            if not connection.fields_ready_at or "Org" not in connection.field_api_names:
                fields_setup(connection=connection, client=calls.zoho)
                connection.refresh_from_db()
            # Once, after the upgrade to buyer keys: contacts keyed by email move to the key.
            buyer_keys_migrate(
                tenant_id=run.tenant_id, client=calls.zoho, names=connection.field_api_names
            )
            job = SyncJob(
                run=run,
                amazon=calls.amazon,
                zoho=calls.zoho,
                names=connection.field_api_names,
                heartbeat=lease.check,
            )
            source = source_for_run(
                run=run, amazon=calls.amazon, marketplace_ids=list(credentials.marketplace_ids)
            )
            run_pipeline(job, source)
            lease.check()
            goes_on = getattr(source, "continues", False)
            if goes_on:
                renew(calls())  # this task's API calls, for the next one to add to
        if goes_on:
            # A long backfill stopped at its task budget, everything it read written: the
            # next task takes the run on from its next chunk (no task nears the time limit).
            sync_run_release(run_id=run.pk, executor=executor)
            run_execution_enqueue(run_id=run.pk)
            return run
        return sync_run_finish(
            run_id=run.pk,
            executor=executor,
            notes=list(getattr(calls.amazon, "run_notes", []) or []),
            api_calls=calls(),
            failures=job.failures,
            cancelled=getattr(source, "cancelled", False),
        )
    except AmazonCredentialError as exc:
        label = CREDENTIAL_FIELD_NAMES.get(exc.field, "Marketplace IDs")
        return failed(f"Amazon credential problem ({label}): {exc}", f"settings:{exc.field}")
    except ZohoReconnectRequiredError as exc:
        return failed(f"Zoho CRM: {exc}", "zoho:reconnect")
    except SecretDecryptionError as exc:
        return failed(str(exc))
    except (AmazonError, ZohoError, *REDIS_TROUBLE) as exc:
        # The error says whether a later attempt can succeed (outbound.errors).
        if (is_retryable(exc) or isinstance(exc, REDIS_TROUBLE)) and not final_attempt:
            renew(calls())
            raise TransientSyncError(str(exc)) from exc
        who = (
            "Amazon"
            if isinstance(exc, AmazonError)
            else "Zoho CRM"
            if isinstance(exc, ZohoError)
            else "The product's Redis"
        )
        return failed(f"{who} error: {exc}.")
    finally:
        calls.close()
