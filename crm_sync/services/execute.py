"""Executing a claimed run: build the clients, run the flow, turn failures into plain words."""

from __future__ import annotations

import logging
import time

from amazon_ext.amazon.errors import AmazonCredentialError, AmazonError
from amazon_ext.amazon.factory import orders_client_for
from amazon_ext.models import AmazonCredentials
from crm_sync.pipeline import SyncJob, run_pipeline
from crm_sync.services.runs import sync_run_finish, sync_run_heartbeat
from crm_sync.sources.listing import ListingSource
from crm_sync.zoho.client import client_for
from crm_sync.zoho.errors import ZohoError, ZohoReconnectRequiredError
from crm_sync.zoho.fields import fields_setup
from history.models import SyncRun
from outbound.errors import is_retryable
from tenants.encryption import SecretDecryptionError

logger = logging.getLogger(__name__)

HEARTBEAT_EVERY_SECONDS = 20

CREDENTIAL_FIELD_NAMES = {
    "access_key": "AWS Access Key",
    "secret_key": "Secret Key",
    "mws_auth_token": "MWS Auth Token",
    "seller_id": "Seller ID",
    "lwa_client_id": "LWA client id",
    "lwa_client_secret": "LWA client secret",
    "lwa_refresh_token": "LWA refresh token",
}


class TransientSyncError(Exception):
    """Amazon or Zoho did not answer in time; the task retries later from the checkpoint."""


def _api_calls(amazon, zoho) -> dict:
    amazon_calls = dict(getattr(getattr(amazon, "stats", None), "calls", {}) or {})
    zoho_stats = dict(getattr(zoho, "stats", {}) or {})
    return {
        "amazon": amazon_calls,
        "amazon_throttled": getattr(getattr(amazon, "stats", None), "throttled", 0),
        "zoho": {k: v for k, v in zoho_stats.items() if k not in ("writes", "records_written")},
        "zoho_writes": zoho_stats.get("writes", 0),
    }


def execute_run(*, run: SyncRun, final_attempt: bool = True) -> SyncRun:
    """Run the flow for a claimed run and close it. Raises TransientSyncError when a retry
    may succeed and this is not the final attempt."""
    tenant = run.tenant
    credentials = AmazonCredentials.objects.filter(tenant=tenant).first()
    if credentials is None:
        return sync_run_finish(
            run_id=run.pk,
            failed_with=(
                "Amazon credentials are not set up (Skip was chosen at install). An "
                "administrator can enter them in Settings → Extension Settings."
            ),
        )
    amazon = zoho = None
    try:
        zoho = client_for(tenant)
        amazon = orders_client_for(credentials)
        connection = zoho.connection
        if not connection.fields_ready_at:
            fields_setup(connection=connection, client=zoho)
            connection.refresh_from_db()
        last_beat = [time.monotonic()]

        def heartbeat() -> None:
            if time.monotonic() - last_beat[0] >= HEARTBEAT_EVERY_SECONDS:
                last_beat[0] = time.monotonic()
                sync_run_heartbeat(run_id=run.pk, api_calls=_api_calls(amazon, zoho))

        job = SyncJob(
            run=run,
            amazon=amazon,
            zoho=zoho,
            names=connection.field_api_names,
            heartbeat=heartbeat,
        )
        source = ListingSource(
            amazon=amazon,
            tenant_id=run.tenant_id,
            schedule=run.schedule,
            marketplace_ids=list(credentials.marketplace_ids),
        )
        run_pipeline(job, source)
        notes = list(getattr(amazon, "run_notes", []) or [])
        return sync_run_finish(
            run_id=run.pk, notes=notes, api_calls=_api_calls(amazon, zoho), failures=job.failures
        )
    except AmazonCredentialError as exc:
        label = CREDENTIAL_FIELD_NAMES.get(exc.field, "Marketplace IDs")
        return _finish_failed(run, f"Amazon credential problem ({label}): {exc}", amazon, zoho)
    except ZohoReconnectRequiredError as exc:
        return _finish_failed(run, f"Zoho CRM: {exc}", amazon, zoho)
    except SecretDecryptionError as exc:
        return _finish_failed(run, str(exc), amazon, zoho)
    except (AmazonError, ZohoError) as exc:
        # The error says whether a later attempt can succeed (outbound.errors).
        if is_retryable(exc) and not final_attempt:
            sync_run_heartbeat(run_id=run.pk, api_calls=_api_calls(amazon, zoho))
            raise TransientSyncError(str(exc)) from exc
        who = "Amazon" if isinstance(exc, AmazonError) else "Zoho CRM"
        return _finish_failed(
            run,
            f"{who} error: {exc}. Everything up to the last saved page is in Zoho CRM; the "
            "next run continues from there.",
            amazon,
            zoho,
        )


def _finish_failed(run: SyncRun, message: str, amazon, zoho) -> SyncRun:
    logger.warning("run %s failed: %s", run.pk, message)
    return sync_run_finish(
        run_id=run.pk,
        failed_with=message,
        api_calls=_api_calls(amazon, zoho) if (amazon or zoho) else None,
    )
