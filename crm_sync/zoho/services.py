"""Connecting a tenant to Zoho CRM, and disconnecting it.

``connect_start`` makes the authorize URL; ``connect_finish`` handles Zoho's callback: it
checks the state, exchanges the code at the callback's accounts server, checks the edition
has Sales Orders, finds the super administrator, saves the connection and sets up the custom
fields. ``disconnect`` revokes the refresh token and forgets the connection (uninstall).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from crm_sync.models import ZohoConnection
from crm_sync.zoho import oauth
from crm_sync.zoho.accounts import revoke_token
from crm_sync.zoho.client import ZohoClient
from crm_sync.zoho.errors import (
    ZohoConnectError,
    ZohoEditionUnsupportedError,
    ZohoError,
    ZohoFieldSetupError,
    ZohoTokenError,
    ZohoTokenThrottledError,
)
from crm_sync.zoho.fields import fields_setup
from crm_sync.zoho.modules import SALES_ORDERS
from crm_sync.zoho.modules_setup import history_modules_setup
from crm_sync.zoho.tokens import reveal
from tenants.access import tenant_for_user
from tenants.encryption import Secret
from tenants.models import Tenant

log = logging.getLogger(__name__)

REQUIRED_MODULE = SALES_ORDERS


@dataclass
class ConnectResult:
    """What connecting did, for the Settings page's messages."""

    tenant: Tenant
    connection: ZohoConnection
    super_admin_email: str = ""
    fields_report: dict | None = None
    problems: list[str] = field(default_factory=list)


def connect_start(*, tenant: Tenant, user, session) -> str:
    """The Zoho consent URL for an administrator of ``tenant`` (the view has checked that)."""
    state = oauth.state_issue(session=session, tenant_id=tenant.id, user_id=user.pk)
    return oauth.authorize_url(state=state)


def _failed(message: str, tenant_id: int) -> ZohoConnectError:
    exc = ZohoConnectError(message)
    exc.tenant_id = tenant_id
    return exc


def connect_finish(*, user, session, params: Mapping[str, str]) -> ConnectResult:
    """Handle Zoho's callback. Raises ``ZohoStateError`` for a state we did not issue to this
    session, and ``ZohoConnectError`` (with ``tenant_id``) for anything the administrator
    should read in Settings. On failure no connection is kept."""
    tenant_id = oauth.state_consume(session=session, state=params.get("state", ""), user_id=user.pk)
    tenant = tenant_for_user(tenant_id=tenant_id, user=user, manage=True)
    if params.get("error"):
        raise _failed(
            f"Zoho CRM access was not granted ({params['error']}); nothing was changed.", tenant.id
        )
    if not params.get("code"):
        raise _failed("Zoho sent no authorisation code; start again.", tenant.id)
    try:
        accounts_server = oauth.allowed_accounts_server(
            params.get("accounts-server") or settings.ZOHO_ACCOUNTS_URL
        )
        tokens = oauth.exchange_code(accounts_server=accounts_server, code=params["code"])
    except ZohoTokenThrottledError:
        raise _failed(
            "Zoho is refusing sign-ins from this app for a while (too many requests). "
            "Wait 30 minutes, then connect again.",
            tenant.id,
        ) from None
    except ZohoTokenError as exc:
        raise _failed(
            f"Zoho did not accept the sign-in ({exc.error}). Start again from Settings; if it "
            "keeps failing, check the Zoho client id, secret and redirect URI.",
            tenant.id,
        ) from None
    except ZohoConnectError as exc:
        raise _failed(exc.message, tenant.id) from None

    candidate = ZohoConnection(
        tenant=tenant,
        location=params.get("location", "")[:16],
        accounts_server=accounts_server,
        api_domain=tokens.api_domain,
        scope=tokens.scope,
        refresh_token=Secret.from_plaintext(tokens.refresh_token, "Zoho refresh token"),
        access_token=Secret.from_plaintext(tokens.access_token, "Zoho access token"),
        access_token_expires_at=timezone.now() + timedelta(seconds=tokens.expires_in),
        connected_by=user,
    )
    client = ZohoClient(candidate)
    try:
        result = _inspect_org(client=client, tenant=tenant)
    except ZohoError as exc:
        # Not keeping this connection: give the grant back rather than leave it dangling.
        revoke_token(accounts_server=accounts_server, token=tokens.refresh_token)
        if isinstance(exc, ZohoConnectError):
            raise _failed(exc.message, tenant.id) from None
        raise _failed(f"Zoho CRM could not be read while connecting: {exc}", tenant.id) from None

    connection = _save_connection(
        candidate=candidate, tenant=tenant, admin=result.super_admin_email
    )
    result.connection = connection
    client.connection = connection
    try:
        result.fields_report = fields_setup(connection=connection, client=client)
    except ZohoFieldSetupError as exc:
        result.fields_report = exc.report
        result.problems.append(exc.message)
    except ZohoError as exc:
        result.problems.append(f"Custom fields could not be set up yet: {exc}")
    # Amazon Sync History and Order History (manual §2.1) where the edition allows; a refusal
    # is shown in Settings and never stops the connection.
    history = history_modules_setup(connection=connection, client=client)
    if not history.ready:
        result.problems.append(history.message)
    client.close()
    log.info(
        "zoho connected tenant=%s org=%s dc=%s", tenant.id, connection.org_id, connection.location
    )
    return result


