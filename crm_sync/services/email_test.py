"""Settings' "Send test email": proves the run emails reach their recipients before a run."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMessage

from tenants.models import Tenant

logger = logging.getLogger(__name__)


class NoRecipientError(Exception):
    """Nobody would receive the run emails: Settings asks for an address."""


def email_test_send(*, tenant: Tenant) -> list[str]:
    """Send a test email to whoever receives the run emails; returns those addresses.

    Raises ``NoRecipientError`` when there is nobody, and lets the mail backend's own error
    (``OSError``/``SMTPException``) through for the view to explain.
    """
    recipients = tenant.email_recipients()
    if not recipients:
        raise NoRecipientError(
            "Nobody receives the run emails yet: type an address in “Who receives the emails” "
            "and save, then send the test again."
        )
    muted = (
        " (except runs that find no orders, as chosen in Settings)"
        if (tenant.mute_no_orders_emails)
        else ""
    )
    body = (
        f"This is a test email from the Amazon Extension for {tenant.name}.\n\n"
        f"After every Sync Amazon Record and Update Order Status run{muted}, an email like the "
        f"manual's goes to: {', '.join(recipients)}.\n\n"
        f"Settings: {settings.SITE_URL}/orgs/{tenant.pk}/settings/\n"
    )
    EmailMessage(
        f"Amazon sync: test email for {tenant.name}",
        body,
        settings.DEFAULT_FROM_EMAIL,
        recipients,
    ).send()
    logger.info("tenant %s: test email sent to %d recipient(s)", tenant.pk, len(recipients))
    return recipients
