"""The email after every run (manual §2.5-2.7): success with counts, no orders, or error."""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone

from amazon_ext.models import AmazonCredentials
from history.models import SyncRun
from history.next_steps import next_steps_for_run
from history.quarantine import quarantined_count_for_run
from tenants.encryption import MASK, SecretDecryptionError
from tenants.models import Tenant

logger = logging.getLogger(__name__)

SUBJECTS = {
    SyncRun.Outcome.SUCCESS: "Amazon sync: {schedule} completed",
    SyncRun.Outcome.PARTIAL: "Amazon sync: {schedule} completed with errors",
    SyncRun.Outcome.NO_ORDERS: "Amazon sync: {schedule} found no new orders",
    SyncRun.Outcome.FAILED: "Amazon sync: {schedule} failed",
    SyncRun.Outcome.SKIPPED: "Amazon sync: {schedule} skipped",
    SyncRun.Outcome.CANCELLED: "Amazon sync: {schedule} cancelled",
}


def _tenant_secrets(tenant: Tenant) -> list[str]:
    values = []
    creds = AmazonCredentials.objects.filter(tenant=tenant).first()
    if creds is not None:
        for name in AmazonCredentials.SECRET_FIELDS:
            secret = getattr(creds, name)
            try:
                if secret:
                    values.append(secret.reveal())
            except SecretDecryptionError:
                continue
    return [v for v in values if len(v) >= 6]


def redact(text: str, secrets: list[str]) -> str:
    """Belt and braces: no stored secret leaves in an email, whatever produced the text."""
    for value in secrets:
        text = text.replace(value, MASK)
    return text


def run_email_send(*, run: SyncRun) -> int:
    tenant = run.tenant
    if run.outcome == SyncRun.Outcome.NO_ORDERS and tenant.mute_no_orders_emails:
        return 0  # the administrator chose not to hear about empty runs (Settings)
    recipients = tenant.email_recipients()
    if not recipients:
        logger.warning("tenant %s: no email recipient for run %s", tenant.pk, run.pk)
        return 0
    secrets = _tenant_secrets(tenant)
    context = {
        "run": run,
        "tenant": tenant,
        "schedule": run.get_schedule_display(),
        "started": run.started_at,
        "finished": run.finished_at,
        "error": redact(run.error, secrets),
        "notes": [redact(n, secrets) for n in run.notes],
        "dashboard_url": f"{settings.SITE_URL}/orgs/{tenant.pk}/history/runs/{run.pk}/",
        # What to do next, as links: the field to fix, Reconnect, Replay (history.next_steps).
        "next_steps": [
            (step.text, f"{settings.SITE_URL}{step.url}")
            for step in next_steps_for_run(run=run, quarantined=quarantined_count_for_run(run=run))
        ],
    }
    subject = SUBJECTS.get(run.outcome, "Amazon sync: {schedule}").format(
        schedule=context["schedule"]
    )
    # Templates show times in the organisation's zone, as the manual's emails do.
    with timezone.override(ZoneInfo(tenant.time_zone)):
        text = redact(render_to_string("emails/run_result.txt", context), secrets)
        html = redact(render_to_string("emails/run_result.html", context), secrets)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, recipients)
    message.attach_alternative(html, "text/html")
    return message.send()