def _inspect_org(*, client: ZohoClient, tenant: Tenant) -> ConnectResult:
    """Check the edition and find the super administrator (fills ``client.connection``)."""
    connection = client.connection
    org = client.org()
    connection.org_id = org.id[:32]
    connection.org_name = org.company_name[:200]
    connection.edition = org.edition[:32]
    connection.domain_name = org.domain_name[:40]
    connection.time_zone = org.time_zone[:64]

    if not any(m.api_name == REQUIRED_MODULE and m.api_supported for m in client.modules()):
        raise ZohoEditionUnsupportedError(
            f"Your Zoho CRM edition ({connection.edition or 'unknown'}) has no Sales Orders "
            "module; the extension needs Professional or above."
        )

    result = ConnectResult(tenant=tenant, connection=connection)
    # The super administrator is the org's primary contact; a user with the Administrator
    # profile is not enough (an org can have many).
    admins = client.users("AdminUsers") if org.primary_zuid else []
    match = next((u for u in admins if u.zuid == org.primary_zuid), None)
    if match and match.email:
        result.super_admin_email = match.email
    else:
        result.problems.append(
            "Could not tell which Zoho CRM user is the super administrator; "
            "set who receives run emails in Settings."
        )
    return result


@transaction.atomic
def _save_connection(*, candidate: ZohoConnection, tenant: Tenant, admin: str) -> ZohoConnection:
    """Save the new connection over any old one (keeping field names if it is the same org),
    and revoke the old refresh token once committed."""
    existing = ZohoConnection.objects.select_for_update().filter(tenant=tenant).first()
    old_token = reveal(existing.refresh_token) if existing else ""
    old_server = existing.accounts_server if existing else ""
    if existing is not None:
        same_org = existing.org_id == candidate.org_id
        candidate.pk = existing.pk  # reconnecting: update the row in place
        candidate.connected_at = timezone.now()
        candidate.field_api_names = existing.field_api_names if same_org else {}
        candidate.fields_ready_at = existing.fields_ready_at if same_org else None
        candidate.credits_remaining = existing.credits_remaining if same_org else None
    candidate.status = ZohoConnection.Status.CONNECTED
    candidate.status_reason = ""
    candidate.save()
    if existing is None and tenant.time_zone == "UTC" and _known_zone(candidate.time_zone):
        # Nobody chose a zone yet (a new organisation starts at UTC): the schedules run at
        # 23:55 in the Zoho organisation's zone, as the manual's do.
        tenant.time_zone = candidate.time_zone
        tenant.save(update_fields=["time_zone"])
        transaction.on_commit(lambda: _retime(tenant))
    if admin and tenant.super_admin_email != admin:
        update = ["super_admin_email"]
        if existing is None and tenant.super_admin_email and not tenant.notification_emails:
            # First connect: the address typed at set-up stays the recipient; Zoho's super
            # administrator is recorded beside it (Settings shows both).
            tenant.notification_emails = [tenant.super_admin_email]
            update.append("notification_emails")
        tenant.super_admin_email = admin
        tenant.save(update_fields=update)
    new_token = reveal(candidate.refresh_token)
    if old_token and old_token != new_token:
        # Zoho keeps 20 refresh tokens per user and client; do not pile up dead ones.
        transaction.on_commit(lambda: revoke_token(accounts_server=old_server, token=old_token))
    return candidate


def _known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ValueError, ZoneInfoNotFoundError):
        return False
    return bool(name) and "/" in name


def _retime(tenant: Tenant) -> None:
    from crm_sync.services.schedules import schedules_retime

    schedules_retime(tenant=tenant)


def disconnect(*, tenant: Tenant) -> bool:
    """Revoke the tenant's Zoho refresh token and delete the connection (uninstall).

    Returns whether Zoho confirmed the revocation; the connection is deleted either way.
    """
    connection = ZohoConnection.objects.filter(tenant=tenant).first()
    if connection is None:
        return False
    revoked = oauth.revoke(connection=connection)
    connection.delete()
    log.info("zoho disconnected tenant=%s revoked=%s", tenant.id, revoked)
    return revoked
