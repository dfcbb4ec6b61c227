"""Access tokens: cached, refreshed once however many workers ask, errors from HTTP 200 bodies,
and a revoked grant marking the connection for reconnecting."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection as db_connection
from django.utils import timezone

from crm_sync.models import ZohoConnection
from crm_sync.zoho import oauth
from crm_sync.zoho.accounts import refresh_access_token
from crm_sync.zoho.client import ZohoClient, client_for
from crm_sync.zoho.errors import (
    RECONNECT_MESSAGE,
    ZohoReconnectRequired,
    ZohoTokenError,
    ZohoTokenThrottledError,
)
from crm_sync.zoho.tokens import reveal
from tests.crm_sync.test_zoho_support import connect_directly, make_tenant, use_standin
from tests.fixtures.zoho import start_zoho_standin


@pytest.fixture(autouse=True)
def _zoho_settings(settings, zoho_standin):
    use_standin(settings, zoho_standin)


def _expire_locally(connection: ZohoConnection) -> None:
    ZohoConnection.objects.filter(pk=connection.pk).update(
        access_token_expires_at=timezone.now() - timedelta(seconds=1)
    )


@pytest.mark.django_db
def test_a_cached_token_makes_no_refresh_call(zoho_standin, zoho_org):
    tenant, _ = make_tenant()
    connection = connect_directly(zoho_standin, zoho_org, tenant)
    zoho_standin.stats.reset()

    client = ZohoClient(connection)
    for _ in range(3):
        client.org()

    assert zoho_standin.stats.token_refreshes == 0


@pytest.mark.django_db
def test_a_token_within_five_minutes_of_expiry_is_refreshed_first(zoho_standin, zoho_org):
    tenant, _ = make_tenant()
    connection = connect_directly(zoho_standin, zoho_org, tenant)
    ZohoConnection.objects.filter(pk=connection.pk).update(
        access_token_expires_at=timezone.now() + timedelta(minutes=4)
    )
    connection.refresh_from_db()
    zoho_standin.stats.reset()

    ZohoClient(connection).org()

    assert zoho_standin.stats.token_refreshes == 1
    connection.refresh_from_db()
    assert connection.access_token_expires_at > timezone.now() + timedelta(minutes=55)


@pytest.mark.django_db(transaction=True)
def test_eight_threads_needing_a_token_make_exactly_one_refresh_call(zoho_standin, zoho_org):
    tenant, _ = make_tenant()
    connection = connect_directly(zoho_standin, zoho_org, tenant)
    _expire_locally(connection)
    zoho_standin.stats.reset()
    start = threading.Barrier(8)
    errors: list[BaseException] = []
    names: list[str] = []

    def worker() -> None:
        try:
            # Each worker loads its own copy of the row, as separate Celery workers would.
            mine = ZohoConnection.objects.get(pk=connection.pk)
            start.wait(timeout=10)
            names.append(ZohoClient(mine).org().company_name)
        except BaseException as exc:
            errors.append(exc)
        finally:
            db_connection.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert not errors
    assert names == ["Acme Inc"] * 8
    assert zoho_standin.stats.token_refreshes == 1
    refreshed = ZohoConnection.objects.get(pk=connection.pk)
    assert refreshed.access_token_expires_at > timezone.now() + timedelta(minutes=55)


@pytest.mark.django_db
def test_expired_token_is_refreshed_once_and_the_call_retried(zoho_standin, zoho_org):
    tenant, _ = make_tenant()
    connection = connect_directly(zoho_standin, zoho_org, tenant)
    client = ZohoClient(connection)
    client.org()
    # Zoho's clock passes the hour; ours still believes the token is good.
    zoho_standin.clock.advance(3601)
    zoho_standin.stats.reset()

    org = client.org()

    assert org.company_name == "Acme Inc"
    assert zoho_standin.stats.token_refreshes == 1
    assert zoho_standin.stats.by_status[401] == 1
    assert zoho_standin.stats.count("org") == 1  # the retry
    assert client.stats["GET /org"] == 3


@pytest.mark.django_db
def test_revoked_grant_marks_the_connection_broken_and_asks_for_reconnect(zoho_standin, zoho_org):
    tenant, _ = make_tenant()
    connection = connect_directly(zoho_standin, zoho_org, tenant)
    zoho_standin.revoke_all_tokens(zoho_org.org_id)

    with pytest.raises(ZohoReconnectRequired) as caught:
        ZohoClient(connection).org()

    assert str(caught.value) == RECONNECT_MESSAGE
    assert RECONNECT_MESSAGE == (
        "Zoho refused the saved authorisation; an administrator must reconnect Zoho CRM "
        "in Settings."
    )
    connection.refresh_from_db()
    assert connection.status == ZohoConnection.Status.BROKEN
    assert connection.status_reason == RECONNECT_MESSAGE
    # Later runs stop before calling Zoho at all.
    zoho_standin.stats.reset()
    with pytest.raises(ZohoReconnectRequired):
        client_for(tenant)
    with pytest.raises(ZohoReconnectRequired):
        ZohoClient(connection).org()
    assert zoho_standin.stats.as_json()["total"] == 0


@pytest.mark.django_db
def test_refresh_throttle_in_an_http_200_body_is_detected(settings, zoho_org):
    standin = start_zoho_standin(refresh_limit_per_10_min=1)
    try:
        use_standin(settings, standin)
        org = standin.create_org(company_name="Acme", admin_email="boss@acme.example")
        tenant, _ = make_tenant()
        connection = connect_directly(standin, org, tenant)
        _expire_locally(connection)
        connection.refresh_from_db()
        ZohoClient(connection).org()  # the one refresh allowed
        _expire_locally(connection)
        connection.refresh_from_db()

        with pytest.raises(ZohoTokenThrottledError) as caught:
            ZohoClient(connection).org()

        assert caught.value.http_status == 200
        assert "too many requests" in caught.value.description
        connection.refresh_from_db()
        # Throttling is temporary: the connection is not marked broken.
        assert connection.status == ZohoConnection.Status.CONNECTED
        # Asking again at once would keep Zoho's throttle closed: no token call is made.
        token_calls = standin.stats.count("token:refresh_token")
        assert token_calls == 2  # the allowed one, and the throttled one
        with pytest.raises(ZohoTokenThrottledError):
            ZohoClient(connection).org()
        assert standin.stats.count("token:refresh_token") == token_calls
    finally:
        standin.stop()


@pytest.mark.django_db
def test_wrong_client_secret_is_a_token_error_not_a_success(settings, zoho_standin):
    org = zoho_standin.create_org(company_name="Acme", admin_email="boss@acme.example")
    tenant, _ = make_tenant()
    connection = connect_directly(zoho_standin, org, tenant)
    settings.ZOHO_CLIENT_SECRET = "not-the-secret"

    with pytest.raises(ZohoTokenError) as caught:
        refresh_access_token(
            accounts_server=connection.accounts_server,
            refresh_token=reveal(connection.refresh_token),
        )

    assert caught.value.error == "invalid_client_secret"
    assert "not-the-secret" not in str(caught.value)


@pytest.mark.django_db
def test_revoke_gives_the_grant_back(zoho_standin, zoho_org):
    tenant, _ = make_tenant()
    connection = connect_directly(zoho_standin, zoho_org, tenant)
    token = reveal(connection.refresh_token)

    assert oauth.revoke(connection=connection) is True

    assert zoho_standin.oauth.refresh[token].revoked
    with pytest.raises(ZohoTokenError):
        refresh_access_token(accounts_server=connection.accounts_server, refresh_token=token)
