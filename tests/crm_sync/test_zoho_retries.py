"""The two ways a Zoho call used to fail a run outright, now retryable like any transient error:
all of the tenant's call slots busy past the wait, and a network blip or 5xx while refreshing
the access token. Over real HTTP, against the stand-in or a loopback server that hangs up."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

from crm_sync.models import ZohoConnection
from crm_sync.zoho.client import ZohoClient
from crm_sync.zoho.errors import (
    ZohoApiError,
    ZohoConcurrencyTimeoutError,
    ZohoRateLimitedError,
    ZohoReconnectRequired,
    ZohoTokenUnavailableError,
)
from crm_sync.zoho.limits import call_slot
from crm_sync.zoho.modules import PRODUCTS
from outbound.errors import is_retryable
from tests.crm_sync.test_zoho_support import connect_directly, make_tenant, product, use_standin

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _zoho_settings(settings, zoho_standin):
    use_standin(settings, zoho_standin)


@pytest.fixture
def connection(zoho_standin, zoho_org) -> ZohoConnection:
    tenant, _ = make_tenant()
    connection = connect_directly(zoho_standin, zoho_org, tenant)
    zoho_standin.stats.reset()
    return connection


def _expire_locally(connection: ZohoConnection, **changes) -> None:
    """Our copy of the token is past its time, so the next call refreshes first."""
    ZohoConnection.objects.filter(pk=connection.pk).update(
        access_token_expires_at=timezone.now() - timedelta(seconds=1), **changes
    )
    connection.refresh_from_db()


@contextlib.contextmanager
def _server_that_hangs_up() -> Iterator[tuple[str, list[int]]]:
    """A loopback HTTP server that reads each request and closes the connection unanswered."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)
    accepted: list[int] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                accepted.append(1)
                conn.recv(65536)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", accepted
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


# ---------------------------------------------------------------------------------------------
# call slots


def test_no_free_call_slot_is_a_retryable_zoho_error(zoho_standin, connection):
    client = ZohoClient(connection, max_concurrency=1, slot_timeout=0.05)

    with call_slot(connection.tenant_id, limit=1):  # another worker holds the only slot
        with pytest.raises(ZohoConcurrencyTimeoutError) as caught:
            client.org()
        with pytest.raises(ZohoConcurrencyTimeoutError) as during_write:
            client.upsert(PRODUCTS, [product(1)], duplicate_check_fields=["Product_Name"])

    error = caught.value
    # A Zoho error the run can be retried from, like the 429 Zoho itself would have sent;
    # before, a bare TimeoutError ended the run as an internal error.
    assert isinstance(error, ZohoRateLimitedError)
    assert is_retryable(error)
    assert "no call slot freed up in 0.05 s" in str(error)
    assert during_write.value.partial_results == []
    assert zoho_standin.stats.count("org") == 0  # nothing reached Zoho
    # Once the slot is free again, the same client gets through.
    assert client.org().company_name == "Acme Inc"


@pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="needs TEST_REDIS_URL")
@pytest.mark.django_db(transaction=True)
def test_no_free_call_slot_across_processes_is_retryable_too(settings, zoho_standin, connection):
    settings.REDIS_URL = os.environ["TEST_REDIS_URL"]
    client = ZohoClient(connection, max_concurrency=1, slot_timeout=0.1)

    with call_slot(connection.tenant_id, limit=1), pytest.raises(ZohoConcurrencyTimeoutError):
        client.org()

    assert client.org().company_name == "Acme Inc"


# ---------------------------------------------------------------------------------------------
# token refresh


@pytest.mark.parametrize("fault", ["disconnect", 503])
def test_a_blip_during_token_refresh_is_retried_like_an_api_call(zoho_standin, connection, fault):
    _expire_locally(connection)
    zoho_standin.faults.inject(status=fault, count=2, path_contains="/oauth/v2/token")
    waits: list[float] = []
    client = ZohoClient(connection, backoff_base=2.0, sleep=waits.append)

    org = client.org()

    assert org.company_name == "Acme Inc"
    assert zoho_standin.stats.count("fault:") == 2
    assert zoho_standin.stats.token_refreshes == 1
    assert 1.5 <= waits[0] <= 2.5 and 3.0 <= waits[1] <= 5.0  # the API calls' backoff
    connection.refresh_from_db()
    assert connection.status == ZohoConnection.Status.CONNECTED
    assert connection.access_token_expires_at > timezone.now() + timedelta(minutes=55)


def test_a_refresh_that_never_gets_an_answer_is_retryable_not_reconnect(zoho_standin, connection):
    real_accounts_server = connection.accounts_server
    waits: list[float] = []
    client = ZohoClient(connection, backoff_base=2.0, max_attempts=5, sleep=waits.append)

    with _server_that_hangs_up() as (url, accepted):
        _expire_locally(connection, accounts_server=url)
        with pytest.raises(ZohoApiError) as caught:
            client.org()

    error = caught.value
    assert isinstance(error, ZohoTokenUnavailableError)
    assert not isinstance(error, ZohoReconnectRequired)
    assert error.status == 0  # unreachable, which the task layer retries from the checkpoint
    assert is_retryable(error)
    assert "could not refresh the access token" in str(error)
    assert len(accepted) == 5  # the same five tries an API call gets
    assert len(waits) == 4
    assert waits == sorted(waits)
    assert zoho_standin.stats.count("org") == 0
    connection.refresh_from_db()
    assert connection.status == ZohoConnection.Status.CONNECTED
    assert connection.status_reason == ""

    # The accounts server is back: the next attempt refreshes and carries on.
    _expire_locally(connection, accounts_server=real_accounts_server)
    assert ZohoClient(connection).org().company_name == "Acme Inc"
    assert zoho_standin.stats.token_refreshes == 1


def test_a_refresh_that_times_out_is_retryable(settings, connection):
    settings.ZOHO_HTTP_TIMEOUT = 0.2
    listener = socket.create_server(("127.0.0.1", 0))  # accepts, never answers
    try:
        _expire_locally(connection, accounts_server=f"http://127.0.0.1:{listener.getsockname()[1]}")
        client = ZohoClient(connection, max_attempts=2, sleep=lambda _: None)

        with pytest.raises(ZohoTokenUnavailableError) as caught:
            client.org()
    finally:
        listener.close()

    assert is_retryable(caught.value)
    assert "Timeout" in str(caught.value)
    connection.refresh_from_db()
    assert connection.status == ZohoConnection.Status.CONNECTED
