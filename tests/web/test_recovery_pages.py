"""What a user gets when something is wrong: set-up incomplete pauses the schedules and
disables Run Now (with a banner and a link to fix it), a failed run has Retry, a Run Now
that failed before writing anything gives its slot back, errors link to what fixes them."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from crm_sync.models import ManualRunSlot, ZohoConnection
from crm_sync.services.retry import SLOT_RETURNED_NOTE, manual_slot_give_back
from crm_sync.services.run_now import RunNowRefusedError, run_now
from crm_sync.services.schedules import tenant_today
from crm_sync.tasks import scheduled_run
from history.models import OrderEvent, SyncRun
from tests.factories import MwsCredentialsFactory

pytestmark = pytest.mark.django_db


def zoho_connected(tenant, status=ZohoConnection.Status.CONNECTED) -> ZohoConnection:
    return ZohoConnection.objects.create(
        tenant=tenant,
        status=status,
        accounts_server="https://accounts.zoho.com",
        api_domain="https://www.zohoapis.com",
        field_api_names={},
    )


def test_setup_incomplete_pauses_schedules_disables_run_now_with_a_banner(
    admin_client, installed, eager_celery
):
    tenant = installed
    page = admin_client.get(reverse("crm_sync:schedules", args=[tenant.id])).content.decode()
    assert 'id="setup-incomplete"' in page
    assert "Amazon is not connected" in page and "Zoho CRM is not connected." in page
    assert f'href="/orgs/{tenant.id}/settings/#credentials"' in page
    assert f'href="/orgs/{tenant.id}/zoho/connect"' in page
    assert "Paused until set-up is complete" in page
    assert 'type="submit" class="run-now"' not in page  # the button is shown disabled
    # The service refuses too (a forged POST), and no slot is used.
    with pytest.raises(RunNowRefusedError, match="Finish the set-up"):
        run_now(tenant=tenant, kind="sync_amazon_record", user=None)
    assert not ManualRunSlot.objects.exists()
    # The nightly trigger records nothing and sends no email.
    scheduled_run.apply(args=[tenant.id, "sync_amazon_record"])
    assert not SyncRun.objects.filter(tenant=tenant).exists()
    assert mail.outbox == []


def test_zoho_needing_a_reconnect_also_pauses_and_says_reconnect(admin_client, installed):
    tenant = installed
    MwsCredentialsFactory(tenant=tenant)
    zoho_connected(tenant, status=ZohoConnection.Status.BROKEN)
    page = admin_client.get(reverse("crm_sync:schedules", args=[tenant.id])).content.decode()
    assert "Zoho CRM needs reconnecting" in page and "Reconnect Zoho CRM" in page
    assert "Amazon is not connected" not in page
    scheduled_run.apply(args=[tenant.id, "update_order_status"])
    assert not SyncRun.objects.filter(tenant=tenant).exists()


def test_complete_setup_shows_no_banner(admin_client, installed):
    MwsCredentialsFactory(tenant=installed)
    zoho_connected(installed)
    page = admin_client.get(reverse("crm_sync:schedules", args=[installed.id])).content.decode()
    assert 'id="setup-incomplete"' not in page
    assert 'type="submit" class="run-now"' in page


def failed_run(tenant, **fields) -> SyncRun:
    now = timezone.now()
    defaults = {
        "schedule": "sync_amazon_record",
        "trigger": SyncRun.Trigger.MANUAL,
        "started_at": now,
        "finished_at": now,
        "outcome": SyncRun.Outcome.FAILED,
        "error": "Amazon credential problem (LWA refresh token): refused.",
        "next_step": "settings:lwa_refresh_token",
    }
    defaults.update(fields)
    return SyncRun.objects.create(tenant=tenant, **defaults)


def test_a_failed_run_has_retry_and_a_link_to_the_field_to_fix(
    admin_client, installed, eager_celery
):
    tenant = installed
    run = failed_run(tenant)
    page = admin_client.get(reverse("history:run_detail", args=[tenant.id, run.pk]))
    html = page.content.decode()
    assert f'href="/orgs/{tenant.id}/settings/#id_lwa_refresh_token"' in html
    assert 'class="primary retry"' in html
    # Retry is refused while set-up is incomplete, with what to do.
    response = admin_client.post(reverse("crm_sync:run_retry", args=[tenant.id, run.pk]))
    assert response.status_code == 302
    assert not SyncRun.objects.filter(trigger=SyncRun.Trigger.RETRY).exists()
    # With set-up complete, Retry starts a tracked run of the same schedule, no slot used.
    MwsCredentialsFactory(tenant=tenant)
    zoho_connected(tenant)
    admin_client.post(reverse("crm_sync:run_retry", args=[tenant.id, run.pk]))
    retry = SyncRun.objects.get(trigger=SyncRun.Trigger.RETRY)
    assert retry.schedule == run.schedule and retry.triggered_by is not None
    assert not ManualRunSlot.objects.exists()


def test_retry_is_only_for_failed_runs(admin_client, installed):
    run = failed_run(installed, outcome=SyncRun.Outcome.SUCCESS, error="", next_step="")
    page = admin_client.get(reverse("history:run_detail", args=[installed.id, run.pk]))
    assert b'class="primary retry"' not in page.content
    admin_client.post(reverse("crm_sync:run_retry", args=[installed.id, run.pk]))
    assert SyncRun.objects.count() == 1


def test_a_run_now_that_failed_before_writing_gives_its_slot_back(installed, admin_user):
    tenant = installed
    run = failed_run(tenant, triggered_by=admin_user)
    day = tenant_today(tenant=tenant, now=run.started_at)
    for slot in (1, 2):
        ManualRunSlot.objects.create(
            tenant=tenant, schedule=run.schedule, local_date=day, slot=slot, used_by=admin_user
        )
    assert manual_slot_give_back(run_id=run.pk) is True
    assert ManualRunSlot.objects.filter(tenant=tenant).count() == 1
    assert manual_slot_give_back(run_id=run.pk) is False  # once only
    run.refresh_from_db()
    assert SLOT_RETURNED_NOTE in run.notes


def test_a_failed_run_that_wrote_something_keeps_its_slot(installed, admin_user):
    run = failed_run(installed, orders_created=3)
    day = tenant_today(tenant=installed, now=run.started_at)
    ManualRunSlot.objects.create(
        tenant=installed, schedule=run.schedule, local_date=day, slot=1, used_by=admin_user
    )
    assert manual_slot_give_back(run_id=run.pk) is False
    assert ManualRunSlot.objects.count() == 1


def test_quarantined_orders_point_at_replay_on_the_run_page(admin_client, installed):
    run = failed_run(installed, outcome=SyncRun.Outcome.PARTIAL, next_step="", records_failed=1)
    OrderEvent.objects.create(
        tenant=installed,
        run=run,
        amazon_order_id="113-1234567-1234567",
        action=OrderEvent.Action.QUARANTINED,
        message="PurchaseDate 'inf' is outside 1995–2100.",
    )
    html = admin_client.get(reverse("history:run_detail", args=[installed.id, run.pk])).content
    assert b"Replay the 1 quarantined order" in html
    assert b"Replay order 113-1234567-1234567" in html
    assert b"Replay 1 failed order" in html


def test_replay_needs_an_amazon_order_id(admin_client, installed):
    response = admin_client.post(
        reverse("crm_sync:order_replay", args=[installed.id]), {"amazon_order_id": "x' OR 1"}
    )
    assert response.status_code == 302
    assert not SyncRun.objects.exists()


def test_the_run_email_says_what_to_do_next_with_a_link(installed, settings):
    from crm_sync.services.notifications import run_email_send

    installed.notification_emails = ["ops@example.com"]
    installed.save()
    run = failed_run(installed)
    run_email_send(run=run)
    [message] = mail.outbox
    link = f"{settings.SITE_URL}/orgs/{installed.id}/settings/#id_lwa_refresh_token"
    assert f"What to do next: Fix it in Settings → Amazon credentials: {link}" in message.body
    assert f'href="{link}"' in message.alternatives[0][0]
